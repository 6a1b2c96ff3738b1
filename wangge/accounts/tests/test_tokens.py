"""Bearer tokens as each process remembers them for a few seconds (wangge/accounts/tokens.py)."""

import pytest
from django.test import Client

from wangge.accounts import services, tokens
from wangge.accounts.models import ApiToken, User
from wangge.accounts.roles import Role


@pytest.fixture
def token(users):
    _token, raw = services.token_create(actor=users["admin"], user=users["dispatcher_a"], name="bridge")
    return raw


def me(raw):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the cache reads, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(tokens.time, "monotonic", lambda: now[0])
    return now


def test_a_revoked_token_stops_working_at_once_in_the_process_that_revoked_it(users, token):
    assert me(token).status_code == 200
    services.token_revoke(actor=users["admin"], token=ApiToken.objects.get())
    assert me(token).status_code == 401


def test_a_changed_or_deactivated_user_is_seen_at_once(users, token):
    assert me(token).json()["role"] == Role.STREET_DISPATCHER
    services.user_update(actor=users["admin"], user=users["dispatcher_a"], role=Role.COMMUNITY_STAFF,
                         region_code="510502001001")  # fmt: skip
    assert me(token).json()["role"] == Role.COMMUNITY_STAFF
    services.user_update(actor=users["admin"], user=User.objects.get(username="dispatcher_a"), is_active=False)
    assert me(token).status_code == 401


def test_a_revocation_made_by_another_process_takes_effect_within_the_cache_time(users, token, clock, settings):
    settings.WANGGE_TOKEN_CACHE_SECONDS = 5
    assert me(token).status_code == 200
    # Another process revokes it: nothing here hears of it (a queryset update sends no signal).
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    clock[0] += 4
    assert me(token).status_code == 200
    clock[0] += 2
    assert me(token).status_code == 401


def test_with_the_cache_off_every_request_looks_the_token_up(users, token, settings):
    settings.WANGGE_TOKEN_CACHE_SECONDS = 0
    assert me(token).status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert me(token).status_code == 401


def test_each_request_gets_its_own_copy_of_the_user(users, token):
    first = tokens.user_for_token(token)
    first.display_name = "changed by one request"
    second = tokens.user_for_token(token)
    assert second is not first and second.display_name == users["dispatcher_a"].display_name
    assert second.scope_region.code == users["dispatcher_a"].scope_region.code


def test_unknown_tokens_are_refused_and_not_remembered(users):
    assert me("wg_not-a-token").status_code == 401
    assert tokens.user_for_token("wg_not-a-token") is None
    assert ApiToken.digest_of("wg_not-a-token") not in tokens._found
