from django.conf import settings

from wangge.accounts.roles import MANAGE_USERS, VIEW_AUDIT


def site(request):
    user = getattr(request, "user", None)
    can = (lambda c: user.can(c)) if user is not None and user.is_authenticated else (lambda c: False)
    return {
        "tile_url": settings.WANGGE_TILE_URL,
        "tile_attribution": settings.WANGGE_TILE_ATTRIBUTION,
        "nav_can_manage_users": can(MANAGE_USERS),
        "nav_can_view_audit": can(VIEW_AUDIT),
    }
