import pytest

from conftest import PASSWORD
from wangge.accounts import services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent


def test_an_administrator_creates_a_user_inside_their_scope_and_it_is_audited(users, tree):
    user = services.user_create(
        actor=users["admin_a"],
        username="gw2",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        display_name="网格员二",
        phone="13800138000",
        region_code="510502001001002",
    )
    assert user.scope_region.code == "510502001001002" and user.check_password(PASSWORD)
    event = AuditEvent.objects.get(verb="user.create", target_id=str(user.pk))
    assert event.actor == users["admin_a"] and event.scope_key == "510502001001002"
    assert event.after["role"] == "grid_worker" and "password" not in event.after


def test_a_scope_outside_the_administrators_own_is_refused_as_not_found(users):
    with pytest.raises(NotFound) as caught:
        services.user_create(
            actor=users["admin_a"],
            username="x",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            region_code="510502002001001",
        )
    assert caught.value.field == "region"
    assert not User.objects.filter(username="x").exists()


def test_only_administrators_manage_users(users):
    with pytest.raises(Forbidden):
        services.user_create(
            actor=users["dispatcher_a"],
            username="x",
            password=PASSWORD,
            role=Role.RESIDENT,
            region_code="510502001001001",
        )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"username": "admin"}, "username"),
        ({"username": " "}, "username"),
        ({"role": "emperor"}, "role"),
        ({"phone": "12345"}, "phone"),
        ({"password": "123"}, "password"),
        ({"region_code": None}, "region"),
        ({"region_code": "510502001001999"}, "region"),
        ({"role": Role.DEPARTMENT_HANDLER, "region_code": None}, "department"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(users, changes, field):
    values = {"username": "newbie", "password": PASSWORD, "role": Role.GRID_WORKER, "region_code": "510502001001001"}
    values.update(changes)
    events = AuditEvent.objects.count()
    users_before = User.objects.count()
    with pytest.raises(DomainError) as caught:
        services.user_create(actor=users["admin"], **values)
    assert caught.value.field == field and caught.value.message
    assert User.objects.count() == users_before and AuditEvent.objects.count() == events


def test_department_handlers_are_scoped_to_a_department(users, tree):
    user = services.user_create(
        actor=users["admin"],
        username="h2",
        password=PASSWORD,
        role=Role.DEPARTMENT_HANDLER,
        department_code="510502-CG",
    )
    assert user.scope_department == tree["department"] and user.scope_region is None
    assert user.scope_key == "510502"


def test_updates_record_before_and_after(users):
    target = users["dispatcher_a"]
    services.user_update(actor=users["admin"], user=target, region_code="510502002000", display_name="调岗")
    target.refresh_from_db()
    assert target.scope_region.code == "510502002000"
    event = AuditEvent.objects.filter(verb="user.update").latest("id")
    assert event.before["display_name"] == "dispatcher_a" and event.after["display_name"] == "调岗"
    assert event.before["scope_region"] != event.after["scope_region"]


def test_an_update_that_changes_nothing_writes_no_audit(users):
    events = AuditEvent.objects.count()
    services.user_update(actor=users["admin"], user=users["dispatcher_a"], display_name="dispatcher_a")
    assert AuditEvent.objects.count() == events


def test_administrators_cannot_lock_themselves_out(users):
    with pytest.raises(DomainError, match="自己"):
        services.user_update(actor=users["admin"], user=users["admin"], is_active=False)


def test_tokens_are_stored_as_hashes_and_can_be_revoked(users):
    token, raw = services.token_create(actor=users["admin"], user=users["dispatcher_a"], name="bridge")
    assert raw.startswith("wg_") and raw not in token.digest and token.prefix == raw[:8]
    services.token_revoke(actor=users["admin"], token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(verb="token.revoke").count() == 1


def test_the_audit_log_keeps_phones_masked(users):
    user = services.user_create(
        actor=users["admin"],
        username="p1",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        phone="13912345678",
        region_code="510502001001001",
    )
    services.user_update(actor=users["admin"], user=user, phone="13987655678")
    for event in AuditEvent.objects.filter(target_id=str(user.pk)):
        assert "13912345678" not in str(event.before) + str(event.after)
        assert "13987655678" not in str(event.before) + str(event.after)
    # The two numbers share a mask, yet the change was still recorded.
    assert AuditEvent.objects.filter(target_id=str(user.pk), verb="user.update").count() == 1


def test_moving_a_user_out_of_a_scope_is_visible_to_the_old_scopes_administrators(users):
    from wangge.core.selectors import audit_list

    services.user_update(actor=users["admin"], user=users["dispatcher_a"], region_code="510502002000")
    seen_by_a = audit_list(user=users["admin_a"], verb="user.update")
    assert [e.after["scope_region"] for e in seen_by_a] == ["510502002000"]


def test_an_overlong_name_is_refused_on_update(users):
    with pytest.raises(DomainError) as caught:
        services.user_update(actor=users["admin"], user=users["dispatcher_a"], display_name="名" * 60)
    assert caught.value.field == "display_name"


def test_commands_create_users_and_tokens(users, monkeypatch):
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.test import Client

    monkeypatch.setenv("WANGGE_NEW_PASSWORD", PASSWORD)
    call_command("create_user", "boss", "--role", "administrator", "--region", "510500000000", stdout=StringIO())
    assert User.objects.get(username="boss").scope_region.code == "510500000000"
    with pytest.raises(CommandError, match="区域"):
        call_command("create_user", "nobody", "--role", "leader", "--region", "519999000000", stdout=StringIO())
    out = StringIO()
    call_command("create_token", "boss", "--name", "热线对接", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").json()["username"] == "boss"
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_token", "ghost", "--name", "x", stdout=StringIO())
