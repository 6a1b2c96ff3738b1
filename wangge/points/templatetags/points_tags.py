from django import template

from wangge.accounts.roles import EDIT_POINT_RULES, VIEW_POINTS

register = template.Library()


@register.simple_tag
def points_nav(user) -> dict:
    """Which of this app's links the navigation bar shows the user."""
    if user is None or not user.is_authenticated:
        return {}
    return {"staff": user.can(VIEW_POINTS), "rules": user.can(EDIT_POINT_RULES)}
