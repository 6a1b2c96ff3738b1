from django import template

from wangge.notify.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notify/_nav_link.html", takes_context=True)
def notifications_nav(context):
    """The navigation link with the unread count: one indexed COUNT per page."""
    if "notify_unread" in context:  # the inbox counted already
        return {"unread": context["notify_unread"]}
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user=user) if user is not None else 0}
