from django.db.models import Q, QuerySet

from wangge.core.scope import get_or_404, scope_key_of

from .models import User
from .roles import MANAGE_USERS, require


def visible_users(*, user) -> QuerySet:
    """Accounts bound to a scope inside the viewer's own scope."""
    key = scope_key_of(user)
    if key is None:
        return User.objects.none()
    return (
        User.objects.filter(Q(scope_region__key__startswith=key) | Q(scope_department__region_key__startswith=key))
        .select_related("scope_region", "scope_department")
        .order_by("username")
    )


def user_list(*, user, role: str = "", q: str = "") -> QuerySet:
    require(user, MANAGE_USERS)
    users = visible_users(user=user)
    if role:
        users = users.filter(role=role)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return users


def user_get(*, user, username: str) -> User:
    require(user, MANAGE_USERS)
    return get_or_404(visible_users(user=user), username=username)


def staff_of_region(*, user, region) -> QuerySet:
    """Staff bound to exactly this node (the people a page about the node should name)."""
    return visible_users(user=user).filter(scope_region=region, is_active=True).exclude(role="resident")
