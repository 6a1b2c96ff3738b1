"""Authentication shared by every app's API: bearer tokens for systems, sessions for people."""

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer, django_auth

# `last_used_at` shows administrators which systems still call; to the minute is enough, and a write
# on every request would make all of one system's requests queue on its token's row.
USE_STAMP_INTERVAL = timedelta(minutes=1)


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
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= USE_STAMP_INTERVAL:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


API_AUTH = [TokenAuth(), django_auth]


__all__ = ["API_AUTH", "TokenAuth"]
