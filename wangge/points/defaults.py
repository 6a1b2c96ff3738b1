"""The default rule set, used for an activity type that has no rule row yet (migration 0003 seeds
the same values as rows; operators change them on the rules page)."""

from decimal import Decimal

# activity type: (points per service, points per hour, time-bank hours per hour served)
RULES = {
    "volunteer": (5, 10, "1.0"),
    "patrol": (5, 10, "1.0"),
    "environment": (5, 10, "1.0"),
    "elderly_care": (10, 10, "1.0"),
    "culture": (2, 5, "0.5"),
    "deliberation": (5, 0, "0.0"),
    "need_claim": (10, 5, "1.0"),
    "resource_share": (10, 0, "0.0"),
    "other": (2, 5, "1.0"),
}


def default_rule(activity_type: str):
    """An unsaved rule with the default values (inactive for a type the defaults do not know)."""
    from .models import PointRule

    each, per_hour, factor = RULES.get(activity_type, (0, 0, "0.0"))
    return PointRule(
        activity_type=activity_type,
        points_per_service=each,
        points_per_hour=per_hour,
        hours_factor=Decimal(factor),
        is_active=activity_type in RULES,
    )
