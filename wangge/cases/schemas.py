from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from . import sla
from .workflow import ACTION_LABELS

# ---- out ------------------------------------------------------------------------------------


class DepartmentRef(Schema):
    code: str
    name: str


class CategoryRef(Schema):
    id: int
    code: str
    name: str
    kind: str
    limit_label: str


class CaseOut(Schema):
    number: str
    text: str
    status: str
    status_label: str
    version: int
    level: int
    level_label: str
    channel: str
    channel_label: str
    category: CategoryRef | None
    region_key: str
    grid_code: str | None
    grid_name: str | None
    community_code: str
    address: str
    lng: float | None
    lat: float | None
    reporter_name: str
    reporter_phone_masked: str
    contact_preference: str
    reported_at: datetime
    dispatched_at: datetime | None
    due_at: datetime | None
    time_left_seconds: int | None
    warned_at: datetime | None
    breached_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    lead_department: DepartmentRef | None
    return_count: int
    reopen_count: int
    urge_count: int
    supervised: bool
    extension_pending: bool
    extension_hours: int
    extension_days: int
    merged_into: str | None
    transfer_service: str
    transfer_reference: str
    rating: str
    rating_comment: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_level_label(obj) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_channel_label(obj) -> str:
        return str(obj.get_channel_display())

    @staticmethod
    def resolve_grid_code(obj) -> str | None:
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_grid_name(obj) -> str | None:
        return obj.grid.name if obj.grid_id else None

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.community_key

    @staticmethod
    def resolve_time_left_seconds(obj, context) -> int | None:
        request = context.get("request") if context else None
        calendar = sla.request_calendar(request) if request is not None else None
        return sla.time_left(obj, timezone.now(), calendar=calendar)

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None


class PhotoOut(Schema):
    id: int
    url: str
    content_type: str
    size: int

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/case-attachments/{obj.pk}"


class EventOut(Schema):
    at: datetime
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor_label: str
    text: str
    data: dict[str, Any]
    public: bool
    photos: list[PhotoOut]

    @staticmethod
    def resolve_action_label(obj) -> str:
        return str(ACTION_LABELS.get(obj.action, obj.action))

    @staticmethod
    def resolve_photos(obj) -> list:
        return list(obj.attachments.all())


class CaseDetailOut(CaseOut):
    assisting: list[DepartmentRef]
    closing_condition: str
    allowed_actions: list[str]
    merged_numbers: list[str]
    timeline: list[EventOut]


class DuplicateOut(CaseOut):
    distance_m: float | None
    similarity: float = Field(description="文字相似度（0–1）")


class CaseReportOut(CaseDetailOut):
    duplicates: list[DuplicateOut]


class DepartmentChoiceOut(DepartmentRef):
    suggested: bool


class UploadOut(Schema):
    id: int
    content_type: str
    size: int


class PhoneOut(Schema):
    phone: str


# ---- in -------------------------------------------------------------------------------------

Text = Field("", max_length=2000)
Required = Field("", max_length=2000)  # checked by the service, which says what is missing


class CaseReportIn(Schema):
    text: str = Field(min_length=1, max_length=2000)
    channel: str
    category: str | None = Field(None, description="事项类别编码")
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = Field("", max_length=200)
    region_code: str = Field("", max_length=17, description="没有坐标时：问题所在的网格或社区代码")
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=20)
    contact_preference: str | None = None
    photo_ids: list[int] = Field(default_factory=list, max_length=9)
    source_ref: str = Field("", max_length=64)


class Versioned(Schema):
    expected_version: int = Field(ge=1, description="页面上显示的案件版本号；案件已被他人改动时返回 409")


class AcceptIn(Versioned):
    category: str | None = None
    text: str = Text


class ApplySuggestionIn(Versioned):
    category: str = Field(min_length=1, max_length=64, description="所采纳建议的类别编码")


class SuggestionRowOut(Schema):
    label: str
    name: str
    department: str
    confidence: float


class SuggestionsOut(Schema):
    rows: list[SuggestionRowOut]
    message: str
    outcome: str
    final_label: str
    auto_applied: bool


class RejectIn(Versioned):
    reason: str = Required


class MergeIn(Versioned):
    into: str = Field(description="并入的案件编号")
    text: str = Text


class TransferIn(Versioned):
    service: str = Field(description="110、119 或 120")
    reference: str = Field(max_length=64)
    text: str = Text


class AnswerIn(Versioned):
    text: str = Required
    category: str | None = None


class NoteIn(Versioned):
    text: str = Text


class ReasonIn(Versioned):
    reason: str = Text


class DispatchIn(Versioned):
    lead: str = Field(description="主办部门代码")
    assisting: list[str] = Field(default_factory=list, max_length=20)
    category: str | None = None
    note: str = Text


class AssignIn(Versioned):
    category: str | None = None
    note: str = Text


class RuleIn(Versioned):
    ruling: str = Required
    lead: str | None = None
    assisting: list[str] = Field(default_factory=list, max_length=20)


class ExtensionIn(Versioned):
    reason: str = Required
    hours: int = Field(0, ge=0, le=240)
    days: int = Field(0, ge=0, le=60)


class HandleIn(Versioned):
    report: str = Required
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class ReworkIn(Versioned):
    reason: str = Required
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class VerifyIn(Versioned):
    photo_ids: list[int] = Field(default_factory=list, max_length=9)
    note: str = Text


class RateIn(Versioned):
    rating: str = Field(description="satisfied 满意 / fairly 基本满意 / unsatisfied 不满意")
    comment: str = Text


class AnnotateIn(Schema):
    text: str = Text


class CommentIn(Schema):
    text: str = Required
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class RevealIn(Schema):
    reason: str = Required


# ---- catalogue --------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    region_key: str
    code: str
    name: str
    parent_code: str | None
    kind: str
    kind_label: str
    department: DepartmentRef | None
    time_limit: int
    time_unit: str
    limit_label: str
    closing_condition: str
    is_active: bool
    sort_order: int
    auto_apply: bool
    auto_apply_threshold: float
    on_access_catalogue: bool = False

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class CategoryIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    kind: str = "event"
    parent: str | None = Field(None, description="上级类别编码")
    department: str | None = Field(None, description="责任部门代码")
    time_limit: int = Field(ge=1, le=10000)
    time_unit: str = "days"
    closing_condition: str = Field("", max_length=2000)
    sort_order: int = Field(0, ge=0, le=100000)
    auto_apply: bool = Field(False, description="新案件的首选建议为本类别且达到阈值时由系统自动受理并派遣")
    auto_apply_threshold: float = Field(0.9, description="自动采用的最低置信度（大于0，不超过1）")
    region_key: str | None = Field(None, max_length=17, description="清单所属区域（默认为本人的管辖区域）")


class CategoryUpdateIn(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: str | None = None
    parent: str | None = None
    department: str | None = None
    time_limit: int | None = Field(None, ge=1, le=10000)
    time_unit: str | None = None
    closing_condition: str | None = Field(None, max_length=2000)
    sort_order: int | None = Field(None, ge=0, le=100000)
    is_active: bool | None = None
    auto_apply: bool | None = None
    auto_apply_threshold: float | None = None


class AccessItemOut(Schema):
    id: int
    region_key: str
    code: str
    name: str
    kind: str
    kind_label: str
    basis: str
    category: CategoryRef | None
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class AccessItemIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    kind: str
    basis: str = Field("", max_length=2000)
    category: str | None = Field(None, description="对应的事项类别编码")
    region_key: str | None = Field(None, max_length=17)


class AccessItemUpdateIn(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    basis: str | None = Field(None, max_length=2000)
    category: str | None = None
    is_active: bool | None = None


class ImportOut(Schema):
    created: int
    updated: int
