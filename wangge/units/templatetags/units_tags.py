from django import template

from wangge.accounts.roles import BOOK_FOR_SELF, VIEW_UNITS

register = template.Library()


@register.simple_tag
def units_nav(user) -> dict:
    """Which of this app's links the navigation bar shows the user."""
    if user is None or not user.is_authenticated:
        return {}
    return {"units": user.can(VIEW_UNITS), "resources": user.can(VIEW_UNITS) or user.can(BOOK_FOR_SELF)}
