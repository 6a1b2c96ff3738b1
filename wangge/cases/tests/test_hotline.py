"""The 12345 hotline API: intake with Idempotency-Key, status, call-back; scope everywhere."""

import pytest
from django.test import Client

from conftest import make_user
from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.cases.models import Case, CaseEvent, Channel, Status
from wangge.open311.models import IdempotentRequest

from .conftest import A1, B1

URL = "/api/v1/hotline/cases"


def _token_client(people, name="hotline") -> Client:
    _token, raw = account_services.token_create(actor=people["admin"], user=people[name], name="12345系统")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def line(people):
    return _token_client(people)


def _body(**extra):
    return {
        "text": "小区门口垃圾堆积三天无人清运",
        "caller_name": "张先生",
        "caller_phone": "13800138000",
        "category": "0101",
        "lng": A1[0],
        "lat": A1[1],
        "call_id": "",
        **extra,
    }


def test_anonymous_and_other_roles_are_refused(people, client_for):
    assert Client().post(URL, _body(), content_type="application/json").status_code == 401
    response = client_for("dispatcher_a").post(URL, _body(), content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Case.objects.exists()


def test_operator_files_a_case_with_the_phone_masked(line):
    response = line.post(URL, _body(), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get(number=data["number"])
    assert case.channel == Channel.HOTLINE and case.status == Status.REPORTED
    assert case.reporter_phone_masked == "138****8000" and "13800138000" not in case.reporter_phone_cipher
    assert data["status"] == "reported" and data["is_open"] and data["category"] == "暴露垃圾"
    assert "13800138000" not in response.content.decode()


def test_an_intake_request_costs_a_fixed_handful_of_queries(line, django_assert_max_num_queries):
    """The token, the stored answer, the case and what goes with it; nothing that grows."""
    line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="warm")  # token stamped
    for n in range(2):
        with django_assert_max_num_queries(18):
            response = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"call-{n}")
        assert response.status_code == 201


def test_same_key_twice_files_one_case_and_answers_the_same(line):
    first = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="call-0001")
    second = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="call-0001")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Case.objects.count() == 1
    third = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="call-0002")
    assert third.status_code == 201 and Case.objects.count() == 2


def test_same_key_with_another_body_is_refused_clearly(line):
    line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = line.post(URL, _body(text="路灯不亮"), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "idempotency_key_reused" and data["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in data["message"]
    assert Case.objects.count() == 1


def test_keys_of_two_clients_never_collide(people, line):
    people["hotline2"] = make_user("hotline2", Role.HOTLINE_OPERATOR, people["leader"].scope_region)
    other = _token_client(people, "hotline2")
    assert line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert other.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Case.objects.count() == 2


def test_refusal_is_not_stored_and_a_fixed_retry_goes_through(line):
    bad = line.post(URL, _body(caller_phone="12345"), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400 and bad.json()["field"] == "reporter_phone"
    assert not IdempotentRequest.objects.exists() and not Case.objects.exists()
    good = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201


def test_bad_key_and_bad_input_answer_with_the_field(line):
    response = line.post(URL, _body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"
    response = line.post(URL, {"text": ""}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "text"
    response = line.post(URL, _body(lng=None, lat=None), content_type="application/json")
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_call_id_is_filed_once(line):
    assert line.post(URL, _body(call_id="RX-1"), content_type="application/json").status_code == 201
    again = line.post(URL, _body(call_id="RX-1"), content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "duplicate"


def test_operator_files_only_in_scope(people):
    people["hotline_a"] = make_user("hotline_a", Role.HOTLINE_OPERATOR, people["dispatcher_a"].scope_region)
    client = _token_client(people, "hotline_a")
    response = client.post(URL, _body(lng=B1[0], lat=B1[1]), content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "lng"
    assert not Case.objects.exists()


def test_status_in_scope_and_404_outside(people, line, drive):
    case = drive.to(Status.DISPATCHED)
    response = line.get(f"{URL}/{case.number}")
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched" and response.json()["lead_department"] == "江阳区城市管理局"
    people["hotline_b"] = make_user("hotline_b", Role.HOTLINE_OPERATOR, people["dispatcher_b"].scope_region)
    outside = _token_client(people, "hotline_b").get(f"{URL}/{case.number}")
    missing = line.get(f"{URL}/WG-2000-999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert Client().get(f"{URL}/{case.number}").status_code == 401


def test_callback_reached_rates_the_case(line, drive):
    case = drive.to(Status.CLOSED)
    url = f"{URL}/{case.number}/callback"
    response = line.post(
        url, {"result": "reached", "satisfaction": "satisfied"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="cb-1",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rated" and response.json()["rating"] == "satisfied"
    again = line.post(
        url, {"result": "reached", "satisfaction": "satisfied"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="cb-1",
    )  # fmt: skip
    assert again.status_code == 200 and again.json() == response.json()
    assert CaseEvent.objects.filter(case=case, action="rate").count() == 1


def test_callback_not_reached_notes_and_keeps_closed(line, drive):
    case = drive.to(Status.CLOSED)
    response = line.post(
        f"{URL}/{case.number}/callback", {"result": "not_reached", "comment": "无人接听"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert CaseEvent.objects.filter(case=case, action="note", text__contains="未联系上").exists()


def test_callback_unsatisfied_reopens(line, drive):
    case = drive.to(Status.CLOSED)
    response = line.post(
        f"{URL}/{case.number}/callback",
        {"result": "reached", "satisfaction": "unsatisfied", "comment": "垃圾又堆起来了", "reopen": True},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "dispatched"


def test_callback_refusals(people, line, drive):
    case = drive.to(Status.DISPATCHED)
    url = f"{URL}/{case.number}/callback"
    early = line.post(url, {"result": "reached", "satisfaction": "satisfied"}, content_type="application/json")
    assert early.status_code == 400
    bad = line.post(url, {"result": "maybe"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "result"
    people["hotline_b"] = make_user("hotline_b", Role.HOTLINE_OPERATOR, people["dispatcher_b"].scope_region)
    outside = _token_client(people, "hotline_b").post(url, {"result": "not_reached"}, content_type="application/json")
    assert outside.status_code == 404
    assert Client().post(url, {"result": "not_reached"}, content_type="application/json").status_code == 401
