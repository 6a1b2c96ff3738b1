"""The proof behind `manage.py points_check`: every cached balance equals the sum of its entries,
every movement sums to zero, and so does the whole ledger."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from .models import HOLDER_KINDS, Account, Entry, Movement

ZERO = Decimal("0.0")


def problems() -> list[str]:
    """Readable lines, one per discrepancy; empty when the ledger reconciles."""
    found: list[str] = []
    accounts = Account.objects.annotate(
        entry_points=Coalesce(Sum("entries__points"), 0),
        entry_hours=Coalesce(Sum("entries__hours"), ZERO),
    ).order_by("pk")
    for account in accounts.iterator(chunk_size=2000):
        if account.balance != account.entry_points or account.hours != account.entry_hours:
            found.append(
                f"账户 {account.pk}（{account.name}）：余额 {account.balance} 分 / {account.hours} 小时，"
                f"分录合计 {account.entry_points} 分 / {account.entry_hours} 小时"
            )
        if account.kind in HOLDER_KINDS and (account.entry_points < 0 or account.entry_hours < 0):
            found.append(f"账户 {account.pk}（{account.name}）：分录合计为负数")
    unbalanced = (
        Movement.objects.annotate(
            points=Coalesce(Sum("entries__points"), 0), hours=Coalesce(Sum("entries__hours"), ZERO)
        )
        .filter(~Q(points=0) | ~Q(hours=ZERO))
        .values_list("pk", "key", "points", "hours")
    )
    for pk, key, points, hours in unbalanced:
        found.append(f"变动 {pk}（{key}）：分录合计 {points} 分 / {hours} 小时，不为零")
    lonely = Movement.objects.annotate(n=Count("entries")).filter(n=1).values_list("pk", "key")
    for pk, key in lonely:
        found.append(f"变动 {pk}（{key}）：只有一条分录")
    totals = Entry.objects.aggregate(points=Coalesce(Sum("points"), 0), hours=Coalesce(Sum("hours"), ZERO))
    if totals["points"] != 0 or totals["hours"] != ZERO:
        found.append(f"全部分录合计 {totals['points']} 分 / {totals['hours']} 小时，不为零")
    return found


def summary() -> dict:
    return {
        "accounts": Account.objects.count(),
        "movements": Movement.objects.count(),
        "entries": Entry.objects.count(),
    }
