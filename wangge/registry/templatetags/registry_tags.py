from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"view_people" %}`: whether the user's role holds a capability."""
    return bool(getattr(user, "is_authenticated", False) and user.can(capability))
