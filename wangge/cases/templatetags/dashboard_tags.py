import json

from django import template

from wangge.accounts.roles import VIEW_INDICATORS

register = template.Library()


@register.filter
def can_view_indicators(user) -> bool:
    return bool(user and user.is_authenticated and user.can(VIEW_INDICATORS))


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


@register.filter
def get(row, key):
    return row.get(key) if isinstance(row, dict) else None


@register.filter
def json_attr(value) -> str:
    """JSON for a data- attribute (escaped by autoescape when used as {{ x|json_attr }})."""
    return json.dumps(value, ensure_ascii=False)
