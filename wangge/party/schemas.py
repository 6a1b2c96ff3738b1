"""Input and output shapes of the party API. Inputs only parse; rules live in the services.
Outputs carry masked identifiers only."""

import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    category: str
    region_code: str
    region_name: str
    parent_id: int | None
    compound_id: int | None
    unit_id: int | None
    secretary: str
    members: int
    full_members: int
    depth: int
    warnings: list[str]


class OrganisationIn(Schema):
    name: str = Field(max_length=200)
    kind: str
    region_code: str = Field(max_length=20)
    category: str = "territorial"
    parent_id: int | None = None
    compound_id: int | None = None
    building_id: int | None = None
    unit_code: str = Field("", max_length=40)
    served_region_codes: list[str] = Field(default_factory=list, max_length=200)
    secretary: str = Field("", max_length=100)


class GapOut(Schema):
    kind: str
    name: str
    id: int
    full_members: int


class MemberLeaveIn(Schema):
    reason: str = Field(description="transferred_out（组织关系转出）、deceased（去世）或 other")
    on: str = Field("", description="离开日期 YYYY-MM-DD，默认今天")
    note: str = Field("", max_length=200, description="转往的党组织（转出时必填）")


class MemberOut(Schema):
    id: int
    name: str
    id_masked: str
    phone_masked: str
    status: str
    joined_on: datetime.date
    organisation_id: int
    organisation_name: str
    household_id: int | None
    region_key: str
    in_service: bool
    employer: str
    post: str
    post_duty: str
    shows_identity: bool
    left_on: datetime.date | None = None
    left_reason: str = ""
    left_note: str = ""

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_employer(obj) -> str:
        return obj.employer_label


class MemberIn(Schema):
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=30)
    joined_on: datetime.date
    organisation_id: int
    status: str = "full"
    phone: str = Field("", max_length=30)
    household_id: int | None = None
    grid_code: str = Field("", max_length=20)
    in_service: bool = False
    employer_code: str = Field("", max_length=40)
    employer_name: str = Field("", max_length=200)
    post: str = ""
    post_duty: str = Field("", max_length=300)
    shows_identity: bool = True


class MemberPatch(Schema):
    status: str | None = None
    organisation_id: int | None = None
    post: str | None = None
    post_duty: str | None = Field(None, max_length=300)
    shows_identity: bool | None = None
    in_service: bool | None = None
    employer_name: str | None = Field(None, max_length=200)


class RegistrationOut(Schema):
    id: int
    organisation_id: int | None
    member_id: int | None
    reporter: str
    community_code: str
    grid_code: str
    status: str
    note: str
    reason: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_reporter(obj) -> str:
        return str(obj.reporter)

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.community.code

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.grid.code if obj.grid_id else ""


class RegistrationIn(Schema):
    community_code: str = Field(max_length=20)
    organisation_id: int | None = None
    member_id: int | None = None
    grid_code: str = Field("", max_length=20)
    note: str = Field("", max_length=300)


class DecisionIn(Schema):
    status: str
    reason: str = Field("", max_length=300)


class NeedOut(Schema):
    id: int
    title: str
    description: str
    source: str
    region_key: str
    status: str
    created_at: datetime.datetime


class NeedIn(Schema):
    title: str = Field(max_length=200)
    region_code: str = Field(max_length=20)
    source: str = ""
    description: str = Field("", max_length=4000)


class OfferOut(Schema):
    id: int
    title: str
    description: str
    provider: str
    organisation_id: int | None
    member_id: int | None
    region_key: str
    status: str

    @staticmethod
    def resolve_provider(obj) -> str:
        return str(obj.provider)


class OfferIn(Schema):
    title: str = Field(max_length=200)
    community_code: str = Field(max_length=20)
    organisation_id: int | None = None
    member_id: int | None = None
    description: str = Field("", max_length=4000)


class ProjectOut(Schema):
    id: int
    title: str
    description: str
    region_key: str
    status: str
    joined: int = 0


class ProjectIn(Schema):
    title: str = Field(max_length=200)
    community_code: str = Field(max_length=20)
    description: str = Field("", max_length=4000)


class ClaimIn(Schema):
    organisation_id: int | None = None
    member_id: int | None = None
    note: str = Field("", max_length=300)


class ClaimOut(Schema):
    id: int
    need_id: int | None
    offer_id: int | None
    project_id: int | None
    organisation_id: int | None
    member_id: int | None
    community_code: str
    status: str
    note: str

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.community.code if obj.community_id else ""


class StatusIn(Schema):
    status: str


class ActivityOut(Schema):
    id: int
    title: str
    activity_type: str
    region_key: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int | None
    signed: int = 0
    checked: int = 0


class ActivityIn(Schema):
    title: str = Field(max_length=200)
    activity_type: str
    community_code: str = Field(max_length=20)
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str = Field("", max_length=200)
    capacity: int | None = None
    project_id: int | None = None
    need_id: int | None = None


class SignUpIn(Schema):
    member_id: int | None = None


class AttendanceOut(Schema):
    id: int
    activity_id: int
    member_id: int | None
    user_id: int | None
    checked_in_at: datetime.datetime | None


class CheckInIn(Schema):
    token: str = Field(max_length=500)


class CheckInOut(Schema):
    attendance: AttendanceOut
    new: bool


class ServiceOut(Schema):
    id: int
    activity_id: int | None
    claim_id: int | None
    activity_type: str
    member_id: int | None
    user_id: int | None
    organisation_id: int | None
    who: str
    region_key: str
    occurred_on: datetime.date
    hours: Decimal
    description: str
    status: str
    reason: str

    @staticmethod
    def resolve_who(obj) -> str:
        return obj.who_label


class ServiceIn(Schema):
    community_code: str = Field(max_length=20)
    occurred_on: datetime.date
    hours: Decimal = Field(ge=0, le=24)
    description: str = Field(max_length=300)
    activity_type: str = "volunteer"
    member_id: int | None = None
    organisation_id: int | None = None
    claim_id: int | None = None


class HoursIn(Schema):
    hours: Decimal = Field(gt=0, le=24)


class RejectIn(Schema):
    reason: str = Field("", max_length=300)


class ReportLineOut(Schema):
    employer: str
    who: str
    kind: str
    id_masked: str
    organisation: str
    communities: str
    records: int
    hours: Decimal
    claims: int
