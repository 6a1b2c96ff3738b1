import datetime

from ninja import Field, Schema


class CalendarDayOut(Schema):
    date: datetime.date
    is_working: bool
    kind: str = Field(description="holiday（放假）或 makeup（调休上班）")
    name: str

    @staticmethod
    def resolve_kind(obj) -> str:
        return "makeup" if obj.is_working else "holiday"


class CalendarDayIn(Schema):
    is_working: bool = Field(description="false：放假；true：调休上班（只能是周六或周日）")
    name: str = Field(max_length=50, description="例如“国庆节”“国庆节调休上班”")


class MonthDayOut(Schema):
    date: datetime.date
    is_working: bool
    kind: str = Field(description="workday、weekend、holiday（放假）或 makeup（调休上班）")
    name: str


class ImportResultOut(Schema):
    created: int
    updated: int
    unchanged: int
    removed: int
    years: list[int]


class WorkHoursOut(Schema):
    periods: list[tuple[str, str]]
    day_seconds: int = Field(description="一个工作日的工作秒数，days=1 即为这么多")
    time_zone: str


class DeadlineQuery(Schema):
    start: datetime.datetime = Field(description="起算时刻；不带时区时按本地时间")
    hours: int = Field(0, ge=-100_000, le=100_000)
    days: int = Field(0, ge=-10_000, le=10_000)


class DeadlineOut(Schema):
    start: datetime.datetime
    deadline: datetime.datetime
    working_seconds: int


class BetweenQuery(Schema):
    start: datetime.datetime
    end: datetime.datetime


class BetweenOut(Schema):
    start: datetime.datetime
    end: datetime.datetime
    working_seconds: int
