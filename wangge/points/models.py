"""The points ledger (积分台账), its rules, the rewards catalogue and unit scores.

Points are money-like (ARCHITECTURE habit 7). They move only as a `Movement` whose `Entry` rows
sum to zero, in points and in time-bank hours alike: a service credit takes from the community's
issuing account and gives to the person (or unit); a redemption gives from the person to the
community's rewards account. Entries and movements are never changed or deleted — the database
refuses it (triggers in migration 0002) — and a mistake is put right by a reversing movement.
`Account.balance` and `Account.hours` are caches of their entries, kept by the one service that
writes entries and proved by `manage.py points_check`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import AppendOnlyError, TimeStamped
from wangge.party.contracts import ActivityType


class AccountKind(models.TextChoices):
    PERSON = "person", _("个人")
    UNIT = "unit", _("单位")
    ISSUING = "issuing", _("社区发放账户")
    REWARDS = "rewards", _("积分超市账户")


# Only a community's issuing account may go below zero: it is where points come from.
HOLDER_KINDS = (AccountKind.PERSON, AccountKind.UNIT, AccountKind.REWARDS)


class Account(models.Model):
    """Whose points: a person (a registry Resident and/or a login account), a unit in the area,
    or one of a community's two house accounts. `region_key` places it for scoped reads: the
    resident's home, the user's scope, the unit's grid or the community."""

    kind = models.CharField(_("账户类型"), max_length=10, choices=AccountKind.choices)
    resident = models.OneToOneField(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="points_account"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="points_account"
    )
    unit = models.OneToOneField(
        "units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="points_account"
    )
    community = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="points_accounts"
    )
    region_key = models.CharField(max_length=17, db_index=True)
    name = models.CharField(_("账户名称"), max_length=120)
    balance = models.IntegerField(_("积分余额"), default=0)
    hours = models.DecimalField(_("时间银行（小时）"), max_digits=10, decimal_places=1, default=0)
    created_at = models.DateTimeField(_("开户时间"), auto_now_add=True)

    class Meta:
        ordering = ["region_key", "kind", "id"]
        verbose_name = _("积分账户")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AccountKind.PERSON, unit__isnull=True, community__isnull=True)
                & (Q(resident__isnull=False) | Q(user__isnull=False))
                | Q(kind=AccountKind.UNIT, unit__isnull=False, resident__isnull=True, user__isnull=True)
                & Q(community__isnull=True)
                | Q(kind__in=[AccountKind.ISSUING, AccountKind.REWARDS], community__isnull=False)
                & Q(resident__isnull=True, user__isnull=True, unit__isnull=True),
                name="points_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.ISSUING) | Q(balance__gte=0, hours__gte=0),
                name="points_account_never_negative",
            ),
            models.UniqueConstraint(
                fields=["kind", "community"],
                condition=Q(community__isnull=False),
                name="points_one_house_account_per_community",
            ),
        ]

    def __str__(self):
        return self.name


class MovementKind(models.TextChoices):
    SERVICE = "service", _("服务积分")
    REDEMPTION = "redemption", _("积分兑换")
    REVERSAL = "reversal", _("冲正")
    TIME_BANK = "time_bank", _("时间银行支取")


class Movement(models.Model):
    """One movement of points: its entries sum to zero. `key` is unique, so the same confirmed
    service (or the same counter click sent twice) is booked once. `unit` credits a unit's
    participation for its yearly score even when a member of it earned the points."""

    key = models.CharField(_("业务编号"), max_length=120, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=MovementKind.choices)
    label = models.CharField(_("摘要"), max_length=200)
    activity_type = models.CharField(_("活动类型"), max_length=20, choices=ActivityType.choices, blank=True)
    service_hours = models.DecimalField(_("服务时长（小时）"), max_digits=6, decimal_places=1, default=0)
    occurred_on = models.DateField(_("发生日期"), db_index=True)
    region_key = models.CharField(max_length=17, db_index=True)
    unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("冲正对象")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("积分变动")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=MovementKind.REVERSAL, reverses__isnull=False)
                | (~Q(kind=MovementKind.REVERSAL) & Q(reverses__isnull=True)),
                name="points_reversal_names_its_movement",
            ),
            models.CheckConstraint(condition=Q(service_hours__gte=0), name="points_service_hours_not_negative"),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("points movements are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("points movements are append-only")


class Entry(models.Model):
    """One side of a movement: points and hours added to (positive) or taken from an account."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    points = models.IntegerField(_("积分"))
    hours = models.DecimalField(_("时间银行（小时）"), max_digits=8, decimal_places=1, default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("积分分录")
        constraints = [
            models.CheckConstraint(condition=~Q(points=0) | ~Q(hours=0), name="points_entry_moves_something"),
            models.UniqueConstraint(fields=["movement", "account"], name="points_entry_one_per_account"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="points_entry_account_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("points entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("points entries are append-only")


class PointRule(models.Model):
    """What one confirmed service of a type earns: fixed points, points per hour served, and
    time-bank hours per hour served. An inactive rule earns nothing (the service is still
    recorded by the party app)."""

    activity_type = models.CharField(_("活动类型"), max_length=20, choices=ActivityType.choices, unique=True)
    points_per_service = models.PositiveIntegerField(_("每次积分"), default=0)
    points_per_hour = models.PositiveIntegerField(_("每小时积分"), default=0)
    hours_factor = models.DecimalField(_("时间银行折算（每服务1小时存入）"), max_digits=4, decimal_places=1, default=1)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["activity_type"]
        verbose_name = _("积分规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_factor__gte=0, hours_factor__lte=10), name="points_rule_hours_factor_range"
            ),
            models.CheckConstraint(
                condition=Q(points_per_service__lte=1000, points_per_hour__lte=1000), name="points_rule_bounded"
            ),
        ]

    def __str__(self):
        return self.get_activity_type_display()


class Reward(TimeStamped):
    """An item of a community's rewards counter (积分超市/道德超市), its price in points and its stock."""

    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="rewards")
    region_key = models.CharField(max_length=17, db_index=True)
    name = models.CharField(_("物品名称"), max_length=100)
    points = models.PositiveIntegerField(_("所需积分"))
    stock = models.IntegerField(_("库存"), default=0)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("上架"), default=True)

    class Meta:
        ordering = ["region_key", "points", "id"]
        verbose_name = _("积分超市物品")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(points__gte=1), name="points_reward_costs_points"),
            models.UniqueConstraint(fields=["community", "name"], name="points_reward_unique_name"),
        ]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    """A reward handed over at the counter: the movement that paid for it, and how many."""

    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, related_name="redemption")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("数量"))
    region_key = models.CharField(max_length=17, db_index=True)
    created_at = models.DateTimeField(_("兑换时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("兑换记录")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="points_redemption_quantity")]

    def __str__(self) -> str:
        return _("兑换 #%(n)s") % {"n": self.pk}


class ModelTitle(models.TextChoices):
    FAMILY = "family", _("最美家庭")
    VOLUNTEER = "volunteer", _("优秀志愿者")
    MEMBER = "member", _("优秀党员")
    NEIGHBOUR = "neighbour", _("好邻居")
    UNIT = "unit", _("优秀共建单位")
    OTHER = "other", _("其他")


class ModelSelection(models.Model):
    """A "model" chosen in a community (最美家庭 …), with who it is and why: the basis is required,
    as the selection is published and may be questioned."""

    title = models.CharField(_("称号"), max_length=12, choices=ModelTitle.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_key = models.CharField(max_length=17, db_index=True)
    nominee = models.CharField(_("入选对象"), max_length=100)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    basis = models.TextField(_("评选依据"))
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-created_at", "-id"]
        verbose_name = _("先进典型")
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4), name="points_model_quarter"
            ),
            models.CheckConstraint(condition=~Q(basis=""), name="points_model_has_basis"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_title_display()} {self.nominee}"


class ScoreMeasure(models.TextChoices):
    PARTICIPATION = "participation", _("参加活动次数")
    CLAIMS = "claims", _("认领需求次数")
    SERVICE_HOURS = "service_hours", _("服务时长（小时）")
    RESOURCE_SHARES = "resource_shares", _("共享资源次数")
    PARTY_ORGANISATION = "party_organisation", _("已建党组织（是为1）")


class ScoreLine(models.Model):
    """One line of the yearly unit score (乐山): points per measured item, capped, with the text
    that explains it to the unit."""

    measure = models.CharField(_("计分项"), max_length=20, choices=ScoreMeasure.choices, unique=True)
    points_each = models.DecimalField(_("每项得分"), max_digits=5, decimal_places=1)
    cap = models.DecimalField(_("最高得分"), max_digits=5, decimal_places=1)
    explanation = models.CharField(_("说明"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("单位评分项")
        constraints = [
            models.CheckConstraint(condition=Q(points_each__gte=0, cap__gte=0), name="points_score_line_positive"),
        ]


class ScoreAdjustment(models.Model):
    """Points added to or taken from a unit's yearly score by hand, with the reason."""

    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    points = models.DecimalField(_("加减分"), max_digits=5, decimal_places=1)
    reason = models.CharField(_("理由"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0) & ~Q(reason=""), name="points_adjustment_has_reason"),
        ]


class UnitScore(models.Model):
    """A unit's yearly score as computed at one moment. Every computation is a new version; its
    `lines` say how each line was reached and `changes` what moved since the version before."""

    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="scores")
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"))
    region_key = models.CharField(max_length=17, db_index=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=1)
    lines = models.JSONField(_("得分明细"), default=list)
    changes = models.JSONField(_("变化说明"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("评分时间"), auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "year", "-version"]
        verbose_name = _("单位年度评分")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "version"], name="points_unit_score_version"),
        ]

    @property
    def barred(self) -> bool:
        return self.total < BAR_BELOW

    @property
    def honoured(self) -> bool:
        return self.total > HONOUR_ABOVE

    def __str__(self) -> str:
        return _("%(y)s年度评分（第%(v)s版）") % {"y": self.year, "v": self.version}


BAR_BELOW = 60  # 乐山: under 60 a unit loses access to shared resources
HONOUR_ABOVE = 100  # 乐山: above 100 it is honoured
