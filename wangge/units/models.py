"""Units in the area (驻区单位) and the shared resources (区域资源清单) they and compounds offer.

Bookings of one resource never overlap. Two things guarantee it, both portable: the booking
service locks the resource row and re-checks for overlaps inside its transaction (SQLite's
IMMEDIATE transactions serialise writers anyway), and every booked half-hour is a row of
`BookingSlot`, whose unique (resource, start) constraint makes the database itself refuse a
second booking of the same slot whatever code path writes it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.core.validators import check_credit_code
from wangge.regions.models import Compound, Level, Region

from .hours import check_week, span_text


class UnitKind(models.TextChoices):
    AGENCY = "agency", _("党政机关")
    INSTITUTION = "institution", _("事业单位")
    ENTERPRISE = "enterprise", _("企业")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    TWO_NEW = "two_new", _("两新组织")
    OTHER = "other", _("其他")


def validate_credit_code(value: str) -> None:
    reason = check_credit_code(value)
    if reason:
        raise ValidationError(str(reason), code="credit_code")


class Unit(TimeStamped):
    """An organisation sitting in the area: agency, enterprise, school, hospital… It lives in one
    grid (and optionally one compound of that grid); `region_key` is the grid's key.

    The contact phone is personal data: stored encrypted with an HMAC blind index, shown masked.
    A unit whose participation score falls below 60 (乐山) is barred from booking shared resources.
    """

    name = models.CharField(_("单位名称"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_credit_code])
    kind = models.CharField(_("单位类型"), max_length=24, choices=UnitKind.choices)
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("所在网格"))
    compound = models.ForeignKey(
        Compound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("所在小区"),
    )
    region_key = models.CharField(max_length=17, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone_cipher = models.TextField(blank=True)
    contact_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=16, blank=True)
    has_party_organisation = models.BooleanField(_("已建党组织"), default=False)
    party_organisation_name = models.CharField(_("党组织名称"), max_length=120, blank=True)
    booking_barred = models.BooleanField(_("暂停预约资源"), default=False)
    booking_barred_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    booking_barred_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)

    class Meta:
        ordering = ["region_key", "name", "id"]
        verbose_name = _("驻区单位")
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="unit_unique_credit_code"),
            models.CheckConstraint(condition=~Q(credit_code=""), name="unit_credit_code_present"),
            models.CheckConstraint(
                condition=Q(booking_barred=False, booking_barred_at__isnull=True)
                | (Q(booking_barred=True, booking_barred_at__isnull=False) & ~Q(booking_barred_reason="")),
                name="unit_barred_has_reason_and_time",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.grid_id and self.grid.level != Level.GRID:
            errors["grid"] = _("单位应登记在网格上，%(name)s 不是网格") % {"name": self.grid.name}
        if self.compound_id and self.grid_id and self.compound.grid_id != self.grid_id:
            errors["compound"] = _("小区 %(c)s 不在网格 %(g)s 内") % {"c": self.compound.name, "g": self.grid.name}
        if self.grid_id and self.region_key != self.grid.key:
            errors["grid"] = _("单位的区域键应与所在网格一致")
        if self.party_organisation_name and not self.has_party_organisation:
            errors["party_organisation_name"] = _("填写了党组织名称，但未勾选“已建党组织”")
        if errors:
            raise ValidationError(errors)


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("活动场地")
    MEETING_ROOM = "meeting_room", _("会议室")
    SPORTS = "sports", _("运动场地")
    PARKING = "parking", _("停车位")
    WALL = "wall", _("宣传墙面")
    CLASSROOM = "classroom", _("教室/培训室")
    CANTEEN = "canteen", _("食堂/餐厅")
    OTHER = "other", _("其他")


class PriceRule(models.TextChoices):
    """乐山's three rules: public venues free to all; paid services at a low price for residents;
    public plots at a low price for co-building units. Everyone else pays the standard price."""

    FREE = "free", _("免费开放")
    RESIDENT_LOW_COST = "resident_low_cost", _("居民低偿")
    UNIT_LOW_COST = "unit_low_cost", _("共建单位低偿")


class Resource(TimeStamped):
    """A shared resource (区域资源) of a unit or of a compound — exactly one owner — bookable by
    residents and by units in half-hour slots inside its opening hours. `region_key` is the
    owner's grid key."""

    name = models.CharField(_("资源名称"), max_length=120)
    kind = models.CharField(_("资源类型"), max_length=16, choices=ResourceKind.choices)
    owner_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="resources", verbose_name=_("所属单位")
    )
    owner_compound = models.ForeignKey(
        Compound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_resources",
        verbose_name=_("所属小区"),
    )
    region_key = models.CharField(max_length=17, db_index=True)
    location = models.CharField(_("位置"), max_length=200, blank=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    capacity = models.PositiveIntegerField(_("容量（人或个）"), null=True, blank=True)
    opening_hours = models.JSONField(_("开放时间"), default=dict, blank=True)
    price_rule = models.CharField(_("收费规则"), max_length=20, choices=PriceRule.choices, default=PriceRule.FREE)
    standard_price = models.DecimalField(_("标准价（元/小时）"), max_digits=8, decimal_places=2, null=True, blank=True)
    low_price = models.DecimalField(_("低偿价（元/小时）"), max_digits=8, decimal_places=2, null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        ordering = ["region_key", "name", "id"]
        verbose_name = _("共享资源")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_unit__isnull=False, owner_compound__isnull=True)
                | Q(owner_unit__isnull=True, owner_compound__isnull=False),
                name="resource_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(price_rule=PriceRule.FREE, standard_price__isnull=True, low_price__isnull=True)
                | Q(
                    price_rule__in=[PriceRule.RESIDENT_LOW_COST, PriceRule.UNIT_LOW_COST],
                    low_price__isnull=False,
                    standard_price__isnull=False,
                    low_price__gte=0,
                    standard_price__gte=models.F("low_price"),
                ),
                name="resource_prices_match_rule",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="resource_capacity_positive"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def owner(self):
        return self.owner_unit if self.owner_unit_id else self.owner_compound

    def rate_for(self, *, for_unit: bool) -> Decimal:
        """Yuan per hour for a unit or a resident under 乐山's three rules: free for everyone; the
        favoured side (residents or co-building units) pays the low price, the other the standard."""
        if self.price_rule == PriceRule.FREE:
            return Decimal("0.00")
        favoured = (self.price_rule == PriceRule.UNIT_LOW_COST) == for_unit
        return self.low_price if favoured else self.standard_price

    @property
    def resident_rate(self) -> Decimal:
        return self.rate_for(for_unit=False)

    @property
    def unit_rate(self) -> Decimal:
        return self.rate_for(for_unit=True)

    def clean(self):
        errors = {}
        reason = check_week(self.opening_hours)
        if reason:
            errors["opening_hours"] = reason
        if self.price_rule == PriceRule.FREE:
            if self.standard_price is not None or self.low_price is not None:
                errors["standard_price"] = _("免费开放的资源不填写价格")
        else:
            if self.low_price is None:
                errors["low_price"] = _("低偿资源须填写低偿价")
            elif self.low_price < 0:
                errors["low_price"] = _("低偿价不能为负数")
            if self.standard_price is None:
                errors["standard_price"] = _("低偿资源须填写标准价（其他预约方支付的价格）")
            elif self.low_price is not None and self.standard_price < self.low_price:
                errors["standard_price"] = _("标准价不能低于低偿价")
        if (self.owner_unit_id is None) == (self.owner_compound_id is None):
            errors["owner"] = _("资源须属于一个单位或一个小区（只能选其一）")
        if errors:
            raise ValidationError(errors)


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已取消")


class Booking(TimeStamped):
    """One booking of a resource from `starts_at` to `ends_at` (half-hour grid, inside the
    opening hours), by a resident for themselves or by staff for a unit — exactly one of the two.
    `price` is fixed when booked. Cancelled bookings stay, as history; their slots are freed."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resource_bookings",
        verbose_name=_("预约居民"),
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("预约单位")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    attendees = models.PositiveIntegerField(_("参加人数"), null=True, blank=True)
    price = models.DecimalField(_("费用（元）"), max_digits=10, decimal_places=2, default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.ACTIVE, db_index=True
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("资源预约")
        indexes = [models.Index(fields=["resource", "starts_at"], name="booking_resource_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=Q(resident__isnull=False, unit__isnull=True) | Q(resident__isnull=True, unit__isnull=False),
                name="booking_exactly_one_booker",
            ),
            models.CheckConstraint(
                condition=Q(status=BookingStatus.ACTIVE, cancelled_at__isnull=True)
                | Q(status=BookingStatus.CANCELLED, cancelled_at__isnull=False),
                name="booking_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(attendees__isnull=True) | Q(attendees__gte=1), name="booking_attendees_positive"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="booking_price_not_negative"),
        ]

    def __str__(self):
        return span_text(self.starts_at, self.ends_at)

    @property
    def span_text(self) -> str:
        return span_text(self.starts_at, self.ends_at)


class BookingSlot(models.Model):
    """One booked half-hour of a resource. The unique constraint is the database's own refusal of
    a double booking; rows exist only while their booking is active."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "starts_at"], name="booking_slot_one_booking_per_slot"),
        ]
