"""Who a bearer token belongs to, remembered by each process for a few seconds.

A system such as the 12345 hotline calls many times a second with the same token; looking the
token, its user and the user's scope up on every call costs a three-table query each time. Each
process keeps what it found for `WANGGE_TOKEN_CACHE_SECONDS` (default 5). Revoking a token or
changing or deactivating its user through the ORM empties the cache of the process that did it at
once (signals below); other processes notice within those seconds. 0 turns the cache off."""

import copy
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ApiToken, User

# `last_used_at` shows administrators which systems still call; to the minute is enough, and a write
# on every request would make all of one system's requests queue on its token's row.
USE_STAMP_INTERVAL = timedelta(minutes=1)

# digest -> (user as read, time.monotonic() after which it must be read again)
_found: dict[str, tuple[User, float]] = {}


def forget(**_kwargs) -> None:
    """Drop everything remembered (connected to User and ApiToken saves and deletes)."""
    _found.clear()


def _lookup(digest: str) -> User | None:
    found = (
        ApiToken.objects.select_related("user", "user__scope_region", "user__scope_department")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= USE_STAMP_INTERVAL:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


def user_for_token(raw: str) -> User | None:
    """The active user of an unrevoked token, or None. Each caller gets its own copy of the user,
    so what one request sets on it never shows in another."""
    digest = ApiToken.digest_of(raw)
    seconds = getattr(settings, "WANGGE_TOKEN_CACHE_SECONDS", 5)
    now = time.monotonic()
    hit = _found.get(digest)
    if hit is not None and hit[1] > now:
        return copy.copy(hit[0])
    user = _lookup(digest)
    if user is None:
        _found.pop(digest, None)  # only tokens that work are remembered: guesses fill nothing
        return None
    if seconds > 0:
        _found[digest] = (user, now + seconds)
        return copy.copy(user)
    return user
