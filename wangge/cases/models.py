"""Cases (事件/案卷) and the catalogue they are sorted by (DOMAIN §4).

Only `workflow.case_transition` changes a case's status; everything else here is data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.regions.models import Department, Level, Region

# ---- catalogue (事项清单 / 权责清单) ----------------------------------------------------------


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("部件")
    EVENT = "event", _("事件")
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


# Hotline kinds that can be answered at once, with no one sent on site (直接答复办结).
ANSWERABLE_KINDS = frozenset({CategoryKind.CONSULT, CategoryKind.SUGGESTION, CategoryKind.PRAISE})


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("工作小时")
    DAYS = "days", _("工作日")


class Category(TimeStamped):
    """One line of the catalogue: a class of problem, who answers for it, how long they have and
    when it counts as solved. A tree (大类 → 小类); cases are filed under any node.

    `region_key` is the region whose catalogue this is (usually the city); it applies to every case
    below that region, and only administrators of that region change it."""

    region_key = models.CharField(max_length=17, db_index=True)
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级类别")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=CategoryKind.choices, default=CategoryKind.EVENT)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("责任部门"),
    )
    time_limit = models.PositiveIntegerField(_("处置时限"), default=1)
    time_unit = models.CharField(_("时限单位"), max_length=8, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    closing_condition = models.TextField(_("结案条件"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # Smart dispatch: a new case whose top suggestion is this category, at least this confident, is
    # filed and dispatched by the system without waiting for a dispatcher. Off until an
    # administrator turns it on for the category.
    auto_apply = models.BooleanField(_("自动采用派单建议"), default=False)
    auto_apply_threshold = models.FloatField(_("自动采用的最低置信度"), default=0.9)

    class Meta:
        ordering = ["region_key", "sort_order", "code"]
        verbose_name = _("事项类别")
        constraints = [
            models.UniqueConstraint(fields=["region_key", "code"], name="category_unique_code_in_region"),
            models.CheckConstraint(condition=Q(time_limit__gte=1), name="category_time_limit_positive"),
            models.CheckConstraint(condition=~Q(code=""), name="category_code_present"),
            models.CheckConstraint(
                condition=Q(auto_apply_threshold__gt=0) & Q(auto_apply_threshold__lte=1),
                name="category_auto_apply_threshold_range",
            ),
        ]

    def __str__(self):
        return self.name

    def limit(self) -> dict:
        """Keyword arguments for `worktime.clock.deadline`."""
        return {"hours": self.time_limit} if self.time_unit == TimeUnit.HOURS else {"days": self.time_limit}

    @property
    def limit_label(self) -> str:
        return f"{self.time_limit}{self.get_time_unit_display()}"


class AccessKind(models.TextChoices):
    STATUTORY = "statutory", _("依法履行职责事项")
    ASSIST = "assist", _("协助政府工作事项")
    CERTIFICATE = "certificate", _("出具证明事项")


class AccessCatalogueItem(TimeStamped):
    """One item of the community work access catalogue (社区工作准入目录): work that departments may
    hand down to communities. Work whose category no item covers is refused at the door.

    An item names the case category it admits (if it is case work at all: seal-use items, for
    example, are not), and holds for the communities below `region_key`."""

    region_key = models.CharField(max_length=17, db_index=True)
    code = models.CharField(_("编号"), max_length=32)
    name = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(_("事项类型"), max_length=16, choices=AccessKind.choices)
    basis = models.TextField(_("设立依据"), blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_items",
        verbose_name=_("对应事项类别"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["region_key", "kind", "code"]
        verbose_name = _("社区工作准入事项")
        constraints = [
            models.UniqueConstraint(fields=["region_key", "code"], name="access_item_unique_code_in_region"),
            models.CheckConstraint(condition=~Q(code=""), name="access_item_code_present"),
        ]

    def __str__(self):
        return self.name


# ---- cases ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    REJECTED = "rejected", _("不予受理")
    ACCEPTED = "accepted", _("待派遣")
    DISPATCHED = "dispatched", _("待签收")
    RETURNED = "returned", _("已退回")
    ARBITRATION = "arbitration", _("退单待裁定")
    IN_PROGRESS = "in_progress", _("处置中")
    SUSPENDED = "suspended", _("已挂起")
    HANDLED = "handled", _("待核查")
    VERIFIED = "verified", _("待结案")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")
    MERGED = "merged", _("已合并")
    TRANSFERRED = "transferred", _("已移交")


# Nothing more happens to a case in these (a rated case may still be reopened once).
FINISHED = frozenset({Status.REJECTED, Status.CLOSED, Status.RATED, Status.MERGED, Status.TRANSFERRED})
OPEN = frozenset(Status) - FINISHED
# The handler's clock runs only here; suspension and the wait for verification stop it.
CLOCK_RUNNING = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})
# A handler (department or community) holds the case.
WITH_HANDLER = frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED, Status.HANDLED})


class Channel(models.TextChoices):
    RESIDENT = "resident", _("居民上报")
    GRID = "grid", _("网格员巡查")
    VISIT = "visit", _("入户走访")
    HOTLINE = "hotline", _("12345热线")
    LINKAGE = "linkage", _("110/119/120联动")
    API = "api", _("系统接口")
    OPEN311 = "open311", _("Open311")
    DELIBERATION = "deliberation", _("议事协商")
    INSPECTION = "inspection", _("专项检查")
    LEADER = "leader", _("领导交办")


class ContactPreference(models.TextChoices):
    APP = "app", _("站内消息")
    PHONE = "phone", _("电话回访")
    SMS = "sms", _("短信")
    NONE = "none", _("无需回复")


class CaseLevel(models.IntegerChoices):
    """The level that holds a case now (values are region levels): a case is handled at the lowest
    level that can close it and moves up when it cannot, or when its clock runs out."""

    DISTRICT = Level.DISTRICT, _("区县")
    STREET = Level.STREET, _("街道")
    COMMUNITY = Level.COMMUNITY, _("社区")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class TransferService(models.TextChoices):
    POLICE = "110", _("110（公安）")
    FIRE = "119", _("119（消防救援）")
    AMBULANCE = "120", _("120（医疗急救）")


class CaseNumberCounter(models.Model):
    """The last case number handed out in a year. Numbers are taken by an UPDATE of this row,
    which holds the row lock until the reporting transaction ends, so no two cases share one."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Case(TimeStamped):
    """One problem, from report to rating. `version` rises with every move, so two people acting on
    the same view cannot both succeed (optimistic locking in `workflow.case_transition`)."""

    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    text = models.TextField(_("问题描述"))
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("事项类别")
    )
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    source_ref = models.CharField(_("来源编号"), max_length=64, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        verbose_name=_("上报人"),
    )
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone_cipher = models.TextField(blank=True)
    reporter_phone_masked = models.CharField(_("联系电话"), max_length=11, blank=True)
    contact_preference = models.CharField(
        _("回复方式"), max_length=8, choices=ContactPreference.choices, default=ContactPreference.APP
    )

    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("所在网格")
    )
    # The grid's key, or the community's when the place lies in no grid.
    region_key = models.CharField(max_length=17, db_index=True)

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    version = models.PositiveIntegerField(default=1)
    level = models.PositiveSmallIntegerField(_("处置层级"), choices=CaseLevel.choices, default=CaseLevel.COMMUNITY)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)

    lead_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
        verbose_name=_("主办部门"),
    )
    assisting_departments = models.ManyToManyField(
        Department, through="CaseAssist", related_name="assisted_cases", blank=True, verbose_name=_("协办部门")
    )

    # SLA clock (working time). `allowed_seconds` is the working time the handler was given,
    # extensions included; `warn_at` is the moment the configured share of it is used up.
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    first_dispatched_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("处置期限"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    allowed_seconds = models.PositiveIntegerField(default=0)
    warned_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    breach_count = models.PositiveSmallIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("挂起累计（工作秒）"), default=0)
    extension_hours = models.PositiveIntegerField(default=0)
    extension_days = models.PositiveIntegerField(default=0)
    extension_requested_at = models.DateTimeField(_("延期申请时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    arbitrated = models.BooleanField(_("已裁定"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    supervised = models.BooleanField(_("督办"), default=False)
    supervised_at = models.DateTimeField(null=True, blank=True)

    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases", verbose_name=_("并入")
    )
    transfer_service = models.CharField(_("移交对象"), max_length=3, choices=TransferService.choices, blank=True)
    transfer_reference = models.CharField(_("移交单号"), max_length=64, blank=True)

    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("案件")
        indexes = [
            models.Index(fields=["status", "region_key"], name="case_status_region_idx"),
            models.Index(fields=["lead_department", "status"], name="case_lead_status_idx"),
            models.Index(fields=["category", "reported_at"], name="case_category_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_known"),
            models.CheckConstraint(condition=Q(level__in=CaseLevel.values), name="case_level_known"),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_version_positive"),
            models.CheckConstraint(
                condition=~Q(status=Status.MERGED) | Q(merged_into__isnull=False), name="case_merged_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.TRANSFERRED) | (~Q(transfer_service="") & ~Q(transfer_reference="")),
                name="case_transfer_recorded",
            ),
            models.CheckConstraint(condition=Q(reopen_count__lte=1), name="case_reopen_once"),
            models.UniqueConstraint(
                fields=["channel", "source_ref"], condition=~Q(source_ref=""), name="case_unique_source_ref"
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("pk")), name="case_not_merged_into_itself"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def community_key(self) -> str:
        return self.region_key[:12]

    @property
    def extension_pending(self) -> bool:
        return self.extension_requested_at is not None


class CaseAssist(models.Model):
    """An assisting department (协办) on a case; the lead (主办) is `Case.lead_department`."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协办部门")
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="case_assist_unique")]


class CaseEvent(models.Model):
    """One line of a case's timeline: a move, a note, an urge, a warning. Never changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), db_index=True)
    action = models.CharField(_("操作"), max_length=24)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=150)
    text = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Shown to the person who reported the case (internal notes and rulings are not).
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("案件记录")

    def __str__(self):
        return f"{self.case_id} {self.action}"


def attachment_path(instance, filename: str) -> str:
    import uuid

    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(instance.content_type, "bin")
    return f"cases/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Attachment(models.Model):
    """A photo. Uploaded first (case empty, `uploaded_by` set), then attached to a case and the
    event it documents by the service that uses it; unattached uploads expire after a day."""

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("附件")

    def __str__(self):
        return self.original_name or self.file.name


# ---- indicator summary ------------------------------------------------------------------------


class Span(models.TextChoices):
    DAY = "d", _("日")
    WEEK = "w", _("周")
    MONTH = "m", _("月")
    CATEGORY_MONTH = "c", _("月（按类别）")
    CATEGORY_WEEK = "k", _("周（按类别）")
    STREET_DAY = "s", _("日（街道）")
    CATEGORY_DAY = "t", _("日（按类别，区县）")


class IndicatorSummary(models.Model):
    """The indicator counts (docs/indicators.md) of the cases reported in one day, week (from Monday)
    or month, summed by place, category and lead department: the dashboard reads these rows instead
    of every case. Kept up to date by `summary.record` in the transaction of each report and move;
    `manage.py indicators_rebuild` recomputes them from the cases.

    Day rows keep the case's own place and category. The others are coarser, so a year of a city is a
    few thousand rows: month rows keep the community (`region_key` of 12 digits), week rows the street
    (9), both without category; category-month and category-week rows keep the street and the category;
    street-day rows keep the street without category, category-day rows the district and the category
    (`summary.SPANS`), so the days at the ends of a period cost a wide region little. Category and
    department are plain ids with 0 for none, so "none" is one key in the unique constraint (NULLs
    would never conflict)."""

    span = models.CharField(max_length=1, choices=Span.choices)
    start = models.DateField()
    region_key = models.CharField(max_length=17)
    category_id = models.PositiveIntegerField(default=0)
    department_id = models.PositiveIntegerField(default=0)

    reported = models.IntegerField(default=0)
    filed = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    dispatched_on_time = models.IntegerField(default=0)
    dispatched_accurately = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    ever_closed = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    found = models.IntegerField(default=0)
    rectified = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("指标汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "start", "region_key", "category_id", "department_id"], name="indicator_summary_key"
            ),
            models.CheckConstraint(condition=Q(span__in=Span.values), name="indicator_summary_span_known"),
        ]
        # A grid's or a community's figures read its own day rows.
        indexes = [models.Index(fields=["span", "region_key", "start"], name="indicator_summary_place_idx")]

    def __str__(self):
        return f"{self.span}{self.start} {self.region_key}"
