import pytest
from django.test import Client

from conftest import PASSWORD
from wangge.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_me_shows_role_scope_and_capabilities(client_for):
    body = client_for("admin_a").get("/api/v1/me").json()
    assert body["role"] == "administrator" and body["scope_key"] == "510502001"
    assert "manage_users" in body["capabilities"]
    assert "manage_users" not in client_for("dispatcher_a").get("/api/v1/me").json()["capabilities"]


def test_user_endpoints_by_caller(client_for, users):
    anonymous = Client()
    assert anonymous.get("/api/v1/users").status_code == 401
    assert post(anonymous, "/api/v1/users", {}).status_code == 401
    assert client_for("dispatcher_a").get("/api/v1/users").status_code == 403
    listed = client_for("admin_a").get("/api/v1/users").json()
    assert {u["username"] for u in listed["items"]} == {"admin_a", "dispatcher_a", "gridworker_a", "resident_a"}
    assert client_for("admin_a").get("/api/v1/users/dispatcher_b").status_code == 404
    assert client_for("admin_a").get("/api/v1/users/dispatcher_a").json()["region_code"] == "510502001000"


def test_creating_a_user_through_the_api(client_for):
    client = client_for("admin_a")
    created = post(
        client,
        "/api/v1/users",
        {
            "username": "gw9",
            "password": PASSWORD,
            "role": "grid_worker",
            "region_code": "510502001001003",
            "phone": "13900001111",
        },
    )
    assert created.status_code == 201
    assert created.json()["phone_masked"] == "139****1111"
    refused = post(
        client,
        "/api/v1/users",
        {"username": "gw10", "password": PASSWORD, "role": "grid_worker", "region_code": "510502002001001"},
    )
    assert refused.status_code == 404 and refused.json()["field"] == "region"
    invalid = post(client, "/api/v1/users", {"username": "gw11", "role": "grid_worker"})
    assert invalid.status_code == 422 and invalid.json()["field"] == "password"


def test_session_writes_need_the_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    response = post(
        client,
        "/api/v1/users",
        {"username": "z", "password": PASSWORD, "role": "resident", "region_code": "510502001001001"},
    )
    assert response.status_code in (401, 403)


def test_patching_a_user(client_for):
    client = client_for("admin")
    response = client.patch("/api/v1/users/dispatcher_a", {"is_active": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    out = client_for("admin_a").patch(
        "/api/v1/users/dispatcher_b", {"is_active": False}, content_type="application/json"
    )
    assert out.status_code == 404


def test_audit_endpoint_filters_and_stays_in_scope(client_for, users):
    client_for("admin").patch("/api/v1/users/dispatcher_b", {"display_name": "乙"}, content_type="application/json")
    admin_a = client_for("admin_a")
    assert Client().get("/api/v1/audit").status_code == 401
    assert client_for("dispatcher_a").get("/api/v1/audit").status_code == 403
    seen = admin_a.get("/api/v1/audit").json()["items"]
    assert seen and str(users["dispatcher_b"].pk) not in {e["target_id"] for e in seen}
    by_actor = client_for("admin").get("/api/v1/audit?actor=admin&verb=user.update").json()["items"]
    assert [e["target_label"] for e in by_actor] == ["乙"]
    target = str(users["dispatcher_b"].pk)
    by_target = client_for("admin").get(f"/api/v1/audit?target_type=accounts.user&target_id={target}").json()
    assert {e["verb"] for e in by_target["items"]} == {"user.create", "user.update"}
    assert all(e["request_id"] for e in by_actor)
    assert AuditEvent.objects.filter(request_id=by_actor[0]["request_id"]).count() == 1


def test_a_request_id_is_taken_from_a_trusted_proxy_only(client_for, settings):
    client = client_for("admin")
    response = client.patch(
        "/api/v1/users/dispatcher_a",
        {"display_name": "甲"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-planted-by-client",
    )
    assert response["X-Request-ID"] != "req-planted-by-client"
    assert AuditEvent.objects.get(verb="user.update").request_id == response["X-Request-ID"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # WANGGE_BEHIND_PROXY=1
    response = client.patch(
        "/api/v1/users/dispatcher_a",
        {"display_name": "甲2"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-123456789",
    )
    assert response["X-Request-ID"] == "req-123456789"
    assert AuditEvent.objects.filter(request_id="req-123456789").count() == 1


def test_absurd_pages_and_nul_characters_get_clear_errors(client_for):
    client = client_for("admin")
    for url in ("/api/v1/regions?page=" + "9" * 25, "/api/v1/users?page=0", "/api/v1/audit?page_size=100000"):
        response = client.get(url)
        assert response.status_code == 422 and response.json()["field"] in ("page", "page_size"), url
    assert client.get("/api/v1/regions/5105%00").status_code == 400
    assert client.get("/api/v1/users?q=a%00b").status_code == 400
