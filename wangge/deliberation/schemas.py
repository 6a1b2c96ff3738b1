"""Input and output shapes of the deliberation API. Inputs only parse; rules live in the services."""

import datetime

from ninja import Schema
from pydantic import Field


class MatterOut(Schema):
    id: int
    title: str
    description: str
    level: str
    place: str
    region_code: str
    status: str
    status_label: str
    support_count: int
    supports_needed: int
    address: str
    answer: str
    case_number: str | None
    meeting_id: int | None
    vote: dict | None
    progress: dict
    ratings: dict
    created_at: datetime.datetime

    @staticmethod
    def resolve_place(obj) -> str:
        return obj.place_label

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region.code

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_supports_needed(obj) -> int:
        from .services import supports_needed

        return supports_needed()

    @staticmethod
    def resolve_case_number(obj) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_vote(obj) -> dict | None:
        from .models import Vote

        vote = Vote.objects.filter(matter=obj).select_related("meeting").first()
        if vote is None:
            return None
        body = {
            "id": vote.id,
            "question": vote.question,
            "voter_rule": vote.meeting.voter_rule,
            "quorum_percent": vote.meeting.quorum_percent,
            "majority": vote.meeting.majority,
            "published": vote.published_at is not None,
        }
        if vote.published_at is not None:
            body.update(
                {
                    "published_at": vote.published_at.isoformat(),
                    "eligible": vote.eligible,
                    "yes": vote.yes,
                    "no": vote.no,
                    "abstain": vote.abstain,
                    "quorum_met": vote.quorum_met,
                    "passed": vote.passed,
                }
            )
        return body

    @staticmethod
    def resolve_progress(obj) -> dict:
        from .selectors import progress

        done, total = progress(obj)
        return {"done": done, "total": total}

    @staticmethod
    def resolve_ratings(obj) -> dict:
        from .selectors import rating_summary

        summary = rating_summary(obj)
        return {
            "total": summary["total"],
            "satisfied_percent": summary["percent"],
            "comments": [e.comment for e in obj.evaluations.all() if e.comment],
        }


class MatterListOut(Schema):
    id: int
    title: str
    level: str
    status: str
    support_count: int
    created_at: datetime.datetime


class ProposeIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    place: str = Field(max_length=40, description="社区或网格代码，或 compound:<小区编号>、building:<楼栋编号>")
    address: str = Field("", max_length=400)
    lng: float | None = None
    lat: float | None = None
    on_behalf_of: str = Field("", max_length=100)


class BallotIn(Schema):
    choice: str = Field(description="yes 同意、no 反对、abstain 弃权")


class BallotOut(Schema):
    vote_id: int
    choice: str
