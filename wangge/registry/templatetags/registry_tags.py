from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"view_people" %}`: whether the user's role holds a capability."""
    return bool(getattr(user, "is_authenticated", False) and user.can(capability))


@register.filter
def age_on(birth_date, day) -> int | None:
    """Whole years from a birth date to a day."""
    if not birth_date or not day:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
