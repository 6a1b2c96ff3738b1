from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """{% if user|can:"import_ledgers" %}: the role check of accounts.roles, in a template."""
    return bool(user and user.is_authenticated and user.can(capability))
