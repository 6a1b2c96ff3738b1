from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.regions.models import Household


class ResidenceKind(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Resident(TimeStamped):
    """A person living in the area (实有人口). One person is one row, identified by ID number.

    The ID number and phone are stored encrypted; `id_index` (an HMAC) allows exact lookup
    without decrypting, and the masked forms are kept for lists. `household`, `moved_in` and
    `left_on` are the current state; the history is in `Residence` rows, written by the same
    services. A person who left keeps the region key of their last home, so the community
    that kept them still finds them."""

    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.TextField()
    id_index = models.CharField(max_length=64, unique=True)
    id_masked = models.CharField(_("身份证号"), max_length=18, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=11, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="residents")
    region_key = models.CharField(max_length=17)
    kind = models.CharField(
        _("人口类别"), max_length=12, choices=ResidenceKind.choices, default=ResidenceKind.REGISTERED
    )
    moved_in = models.DateField(_("入住日期"), null=True, blank=True)
    left_on = models.DateField(_("迁出日期"), null=True, blank=True)
    origin = models.CharField(_("户籍地"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # The Excel import that registered this person, if one did: with the job's `sheets.import`
    # audit event it says who imported the row, when, and from which file (name and SHA-256).
    # No index: nothing lists residents by job often enough to make every insert pay for one.
    import_job = models.ForeignKey(
        "sheets.ImportJob",
        verbose_name=_("导入任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )

    class Meta:
        ordering = ["region_key", "id"]
        verbose_name = _("居民")
        constraints = [
            models.CheckConstraint(condition=~Q(id_index=""), name="resident_id_index_present"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(household__isnull=True), name="resident_left_has_no_household"
            ),
        ]
        indexes = [
            # The ledger's keyset order; also serves "everything under a region key".
            models.Index(fields=["region_key", "id"], name="resident_key_id_idx"),
            # Name search: prefix ranges on name, scope checked from the index itself.
            models.Index(fields=["name", "region_key"], name="resident_name_key_idx"),
            # The few who left, without walking everyone who did not.
            models.Index(fields=["region_key", "id"], condition=Q(left_on__isnull=False), name="resident_departed_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_present(self) -> bool:
        return self.left_on is None


class MoveReason(models.TextChoices):
    REGISTERED = "registered", _("登记")
    MOVE_IN = "move_in", _("迁入")
    TRANSFER = "transfer", _("户间迁移")
    MOVE_OUT = "move_out", _("迁出")


class Residence(models.Model):
    """One stay of a resident in one household, from `started` to `ended` (open while living
    there). Moves close one row and open another; rows are never rewritten otherwise."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="residences")
    # Indexed by residence_household_idx (household, started), which serves lookups by household too.
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residences", db_index=False)
    region_key = models.CharField(max_length=17)
    started = models.DateField(_("入住日期"))
    start_reason = models.CharField(_("入住方式"), max_length=12, choices=MoveReason.choices)
    ended = models.DateField(_("离开日期"), null=True, blank=True)
    end_reason = models.CharField(_("离开方式"), max_length=12, choices=MoveReason.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resident_id", "started", "id"]
        verbose_name = _("居住记录")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(ended__isnull=True), name="residence_one_open_per_resident"
            ),
            models.CheckConstraint(
                condition=Q(ended__isnull=True) | Q(ended__gte=models.F("started")), name="residence_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["household", "started"], name="residence_household_idx")]

    def __str__(self):
        return f"{self.resident_id}@{self.household_id} {self.started}–{self.ended or ''}"


class CareGroup(models.TextChoices):
    EMPTY_NEST = "empty_nest", _("空巢老人")
    SOLITARY = "solitary", _("独居老人")
    CHILD = "child", _("困境儿童")
    CHRONIC = "chronic", _("基础病患者")
    DISABILITY = "disability", _("残疾人")
    LOW_INCOME = "low_income", _("低收入家庭")


class CareLevel(models.IntegerChoices):
    HIGH = 1, _("重点关注")
    MEDIUM = 2, _("一般关注")
    LOW = 3, _("日常关注")


class CareRecord(TimeStamped):
    """A resident in one special care group (特殊人群台账), with a care plan, how often to visit
    and the grid worker who visits. A resident may be in several groups, at most once in each
    while the record is open.

    `next_due_on` is `last_visit_on + visit_every_days`; empty means never visited, which is
    due at once. `responsible` is emptied when the resident moves beyond that worker's scope."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="care_records")
    group = models.CharField(_("关爱类别"), max_length=12, choices=CareGroup.choices)
    level = models.PositiveSmallIntegerField(_("关爱等级"), choices=CareLevel.choices, default=CareLevel.MEDIUM)
    visit_every_days = models.PositiveSmallIntegerField(_("走访周期（天）"), default=30)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_records",
        verbose_name=_("责任网格员"),
    )
    region_key = models.CharField(max_length=17)
    plan = models.TextField(_("帮扶计划"), blank=True)
    last_visit_on = models.DateField(_("最近走访"), null=True, blank=True)
    next_due_on = models.DateField(_("下次走访"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["region_key", "id"]
        verbose_name = _("关爱对象")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "group"], condition=Q(ended_on__isnull=True), name="care_one_open_per_group"
            ),
            models.CheckConstraint(
                condition=Q(visit_every_days__gte=1, visit_every_days__lte=365), name="care_frequency_range"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="care_level_range"),
        ]
        indexes = [
            models.Index(fields=["responsible", "next_due_on"], name="care_due_idx"),
            models.Index(fields=["region_key", "id"], name="care_key_id_idx"),
        ]

    def __str__(self):
        return f"{self.resident_id}:{self.group}"


class Visit(TimeStamped):
    """A door-knock visit (敲门行动) to one household: who was met and what was seen. The same
    act updates the house, its residents and their care records (三个同步)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    region_key = models.CharField(max_length=17)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("走访人")
    )
    visited_on = models.DateField(_("走访日期"))
    met = models.ManyToManyField(Resident, blank=True, related_name="visits_met", verbose_name=_("见到的居民"))
    met_others = models.CharField(_("见到的其他人"), max_length=200, blank=True)
    notes = models.TextField(_("走访情况"), blank=True)
    changes = models.JSONField(_("同步更新"), default=dict, blank=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访记录")
        indexes = [
            models.Index(fields=["region_key", "id"], name="visit_key_id_idx"),
            models.Index(fields=["household", "visited_on"], name="visit_household_idx"),
        ]

    def __str__(self):
        return f"{self.household_id} {self.visited_on}"


class CareObservation(models.Model):
    """What the visitor saw of one care record's resident during a visit."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="observations")
    care_record = models.ForeignKey(CareRecord, on_delete=models.PROTECT, related_name="observations")
    note = models.TextField(_("关爱情况"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("关爱走访情况")
        constraints = [
            models.UniqueConstraint(fields=["visit", "care_record"], name="observation_once_per_visit"),
        ]


class ProblemCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("市容环境")
    FACILITY = "facility", _("公共设施")
    SAFETY = "safety", _("安全隐患")
    DISPUTE = "dispute", _("矛盾纠纷")
    LIVELIHOOD = "livelihood", _("民生服务")
    OTHER = "other", _("其他")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("待受理")
    TAKEN = "taken", _("已转为案件")


class VisitProblem(TimeStamped):
    """A problem a visitor raised at the door, waiting for the case workflow to take it.

    `case_ref` names the case that took it (any string the case side chooses, e.g.
    "cases.case:123"); it is set once, together with status `taken`."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="problems")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("问题描述"))
    category_hint = models.CharField(_("问题类别"), max_length=12, choices=ProblemCategory.choices)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    region_key = models.CharField(max_length=17)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    case_ref = models.CharField(_("受理案件"), max_length=64, null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("走访发现问题")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open") & Q(case_ref__isnull=True))
                | (Q(status="taken") & Q(case_ref__isnull=False) & ~Q(case_ref="")),
                name="visit_problem_taken_has_case",
            ),
        ]
        indexes = [models.Index(fields=["status", "region_key"], name="visit_problem_open_idx")]

    def __str__(self):
        return self.text[:40]
