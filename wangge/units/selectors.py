"""Reads of units, resources and bookings, each starting from the user's scope.

Staff (capability `view_units`) see the units, resources and bookings of their region subtree.
Residents see the open resources of their own community and only their own bookings; on a
resource's calendar they see that other slots are taken, not by whom."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import BOOK_FOR_SELF, MANAGE_UNITS, VIEW_PEOPLE, VIEW_UNITS, require
from wangge.core.errors import DomainError, NotFound
from wangge.core.scope import get_or_404, restrict
from wangge.regions.models import Compound, Level, Region

from .bookings import community_key
from .hours import WEEKDAY_LABELS, hhmm, ranges_on
from .models import Booking, BookingStatus, Resource, Unit


def _region(user, code: str) -> Region:
    region = restrict(Region.objects.all(), user, "key").filter(code=code).first()
    if region is None:
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": code}, field="region")
    return region


# ---- units ----------------------------------------------------------------------------------


def visible_units(*, user) -> QuerySet:
    return restrict(Unit.objects.select_related("grid", "compound"), user)


def unit_list(
    *, user, q: str = "", kind: str = "", barred: bool | None = None, party: bool | None = None, region_code: str = ""
) -> QuerySet:
    """Units of the user's subtree (or of one region inside it), by grid then name."""
    require(user, VIEW_UNITS)
    units = visible_units(user=user)
    if region_code:
        units = units.filter(region_key__startswith=_region(user, region_code).key)
    q = (q or "").strip()
    if q:
        units = units.filter(
            Q(name__icontains=q) | Q(credit_code=q.upper()) | Q(contact_name=q) | Q(address__icontains=q)
        )
    if kind:
        units = units.filter(kind=kind)
    if barred is not None:
        units = units.filter(booking_barred=barred)
    if party is not None:
        units = units.filter(has_party_organisation=party)
    return units.order_by("region_key", "name", "id")


def unit_get(*, user, pk: int) -> Unit:
    require(user, VIEW_UNITS)
    return get_or_404(visible_units(user=user), pk=pk)


def unit_options(*, user, limit: int = 2000) -> list[Unit]:
    """Names and codes of the scope's units, for a form's suggestions."""
    require(user, VIEW_UNITS)
    return list(restrict(Unit.objects.only("name", "credit_code"), user).order_by("name")[:limit])


def units_near(*, user, resource: Resource) -> QuerySet:
    """Units of the user's scope in the resource's community: the ones that book it."""
    require(user, VIEW_UNITS)
    return visible_units(user=user).filter(region_key__startswith=resource.region_key[:12]).order_by("name")


def grids_in_scope(*, user, limit: int = 2000) -> list[Region]:
    return list(
        restrict(Region.objects.filter(level=Level.GRID), user, "key").only("code", "name").order_by("key")[:limit]
    )


def compounds_of_grid(*, user, grid_code: str) -> QuerySet:
    return restrict(Compound.objects.all(), user).filter(grid__code=grid_code).only("name").order_by("name")


# ---- resources ------------------------------------------------------------------------------


def visible_resources(*, user) -> QuerySet:
    resources = Resource.objects.select_related("owner_unit", "owner_compound")
    if user is not None and user.is_authenticated and user.can(VIEW_UNITS):
        return restrict(resources, user)
    if user is not None and user.is_authenticated and user.can(BOOK_FOR_SELF):
        key = community_key(user)
        if key is not None:
            return resources.filter(region_key__startswith=key, is_active=True)
    return resources.none()


def resource_list(
    *,
    user,
    q: str = "",
    kind: str = "",
    region_code: str = "",
    owner_unit: Unit | None = None,
    owner_compound: Compound | None = None,
) -> QuerySet:
    """Resources the user may see: staff their subtree's, residents their community's open ones."""
    resources = visible_resources(user=user)
    if region_code:
        resources = resources.filter(region_key__startswith=_region(user, region_code).key)
    q = (q or "").strip()
    if q:
        resources = resources.filter(
            Q(name__icontains=q)
            | Q(location__icontains=q)
            | Q(owner_unit__name__icontains=q)
            | Q(owner_compound__name__icontains=q)
        )
    if kind:
        resources = resources.filter(kind=kind)
    if owner_unit is not None:
        resources = resources.filter(owner_unit=owner_unit)
    if owner_compound is not None:
        resources = resources.filter(owner_compound=owner_compound)
    return resources.order_by("region_key", "name", "id")


def resource_get(*, user, pk: int) -> Resource:
    return get_or_404(visible_resources(user=user), pk=pk)


# ---- bookings -------------------------------------------------------------------------------


def visible_bookings(*, user) -> QuerySet:
    bookings = Booking.objects.select_related("resource", "unit", "resident")
    if user is not None and user.is_authenticated and user.can(VIEW_UNITS):
        return restrict(bookings, user, "resource__region_key")
    if user is not None and user.is_authenticated and user.can(BOOK_FOR_SELF):
        return bookings.filter(resident=user)
    return bookings.none()


def booking_list(
    *,
    user,
    resource: Resource | None = None,
    unit: Unit | None = None,
    status: str = "",
    upcoming: bool = False,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet:
    """Bookings the user may see (staff: their subtree's; residents: their own), soonest first."""
    bookings = visible_bookings(user=user)
    if resource is not None:
        bookings = bookings.filter(resource=resource)
    if unit is not None:
        bookings = bookings.filter(unit=unit)
    if status:
        bookings = bookings.filter(status=status)
    if upcoming:
        bookings = bookings.filter(ends_at__gt=timezone.now())
    if start is not None:
        bookings = bookings.filter(ends_at__gt=start)
    if end is not None:
        bookings = bookings.filter(starts_at__lt=end)
    return bookings.order_by("starts_at", "id")


def booking_get(*, user, pk: int) -> Booking:
    return get_or_404(visible_bookings(user=user), pk=pk)


def booker_label(user, booking: Booking) -> str:
    """Who booked, as this viewer may know it: staff see the unit (and a resident's name only
    with the right to see people); residents see only which bookings are theirs."""
    if user.can(VIEW_UNITS):
        if booking.unit_id:
            return booking.unit.name
        if user.can(VIEW_PEOPLE):
            return str(booking.resident)
        return _("居民")
    if booking.resident_id == user.pk:
        return _("我的预约")
    return _("已预约")


@dataclass
class CalendarEntry:
    booking: Booking
    booking_id: int | None  # only for the viewer's own bookings, or for staff
    start: str
    end: str
    label: str
    mine: bool
    can_cancel: bool
    minutes: tuple[int, int]  # since local midnight
    left: float = 0.0  # position on the day's bar, percent of the week's window
    width: float = 0.0


@dataclass
class CalendarDay:
    date: datetime.date
    weekday: str
    opening: list[tuple[str, str]]
    opening_minutes: list[tuple[int, int]]
    entries: list[CalendarEntry] = field(default_factory=list)
    opening_bars: list[tuple[float, float]] = field(default_factory=list)
    is_today: bool = False
    is_past: bool = False


@dataclass
class CalendarWeek:
    start: datetime.date
    days: list[CalendarDay]
    window: tuple[int, int]  # minutes: earliest opening to latest closing of the week
    ticks: list[tuple[str, float]]  # hour labels on the bars

    @property
    def previous(self) -> datetime.date:
        return self.start - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.start + datetime.timedelta(days=7)

    @property
    def times(self) -> list[str]:
        """Every half hour of the window, for the booking form's time pickers."""
        first, last = self.window
        return [hhmm(m) for m in range(first, last + 1, 30)]


CALENDAR_REACH_DAYS = 3650


def resource_week(*, user, resource: Resource, start: datetime.date) -> CalendarWeek:
    """Seven days of the resource from `start` (today, on a phone, is the useful first day):
    opening ranges and the active bookings, each labelled for this viewer, placed on bars that
    span the week's opening window. One query."""
    today, now = timezone.localdate(), timezone.now()
    if abs((start - today).days) > CALENDAR_REACH_DAYS:
        raise DomainError(_("日历只能查看前后十年内的日期"), field="start")
    zone = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)
    finish = begin + datetime.timedelta(days=7)
    bookings = (
        Booking.objects.filter(resource=resource, status=BookingStatus.ACTIVE, starts_at__lt=finish, ends_at__gt=begin)
        .select_related("unit", "resident")
        .order_by("starts_at")
    )
    days = []
    for offset in range(7):
        day = start + datetime.timedelta(days=offset)
        ranges = ranges_on(resource.opening_hours, day)
        days.append(
            CalendarDay(
                date=day,
                weekday=str(WEEKDAY_LABELS[day.weekday()]),
                opening=[(hhmm(a), hhmm(b)) for a, b in ranges],
                opening_minutes=ranges,
                is_today=day == today,
                is_past=day < today,
            )
        )
    for booking in bookings:
        local_start, local_end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
        index = (local_start.date() - start).days
        if not 0 <= index < 7:
            continue
        first = local_start.hour * 60 + local_start.minute
        last = first + int((local_end - local_start).total_seconds() // 60)
        mine = booking.resident_id == user.pk
        days[index].entries.append(
            CalendarEntry(
                booking=booking,
                booking_id=booking.pk if mine or user.can(VIEW_UNITS) else None,
                start=hhmm(first),
                end=hhmm(min(last, 1440)),
                label=booker_label(user, booking),
                mine=mine,
                can_cancel=booking.starts_at > now and (mine or user.can(MANAGE_UNITS)),
                minutes=(first, min(last, 1440)),
            )
        )
    spans = [m for day in days for m in day.opening_minutes] + [e.minutes for day in days for e in day.entries]
    window = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else (8 * 60, 22 * 60)
    size = window[1] - window[0]

    def percent(minutes: int) -> float:
        return round((minutes - window[0]) * 100 / size, 2)

    for day in days:
        day.opening_bars = [(percent(a), percent(b) - percent(a)) for a, b in day.opening_minutes]
        for entry in day.entries:
            entry.left = percent(entry.minutes[0])
            entry.width = percent(entry.minutes[1]) - entry.left
    step = 120 if size <= 16 * 60 else 240
    ticks = [(hhmm(m), percent(m)) for m in range(window[0] - window[0] % 60, window[1] + 1, step) if m >= window[0]]
    return CalendarWeek(start=start, days=days, window=window, ticks=ticks)


def unit_counts(*, user) -> dict:
    """Units of the scope by kind, for the list page's summary."""
    require(user, VIEW_UNITS)
    rows = restrict(Unit.objects.all(), user).values("kind").annotate(n=Count("id")).order_by("kind")
    return {row["kind"]: row["n"] for row in rows}
