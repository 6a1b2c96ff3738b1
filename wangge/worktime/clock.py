"""Working time: deadlines and elapsed time that count only working hours on working days.

This is the interface the case workflow's SLA clocks call. The first version below counts calendar
time; the working calendar (hours of the working day, weekends, public holidays and make-up working
days) replaces it without changing the signatures.
"""

from datetime import datetime, timedelta


def deadline(start: datetime, *, hours: int = 0, days: int = 0) -> datetime:
    """The moment `hours` working hours plus `days` working days after `start` have passed."""
    return start + timedelta(hours=hours, days=days)


def working_seconds_between(start: datetime, end: datetime) -> int:
    """Working seconds from `start` to `end`; negative when `end` is before `start`."""
    return int((end - start).total_seconds())
