"""The one way reads are limited to a user's scope (ARCHITECTURE habit 2)."""

from django.db.models import QuerySet

from .errors import NotFound


def scope_key_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.scope_key


def restrict(queryset: QuerySet, user, key_field: str = "region_key") -> QuerySet:
    """Rows whose region key lies under the user's scope; nothing for a user without one."""
    key = scope_key_of(user)
    if key is None:
        return queryset.none()
    return queryset.filter(**{f"{key_field}__startswith": key})


def in_scope(user, key: str) -> bool:
    scope = scope_key_of(user)
    return scope is not None and key.startswith(scope)


def get_or_404(queryset: QuerySet, **lookup):
    """One object from an already-restricted queryset; missing and forbidden look the same."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise NotFound("未找到该对象，或不在您的管辖范围内")
    return obj
