"""Party-building at the grid (党建引领): the party tree beside the region tree, members, dual
reporting (双报到), the three lists with two-way claiming, activities and service records.

Every row carries `region_key`, the key of the place it belongs to, so scoped reads are one
prefix match as everywhere else. States change only through the transition tables in
`services.py`; the rules that hold for every row are constraints here.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped

from .contracts import ActivityType


class OrgKind(models.TextChoices):
    STREET_COMMITTEE = "street_committee", _("街道党工委")
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    GROUP = "group", _("党小组")
    CENTRE_HOUSEHOLD = "centre_household", _("党员中心户")


class OrgCategory(models.TextChoices):
    """Territorial organisations follow the region tree; the others serve places they are linked to."""

    TERRITORIAL = "territorial", _("区域党组织")
    UNIT = "unit", _("驻区单位党组织")
    INDUSTRY_CHAIN = "industry_chain", _("产业链党组织")
    BUSINESS_DISTRICT = "business_district", _("楼宇商圈党组织")
    SECTOR = "sector", _("行业党组织")
    NEW_EMPLOYMENT = "new_employment", _("新就业群体党组织")


class Organisation(TimeStamped):
    """One node of the party tree. `region` is where it sits (a street, community, grid or
    micro-grid); a compound branch also names its compound, a building group its building, a
    unit's organisation its unit. Non-territorial organisations list the regions they serve."""

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    category = models.CharField(_("类别"), max_length=20, choices=OrgCategory.choices, default=OrgCategory.TERRITORIAL)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级组织")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="party_organisations", verbose_name=_("所在区域")
    )
    region_key = models.CharField(max_length=17, db_index=True)
    compound = models.ForeignKey(
        "regions.Compound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organisations",
        verbose_name=_("小区"),
    )
    building = models.ForeignKey(
        "regions.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organisations",
        verbose_name=_("楼栋"),
    )
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organisations",
        verbose_name=_("所属单位"),
    )
    served_regions = models.ManyToManyField(
        "regions.Region", blank=True, related_name="served_by_party", verbose_name=_("服务区域")
    )
    secretary = models.CharField(_("书记"), max_length=50, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        ordering = ["region_key", "id"]
        verbose_name = _("党组织")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="party_org_unique_name_in_region"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="party_org_not_own_parent"),
            models.CheckConstraint(
                condition=~Q(category="unit") | Q(unit__isnull=False), name="party_org_unit_category_has_unit"
            ),
        ]

    def __str__(self):
        return self.name


class MemberStatus(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class LeftReason(models.TextChoices):
    """Why a member is no longer on the roll: the record stays (their service and reports do)."""

    TRANSFERRED_OUT = "transferred_out", _("组织关系转出")
    DECEASED = "deceased", _("去世")
    OTHER = "other", _("其他（如停止党籍）")


class Post(models.TextChoices):
    """设岗定责: posts for members without office."""

    NONE = "", _("未设岗")
    POLICY = "policy", _("政策宣传岗")
    CONFLICT = "conflict", _("矛盾调解岗")
    SAFETY = "safety", _("平安巡逻岗")
    ENVIRONMENT = "environment", _("环境卫生岗")
    CARE = "care", _("关爱帮扶岗")
    DELIBERATION = "deliberation", _("议事监督岗")
    CULTURE = "culture", _("文明引导岗")


class Member(TimeStamped):
    """A party member: membership data, the organisation holding their membership, where they
    live (a registry resident and household when they live in the area, otherwise a grid) and
    their employer for 双报告. ID number and phone are stored like the resident ledger's."""

    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.TextField()
    id_index = models.CharField(max_length=64, unique=True)
    id_masked = models.CharField(_("身份证号"), max_length=18)
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=11, blank=True)
    status = models.CharField(_("党员类别"), max_length=12, choices=MemberStatus.choices, default=MemberStatus.FULL)
    joined_on = models.DateField(_("入党日期"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在党组织")
    )
    resident = models.OneToOneField(
        "registry.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_member",
        verbose_name=_("居民"),
    )
    household = models.ForeignKey(
        "regions.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_members",
        verbose_name=_("居住户"),
    )
    home_grid = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("居住网格")
    )
    region_key = models.CharField(max_length=17, db_index=True)  # where they live
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_member",
        verbose_name=_("账号"),
    )
    in_service = models.BooleanField(_("在职党员"), default=False)
    employer = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employed_members",
        verbose_name=_("工作单位（驻区）"),
    )
    employer_name = models.CharField(_("工作单位"), max_length=120, blank=True)
    post = models.CharField(_("岗位（设岗定责）"), max_length=16, choices=Post.choices, blank=True, default="")
    post_duty = models.CharField(_("岗位职责"), max_length=200, blank=True)
    shows_identity = models.BooleanField(_("亮身份（党员户）"), default=True)
    left_on = models.DateField(_("离开日期"), null=True, blank=True)
    left_reason = models.CharField(_("离开原因"), max_length=16, choices=LeftReason.choices, blank=True, default="")
    left_note = models.CharField(_("离开说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["region_key", "id"]
        verbose_name = _("党员")
        constraints = [
            models.CheckConstraint(condition=~Q(id_index=""), name="party_member_id_index_present"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True, left_reason="") | Q(left_on__isnull=False) & ~Q(left_reason=""),
                name="party_member_left_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(home_grid__isnull=False), name="party_member_lives_somewhere"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="party_member_org_idx")]

    def __str__(self):
        return self.name

    @property
    def employer_label(self) -> str:
        return self.employer.name if self.employer_id else self.employer_name


class ReportingStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")
    ENDED = "ended", _("已结束")


class Registration(TimeStamped):
    """双报到: a unit's party organisation with the community where it sits, or an in-service
    member with the community (and grid) where they live. The community approves or rejects."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations")
    community = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="party_registrations", verbose_name=_("报到社区")
    )
    grid = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("报到网格")
    )
    region_key = models.CharField(max_length=17, db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportingStatus.choices, default=ReportingStatus.PENDING
    )
    note = models.CharField(_("报到说明"), max_length=200, blank=True)
    reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("双报到")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, member__isnull=True)
                | Q(organisation__isnull=True, member__isnull=False),
                name="party_registration_one_reporter",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="party_registration_rejection_has_reason"
            ),
            # One live registration per reporter and community; a rejected or ended one may be redone.
            models.UniqueConstraint(
                fields=["organisation", "community"],
                condition=Q(status__in=["pending", "approved"]),
                name="party_registration_one_live_org",
            ),
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=Q(status__in=["pending", "approved"]),
                name="party_registration_one_live_member",
            ),
        ]

    def __str__(self):
        return f"{self.reporter} → {self.community}"

    @property
    def reporter(self):
        return self.organisation if self.organisation_id else self.member


class NeedSource(models.TextChoices):
    RESIDENT = "resident", _("居民")
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已关闭")


class Need(TimeStamped):
    """需求清单: something residents, a grid or the community need done."""

    title = models.CharField(_("需求"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=NeedSource.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    region_key = models.CharField(max_length=17, db_index=True)
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("需求")

    def __str__(self):
        return self.title


class Offer(TimeStamped):
    """资源清单: what a registered unit organisation or member offers the community they report to."""

    title = models.CharField(_("资源"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="offers")
    community = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("报到社区")
    )
    region_key = models.CharField(max_length=17, db_index=True)
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("资源")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, member__isnull=True)
                | Q(organisation__isnull=True, member__isnull=False),
                name="party_offer_one_provider",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def provider(self):
        return self.organisation if self.organisation_id else self.member


class Project(TimeStamped):
    """项目清单: a service project of a community that units and members join."""

    title = models.CharField(_("项目"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_key = models.CharField(max_length=17, db_index=True)
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("服务项目")

    def __str__(self):
        return self.title


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("已认领")
    DONE = "done", _("已完成")
    WITHDRAWN = "withdrawn", _("已撤回")


class Claim(TimeStamped):
    """One side taking up the other's item (双向认领): a unit organisation or a member claims a
    need or joins a project; a community claims a resource. Exactly one item, exactly one claimant
    of the kind the item allows."""

    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    community = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_key = models.CharField(max_length=17, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("认领")
        constraints = [
            models.CheckConstraint(
                condition=(Q(need__isnull=False, offer__isnull=True, project__isnull=True))
                | Q(need__isnull=True, offer__isnull=False, project__isnull=True)
                | Q(need__isnull=True, offer__isnull=True, project__isnull=False),
                name="party_claim_one_item",
            ),
            models.CheckConstraint(
                condition=(
                    Q(offer__isnull=False, community__isnull=False, organisation__isnull=True, member__isnull=True)
                )
                | (
                    Q(offer__isnull=True, community__isnull=True)
                    & (
                        Q(organisation__isnull=False, member__isnull=True)
                        | Q(organisation__isnull=True, member__isnull=False)
                    )
                ),
                name="party_claim_right_claimant",
            ),
            # Nulls never collide in a unique index, so one constraint per kind of claimant.
            *[
                models.UniqueConstraint(
                    fields=[item, who],
                    condition=Q(**{f"{item}__isnull": False, f"{who}__isnull": False, "status": "active"}),
                    name=f"party_claim_{item}_{who}_once",
                )
                for item in ("need", "project")
                for who in ("organisation", "member")
            ],
            models.UniqueConstraint(
                fields=["offer", "community"],
                condition=Q(offer__isnull=False, status="active"),
                name="party_claim_offer_once",
            ),
        ]

    @property
    def item(self):
        return self.need or self.offer or self.project

    @property
    def claimant(self):
        return self.organisation or self.member or self.community

    def __str__(self) -> str:
        return _("认领 #%(n)s") % {"n": self.pk}


def new_checkin_secret() -> str:
    return secrets.token_urlsafe(16)


class Activity(TimeStamped):
    """An activity of a community: sign-up, check-in by QR code, then service records."""

    title = models.CharField(_("活动名称"), max_length=100)
    activity_type = models.CharField(_("活动类型"), max_length=16, choices=ActivityType.choices)
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_key = models.CharField(max_length=17, db_index=True)
    place = models.CharField(_("地点"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("人数上限"), null=True, blank=True)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Part of the signed check-in link; replacing it invalidates every QR code shown so far.
    checkin_secret = models.CharField(max_length=32, default=new_checkin_secret)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("活动")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="party_activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="party_activity_capacity"
            ),
        ]

    def __str__(self):
        return self.title


class Attendance(TimeStamped):
    """A person signed up for (and perhaps checked in at) an activity: an account, a member, or both."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="attendances")
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        ordering = ["activity_id", "id"]
        verbose_name = _("报名签到")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(member__isnull=False), name="party_attendance_who"
            ),
            models.UniqueConstraint(fields=["activity", "user"], name="party_attendance_user_once"),
            models.UniqueConstraint(fields=["activity", "member"], name="party_attendance_member_once"),
        ]

    @property
    def label(self) -> str:
        if self.member_id:
            return self.member.name
        return str(self.user)

    def __str__(self) -> str:
        return _("签到 #%(n)s") % {"n": self.pk}


class ServiceStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("未通过")


class ServiceRecord(TimeStamped):
    """Service done (hours) by a member, a volunteer's account or a unit organisation, confirmed
    by the community. Confirming tells the points ledger (contracts.service_confirmed)."""

    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="service_records"
    )
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="service_records")
    activity_type = models.CharField(_("服务类型"), max_length=16, choices=ActivityType.choices)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="service_records")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="service_records"
    )
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_key = models.CharField(max_length=17, db_index=True)
    occurred_on = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1)
    description = models.CharField(_("服务内容"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.SUBMITTED)
    reason = models.CharField(_("意见"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("服务记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(user__isnull=False) | Q(organisation__isnull=False),
                name="party_service_who",
            ),
            models.CheckConstraint(condition=Q(hours__gte=0, hours__lte=24), name="party_service_hours_range"),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False), name="party_service_confirmed_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="party_service_rejection_has_reason"
            ),
            # One record per person and activity, so a check-in is never counted twice.
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(activity__isnull=False, member__isnull=False),
                name="party_service_member_once_per_activity",
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(activity__isnull=False, user__isnull=False),
                name="party_service_user_once_per_activity",
            ),
        ]

    def __str__(self):
        return f"{self.who_label} {self.occurred_on} {self.hours}h"

    @property
    def who_label(self) -> str:
        if self.member_id:
            return self.member.name
        if self.organisation_id:
            return self.organisation.name
        return str(self.user)
