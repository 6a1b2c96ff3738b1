"""Input and output shapes of the units API. Inputs only parse; rules live in the services."""

import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from .hours import format_week_text


class UnitOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    kind_label: str
    grid_code: str
    grid_name: str
    compound_id: int | None
    compound_name: str
    address: str
    contact_name: str
    contact_phone_masked: str
    has_party_organisation: bool
    party_organisation_name: str
    booking_barred: bool
    booking_barred_reason: str
    booking_barred_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.grid.code

    @staticmethod
    def resolve_grid_name(obj) -> str:
        return obj.grid.name

    @staticmethod
    def resolve_compound_name(obj) -> str:
        return obj.compound.name if obj.compound_id else ""


class UnitCreateIn(Schema):
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=40)
    kind: str
    grid_code: str = Field(max_length=40)
    compound_name: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = Field("", max_length=40)
    has_party_organisation: bool = False
    party_organisation_name: str = ""


class UnitUpdateIn(Schema):
    name: str | None = None
    credit_code: str | None = Field(None, max_length=40)
    kind: str | None = None
    grid_code: str | None = Field(None, max_length=40)
    compound_name: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = Field(None, max_length=40)
    has_party_organisation: bool | None = None
    party_organisation_name: str | None = None


class BookingBarIn(Schema):
    barred: bool
    reason: str = ""


class RevealIn(Schema):
    reason: str = ""


class RevealOut(Schema):
    contact_phone: str


class ResourceOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    owner_type: str
    owner_id: int
    owner_name: str
    grid_code: str
    location: str
    lng: float | None
    lat: float | None
    capacity: int | None
    opening_hours: dict[str, list[list[str]]]
    opening_hours_text: str
    price_rule: str
    price_rule_label: str
    standard_price: Decimal | None
    low_price: Decimal | None
    description: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_owner_type(obj) -> str:
        return "unit" if obj.owner_unit_id else "compound"

    @staticmethod
    def resolve_owner_id(obj) -> int:
        return obj.owner_unit_id or obj.owner_compound_id

    @staticmethod
    def resolve_owner_name(obj) -> str:
        return obj.owner.name

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.region_key

    @staticmethod
    def resolve_opening_hours_text(obj) -> str:
        return format_week_text(obj.opening_hours)

    @staticmethod
    def resolve_price_rule_label(obj) -> str:
        return str(obj.get_price_rule_display())


class ResourceCreateIn(Schema):
    name: str = Field(max_length=200)
    kind: str
    owner_unit_code: str = ""
    owner_grid_code: str = ""
    owner_compound_name: str = ""
    location: str = ""
    lng: float | None = None
    lat: float | None = None
    capacity: int | None = None
    opening_hours: dict[str, list[list[str]]] | str = Field(
        default_factory=dict,
        description='{"mon": [["08:00", "12:00"]], …} 或文本“周一至周五 08:00-12:00, 14:00-18:00；周六 09:00-17:00”',
    )
    price_rule: str = "free"
    standard_price: Decimal | None = None
    low_price: Decimal | None = None
    description: str = ""
    is_active: bool = True


class ResourceUpdateIn(Schema):
    name: str | None = None
    kind: str | None = None
    owner_unit_code: str | None = None
    owner_grid_code: str | None = None
    owner_compound_name: str | None = None
    location: str | None = None
    lng: float | None = None
    lat: float | None = None
    capacity: int | None = None
    opening_hours: dict[str, list[list[str]]] | str | None = None
    price_rule: str | None = None
    standard_price: Decimal | None = None
    low_price: Decimal | None = None
    description: str | None = None
    is_active: bool | None = None


class BookingOut(Schema):
    id: int
    resource_id: int
    resource_name: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str
    status_label: str
    booker_type: str
    booker_name: str
    unit_id: int | None
    purpose: str
    attendees: int | None
    price: Decimal
    created_at: datetime.datetime
    cancelled_at: datetime.datetime | None
    cancel_reason: str

    @staticmethod
    def resolve_resource_name(obj) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_booker_type(obj) -> str:
        return "unit" if obj.unit_id else "resident"

    @staticmethod
    def resolve_booker_name(obj, context) -> str:
        from .selectors import booker_label

        return booker_label(context["request"].user, obj)


class BookingCreateIn(Schema):
    resource_id: int
    starts_at: datetime.datetime = Field(description="本地时间（未带时区时按服务器时区），整点或半点")
    ends_at: datetime.datetime
    unit_id: int | None = Field(None, description="工作人员代单位预约时填写；居民为自己预约时不填")
    purpose: str = ""
    attendees: int | None = None


class CancelIn(Schema):
    reason: str = ""


class CalendarEntryOut(Schema):
    booking_id: int | None
    start: str
    end: str
    label: str
    mine: bool
    can_cancel: bool


class CalendarDayOut(Schema):
    date: datetime.date
    weekday: str
    opening: list[tuple[str, str]]
    bookings: list[CalendarEntryOut]

    @staticmethod
    def resolve_bookings(obj) -> list:
        return obj.entries


class CalendarOut(Schema):
    resource_id: int
    start: datetime.date
    days: list[CalendarDayOut]
