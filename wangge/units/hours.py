"""Opening hours: per weekday, a list of time ranges, on the half-hour grid bookings use.

The stored form is a dict from weekday ("mon" … "sun") to sorted, non-overlapping
["HH:MM", "HH:MM"] pairs, e.g. {"mon": [["08:00", "12:00"], ["14:00", "18:00"]]}; a day that is
missing or empty is closed. "24:00" may end a range. People write the same thing as text:
"周一至周五 08:00-12:00, 14:00-18:00；周六 09:00-17:00" (`parse_week_text` / `format_week_text`),
which is what forms and spreadsheets use.

`check_*` functions return None when valid and otherwise a reason a user can act on, like
`wangge.core.validators`.
"""

import datetime
import re

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SLOT_MINUTES = 30
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)
_TEXT_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# What people write for a weekday (周一, 星期一, 礼拜一; 周日 is also 周天/周七).
_DAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY = r"(?:周|星期|礼拜)([一二三四五六日天七])"
_DAY_RANGE = re.compile(rf"^{_DAY}\s*(?:至|到|-|~|—|–)\s*{_DAY}$")
_DAY_ONE = re.compile(rf"^{_DAY}$")
_DAY_GROUPS = {
    "每天": range(7),
    "每日": range(7),
    "全天": range(7),
    "工作日": range(5),
    "周末": range(5, 7),
    "双休日": range(5, 7),
}
_CLOSED_WORDS = {"", "休息", "关闭", "不开放", "闭馆"}
_TIME = re.compile(r"^([0-9]{1,2})[:：]([0-9]{2})$")
_RANGE_SPLIT = re.compile(r"\s*[,，、]\s*")
_RANGE_DASH = re.compile(r"\s*(?:-|~|—|–|至|到)\s*")
_SEGMENT_SPLIT = re.compile(r"\s*[;；\n]\s*")
# A segment is the days, then (after optional spaces) the ranges starting with a digit, or a closed word.
_SEGMENT = re.compile(r"^(.*?)\s*([0-9].*|休息|关闭|不开放|闭馆)?$")


def minutes_of(text: str) -> int | None:
    """ "08:30" → 510; "24:00" → 1440; None when it is not a time on the half-hour grid."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hours, mins = int(match.group(1)), int(match.group(2))
    if mins >= 60 or hours > 24 or (hours == 24 and mins) or mins % SLOT_MINUTES:
        return None
    return hours * 60 + mins


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_week(value) -> str | None:
    """The stored form's rules: known weekdays, well-formed times on the half hour, each range
    non-empty, ranges in order and apart."""
    if not isinstance(value, dict):
        return _("开放时间应为按星期排列的时间段")
    for day, ranges in value.items():
        if day not in WEEKDAYS:
            return _("开放时间中的星期 %(d)s 无法识别，应为 mon、tue … sun") % {"d": day}
        label = WEEKDAY_LABELS[WEEKDAYS.index(day)]
        if not isinstance(ranges, list):
            return _("%(day)s的开放时间应为时间段列表") % {"day": label}
        previous_end = -1
        for pair in ranges:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(t, str) for t in pair):
                return _('%(day)s的开放时间段应写成 [开始, 结束]，如 ["08:00", "12:00"]') % {"day": label}
            start, end = minutes_of(pair[0]), minutes_of(pair[1])
            if start is None or end is None:
                return _("%(day)s的时间 %(t)s 不正确：应为 00:00 至 24:00 之间的整点或半点") % {
                    "day": label,
                    "t": "-".join(pair),
                }
            if start >= end:
                return _("%(day)s的时间段 %(t)s 结束时间应晚于开始时间") % {"day": label, "t": "-".join(pair)}
            if start < previous_end:
                return _("%(day)s的时间段应按时间先后排列且互不重叠") % {"day": label}
            previous_end = end
    return None


def normalise_week(value: dict) -> dict:
    """The canonical stored form: weekdays in order, closed days left out, times as HH:MM.
    Call only on a value that passed `check_week`."""
    week = {}
    for day in WEEKDAYS:
        ranges = [[hhmm(minutes_of(a)), hhmm(minutes_of(b))] for a, b in value.get(day) or []]
        if ranges:
            week[day] = ranges
    return week


def _days_of(spec: str) -> list[int] | None:
    spec = spec.strip()
    if spec in _DAY_GROUPS:
        return list(_DAY_GROUPS[spec])
    days: list[int] = []
    for part in re.split(r"\s*[、,，]\s*", spec):
        span = _DAY_RANGE.match(part)
        if span:
            first, last = _DAY_WORDS[span.group(1)], _DAY_WORDS[span.group(2)]
            if first > last:
                return None
            days.extend(range(first, last + 1))
            continue
        one = _DAY_ONE.match(part)
        if not one:
            return None
        days.append(_DAY_WORDS[one.group(1)])
    return days


def parse_ranges(text: str) -> list[list[str]]:
    """ "08:00-12:00, 14:00-18:00" → [["08:00", "12:00"], ["14:00", "18:00"]]. Raises ValueError
    with a reason."""
    text = text.strip()
    if text in _CLOSED_WORDS:
        return []
    ranges = []
    for piece in _RANGE_SPLIT.split(text):
        ends = _RANGE_DASH.split(piece)
        if len(ends) != 2:
            raise ValueError(_("时间段 %(t)s 应写成 开始-结束，如 08:00-12:00") % {"t": piece})
        ranges.append([ends[0], ends[1]])
    return ranges


def parse_week_text(text: str) -> dict:
    """ "周一至周五 08:00-12:00,14:00-18:00；周六 09:00-17:00" → the stored form. Segments are
    separated by ；or a new line; a later segment for the same day replaces an earlier one.
    Raises ValueError with a reason a user can act on."""
    week: dict[str, list] = {}
    for segment in _SEGMENT_SPLIT.split(text.strip()):
        if not segment:
            continue
        match = _SEGMENT.match(segment)
        days = _days_of(match.group(1)) if match.group(1) else None
        if days is None:
            raise ValueError(
                _("无法识别“%(s)s”中的星期：请写成“周一至周五”“周六、周日”“每天”或“工作日”") % {"s": segment}
            )
        if not match.group(2):
            raise ValueError(_("“%(s)s”后面缺少时间段：请写如 08:00-12:00，不开放请写“休息”") % {"s": segment})
        ranges = parse_ranges(match.group(2))
        for day in days:
            week[WEEKDAYS[day]] = ranges
    reason = check_week(week)
    if reason:
        raise ValueError(reason)
    return normalise_week(week)


def day_text(ranges: list) -> str:
    return ", ".join(f"{a}-{b}" for a, b in ranges)


def _grouped(week: dict, labels, through) -> list[str]:
    """Days with equal hours grouped, runs of three or more days written first-through-last."""
    groups: dict[tuple, list[int]] = {}
    for index, day in enumerate(WEEKDAYS):
        ranges = week.get(day) or []
        if ranges:
            groups.setdefault(tuple(tuple(r) for r in ranges), []).append(index)
    segments = []
    for ranges, days in groups.items():
        runs, run = [], [days[0]]
        for day in days[1:]:
            if day == run[-1] + 1:
                run.append(day)
            else:
                runs.append(run)
                run = [day]
        runs.append(run)
        words = []
        for run in runs:
            if len(run) >= 3:
                words.append(through(str(labels[run[0]]), str(labels[run[-1]])))
            else:
                words.extend(str(labels[d]) for d in run)
        segments.append(f"{'、'.join(words)} {day_text(ranges)}")
    return segments


def format_week_text(week: dict) -> str:
    """The stored form as text `parse_week_text` reads back ("周一至周五 08:00-18:00；周六 …").
    It is a data format, the same in every interface language (pages show `describe_week`)."""
    return "；".join(_grouped(week, _TEXT_DAYS, lambda first, last: f"{first}至{last}"))


def describe_week(week: dict) -> list[str]:
    """One line per group of days with equal hours, in the interface language."""
    return _grouped(week, WEEKDAY_LABELS, lambda first, last: _("%(first)s至%(last)s") % {"first": first, "last": last})


def ranges_on(week: dict, day: datetime.date) -> list[tuple[int, int]]:
    """Opening ranges of one calendar date, in minutes since midnight."""
    return [(minutes_of(a), minutes_of(b)) for a, b in week.get(WEEKDAYS[day.weekday()]) or []]


def within_opening(week: dict, start: datetime.datetime, end: datetime.datetime) -> bool:
    """Whether [start, end) — local, naive or aware in the same zone — lies inside one opening
    range of start's date. A booking never runs past midnight (a range may end at 24:00)."""
    day = start.date()
    begin = start.hour * 60 + start.minute
    midnight = datetime.datetime.combine(day, datetime.time(), tzinfo=start.tzinfo)
    finish = int((end - midnight).total_seconds() // 60)
    return any(a <= begin and finish <= b for a, b in ranges_on(week, day))


def is_on_slot_grid(moment: datetime.datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % SLOT_MINUTES == 0


def slot_starts(start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    step = datetime.timedelta(minutes=SLOT_MINUTES)
    starts, moment = [], start
    while moment < end:
        starts.append(moment)
        moment += step
    return starts


def span_text(start: datetime.datetime, end: datetime.datetime) -> str:
    """ "2026-03-02 09:00–10:30" in local time; a span ending at midnight ends at 24:00."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    finish = "24:00" if end.date() > start.date() and end.time() == datetime.time() else f"{end:%H:%M}"
    return f"{date_format(start, 'Y-m-d')} {start:%H:%M}–{finish}"
