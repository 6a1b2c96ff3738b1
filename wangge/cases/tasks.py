"""Background work for cases: the dispatch suggestion of a new case (and its auto-apply), and the
SLA sweep (warn before the deadline, mark breaches and move the case one level up).

Run the sweep periodically: `manage.py sla_sweep --loop 300`, cron calling
`manage.py sla_sweep`, or by enqueueing `sla_sweep` from any scheduler."""

import logging
from datetime import datetime

from django.utils import timezone
from django_tasks import task

from wangge.core.errors import DomainError

from .attachments import purge_stale_uploads
from .models import CLOCK_RUNNING, Case
from .suggestions import suggest_and_apply
from .visits import take_visit_problems
from .workflow import case_transition

log = logging.getLogger(__name__)


def run_sla_sweep(*, now: datetime | None = None) -> dict:
    """One pass over the running clocks. Idempotent: a case is warned once and breached once per
    clock (the marks are conditional updates), so two sweeps at once or one run twice do no harm."""
    now = now or timezone.now()
    counts = {"breached": 0, "warned": 0, "skipped": 0}
    running = Case.objects.filter(status__in=list(CLOCK_RUNNING), paused_at__isnull=True)
    # Breaches first: a case already past its deadline needs no warning any more.
    for action, found, key in (
        ("breach", running.filter(breached_at__isnull=True, due_at__lte=now), "breached"),
        ("warn", running.filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now), "warned"),
    ):
        for case in found.order_by("due_at", "id").only("id", "version").iterator(chunk_size=500):
            try:
                case_transition(case=case, action=action, actor=None, at=now)
                counts[key] += 1
            except DomainError as error:  # moved on meanwhile (closed, suspended, marked by another sweep)
                log.info("sla sweep skipped case %s (%s): %s", case.pk, action, error.message)
                counts["skipped"] += 1
    counts["purged_uploads"] = purge_stale_uploads(now=now)
    counts["visit_problems"] = take_visit_problems()["taken"]
    return counts


@task()
def sla_sweep() -> dict:
    return run_sla_sweep()


@task()
def suggest_case(*, case_id: int) -> str:
    return suggest_and_apply(case_id)
