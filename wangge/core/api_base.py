"""Authentication shared by every app's API: bearer tokens for systems, sessions for people."""

from django.utils import timezone
from ninja.security import HttpBearer, django_auth


class TokenAuth(HttpBearer):
    """`Authorization: Bearer wg_…` for systems; people use their browser session."""

    def authenticate(self, request, token):
        from wangge.accounts.models import ApiToken

        found = (
            ApiToken.objects.select_related("user", "user__scope_region", "user__scope_department")
            .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


API_AUTH = [TokenAuth(), django_auth]


__all__ = ["API_AUTH", "TokenAuth"]
