"""Every case endpoint: anonymous → 401, out of scope → the same 404 as a missing case, in scope →
the data; actions answer 409 on a stale version; lists stay within a query budget."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.cases import services
from wangge.cases.models import Case, Category, Status

from .conftest import A1, B1, PNG, photo

pytestmark = pytest.mark.django_db


def client(people, name) -> Client:
    c = Client()
    c.force_login(people[name])
    return c


def post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def test_anonymous_callers_get_401_everywhere(drive):
    case = drive.report()
    anonymous = Client()
    for url in (
        "/api/v1/cases",
        "/api/v1/cases/inbox/sort",
        f"/api/v1/cases/{case.number}",
        f"/api/v1/cases/{case.number}/duplicates",
        f"/api/v1/cases/{case.number}/departments",
        "/api/v1/case-categories",
        "/api/v1/access-catalogue",
        "/api/v1/case-attachments/1",
    ):
        assert anonymous.get(url).status_code == 401, url
    for url in ("/api/v1/cases", f"/api/v1/cases/{case.number}/accept", "/api/v1/case-uploads"):
        assert post(anonymous, url, {}).status_code == 401, url


def test_out_of_scope_looks_exactly_like_missing(drive, people):
    in_b = drive.report(where=B1, by="resident_b")
    missing = "WG-2026-999999"
    for name in ("dispatcher_a", "community_a", "gridworker_a", "handler", "resident_a"):
        c = client(people, name)
        for suffix in ("", "/duplicates", "/departments"):
            out = c.get(f"/api/v1/cases/{in_b.number}{suffix}")
            gone = c.get(f"/api/v1/cases/{missing}{suffix}")
            assert out.status_code == gone.status_code == 404, (name, suffix)
            assert out.json() == gone.json()
        out = post(c, f"/api/v1/cases/{in_b.number}/accept", {"expected_version": 1})
        gone = post(c, f"/api/v1/cases/{missing}/accept", {"expected_version": 1})
        assert out.status_code == gone.status_code == 404 and out.json() == gone.json()
    assert Case.objects.get(pk=in_b.pk).version == 1


def test_in_scope_detail_has_the_timeline_actions_and_clock(drive, people):
    case = drive.to(Status.DISPATCHED)
    body = client(people, "handler").get(f"/api/v1/cases/{case.number}").json()
    assert body["status"] == "dispatched" and body["status_label"] == "待签收"
    assert body["lead_department"]["code"] == "510502-CG" and body["time_left_seconds"] > 0
    assert body["allowed_actions"] == ["return", "start", "note"]
    assert [e["action"] for e in body["timeline"]] == ["report", "accept", "dispatch"]
    assert body["closing_condition"] == "垃圾清运完毕，现场整洁"
    resident = client(people, "resident_a").get(f"/api/v1/cases/{case.number}").json()
    assert resident["allowed_actions"] == ["urge"]


def test_the_reporter_sees_only_public_timeline_entries(drive, people):
    case = drive.to(Status.RETURNED)
    services.case_note(case=case, actor=people["dispatcher_a"], text="内部备注")
    staff = client(people, "dispatcher_a").get(f"/api/v1/cases/{case.number}").json()
    mine = client(people, "resident_a").get(f"/api/v1/cases/{case.number}").json()
    assert {"return", "note"} <= {e["action"] for e in staff["timeline"]}
    assert not {"return", "note"} & {e["action"] for e in mine["timeline"]}


def test_report_through_the_api_with_an_uploaded_photo(people, catalogue):
    c = client(people, "gridworker_a")
    upload = c.post("/api/v1/case-uploads", {"file": photo()})
    assert upload.status_code == 201, upload.content
    photo_id = upload.json()["id"]
    response = post(
        c,
        "/api/v1/cases",
        {
            "text": "人行道井盖缺失",
            "channel": "grid",
            "category": "0201",
            "lng": A1[0],
            "lat": A1[1],
            "photo_ids": [photo_id],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["grid_code"] == "510502001001001" and body["category"]["code"] == "0201"
    assert body["timeline"][0]["photos"][0]["id"] == photo_id
    picture = c.get(f"/api/v1/case-attachments/{photo_id}")
    assert picture.status_code == 200 and b"".join(picture.streaming_content) == PNG
    assert picture["Content-Type"] == "image/png"
    assert client(people, "gridworker_b").get(f"/api/v1/case-attachments/{photo_id}").status_code == 404
    # The same upload cannot be used twice.
    again = post(c, "/api/v1/cases", {"text": "又一个", "channel": "grid", "photo_ids": [photo_id]})
    assert again.status_code == 400 and again.json()["field"] == "photos"


def test_bad_input_is_a_clear_error_never_a_500(people, catalogue):
    c = client(people, "resident_a")
    for body, status, field in (
        ({"text": "路灯不亮", "channel": "resident", "lng": 2.3, "lat": 48.8}, 400, "lng"),
        ({"channel": "resident"}, 422, "text"),
        ({"text": "路灯", "channel": "resident", "lng": "east"}, 422, "lng"),
        ({"text": "路灯", "channel": "hotline"}, 400, "channel"),
        ({"text": "路灯", "channel": "resident", "photo_ids": [999]}, 400, "photos"),
    ):
        response = post(c, "/api/v1/cases", body)
        assert response.status_code == status, (body, response.content)
        assert response.json()["field"] == field
    upload = c.post("/api/v1/case-uploads", {"file": SimpleUploadedFile("x.gif", b"GIF89a", "image/gif")})
    assert upload.status_code == 400 and upload.json()["field"] == "photos"
    assert not Case.objects.exists()


def test_actions_over_http_with_a_stale_version_get_409(drive, people):
    case = drive.to(Status.REPORTED)
    community, dispatcher = client(people, "community_a"), client(people, "dispatcher_a")
    accepted = post(community, f"/api/v1/cases/{case.number}/accept", {"expected_version": 1, "category": "0101"})
    assert accepted.status_code == 200 and accepted.json()["version"] == 2
    stale = post(dispatcher, f"/api/v1/cases/{case.number}/reject", {"expected_version": 1, "reason": "重复"})
    assert stale.status_code == 409
    assert stale.json() == {"code": "conflict", "message": "案件已被他人处理，请刷新后重试"}
    missing_reason = post(dispatcher, f"/api/v1/cases/{case.number}/escalate", {"expected_version": 2})
    assert missing_reason.status_code == 403  # the community holds it; the street may not escalate it
    dispatched = post(
        dispatcher,
        f"/api/v1/cases/{case.number}/dispatch",
        {"expected_version": 2, "lead": "510502-CG", "assisting": ["510502-ZJ"]},
    )
    assert dispatched.status_code == 200, dispatched.content
    assert [d["code"] for d in dispatched.json()["assisting"]] == ["510502-ZJ"]
    handler = client(people, "handler")
    no_reason = post(handler, f"/api/v1/cases/{case.number}/return", {"expected_version": 3})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    started = post(handler, f"/api/v1/cases/{case.number}/start", {"expected_version": 3, "text": "已签收"})
    assert started.json()["status"] == "in_progress"
    wrong = post(handler, f"/api/v1/cases/{case.number}/close", {"expected_version": 4})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_transition"
    urged = post(client(people, "leader"), f"/api/v1/cases/{case.number}/urge", {"text": "请加快"})
    assert urged.status_code == 200 and urged.json()["urge_count"] == 1
    noted = post(client(people, "handler_zj"), f"/api/v1/cases/{case.number}/note", {"text": "已配合"})
    assert noted.status_code == 200
    unknown_department = post(
        dispatcher, f"/api/v1/cases/{case.number}/dispatch", {"expected_version": 4, "lead": "NOPE"}
    )
    assert unknown_department.status_code == 400 and unknown_department.json()["field"] == "lead"


def test_lists_and_inboxes_are_scoped_and_sorted_by_time_left(drive, people):
    later = drive.to(Status.DISPATCHED, category="building")  # 15 working days
    sooner = drive.to(Status.DISPATCHED, category="lamp")  # 8 working hours
    drive.to(Status.DISPATCHED, where=B1)
    inbox = client(people, "handler").get("/api/v1/cases/inbox/department").json()
    numbers = [c["number"] for c in inbox["items"]]
    assert numbers.index(sooner.number) < numbers.index(later.number)
    everything = client(people, "dispatcher_a").get("/api/v1/cases").json()
    assert {c["number"] for c in everything["items"]} == {later.number, sooner.number}
    assert client(people, "dispatcher_b").get("/api/v1/cases").json()["count"] == 1
    filtered = client(people, "dispatcher_a").get("/api/v1/cases?category=0201&status=dispatched").json()
    assert [c["number"] for c in filtered["items"]] == [sooner.number]
    assert client(people, "dispatcher_a").get("/api/v1/cases?status=nonsense").status_code == 400
    assert client(people, "resident_a").get("/api/v1/cases/inbox/dispatch").status_code == 403
    assert client(people, "resident_a").get("/api/v1/cases/inbox/nothing").status_code == 404
    mine = client(people, "resident_a").get("/api/v1/cases/inbox/mine").json()
    assert mine["count"] == 3  # residents may report anywhere, and always see their own reports


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("dispatcher_a", "/api/v1/cases"),
        ("dispatcher_a", "/api/v1/cases?order=time_left&status=dispatched"),
        ("dispatcher_a", "/api/v1/cases/inbox/dispatch"),
        ("community_a", "/api/v1/cases/inbox/sort"),
        ("handler", "/api/v1/cases/inbox/department"),
        ("gridworker_a", "/api/v1/cases/inbox/verify"),
        ("leader", "/api/v1/cases/inbox/supervised"),
        ("resident_a", "/api/v1/cases/inbox/mine"),
        ("admin", "/api/v1/case-categories"),
        ("admin", "/api/v1/access-catalogue"),
    ],
)
def test_list_query_budget(drive, people, django_assert_max_num_queries, who, url):
    for status in (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED, Status.VERIFIED):
        for _ in range(3):
            case = drive.to(status)
            services.case_supervise(case=case, actor=people["leader"])
    c = client(people, who)
    with django_assert_max_num_queries(10):
        response = c.get(url)
    assert response.status_code == 200 and response.json()["count"] > 0, (url, response.content)


def test_catalogue_endpoints(people, catalogue):
    admin, dispatcher = client(people, "admin"), client(people, "dispatcher_a")
    listed = dispatcher.get("/api/v1/case-categories").json()
    assert {c["code"] for c in listed["items"]} >= {"01", "0101", "0301"}
    created = post(
        admin,
        "/api/v1/case-categories",
        {"code": "0401", "name": "占道经营", "time_limit": 2, "department": "5105-CG", "parent": "01"},
    )
    assert created.status_code == 201, created.content
    category_id = created.json()["id"]
    assert created.json()["parent_code"] == "01" and created.json()["department"]["code"] == "5105-CG"
    assert post(dispatcher, "/api/v1/case-categories", {"code": "x", "name": "x", "time_limit": 1}).status_code == 403
    patched = admin.patch(
        f"/api/v1/case-categories/{category_id}", json.dumps({"is_active": False}), content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert admin.delete(f"/api/v1/case-categories/{category_id}").status_code == 204
    in_use = admin.delete(f"/api/v1/case-categories/{catalogue['environment'].pk}")
    assert in_use.status_code == 409 and in_use.json()["code"] == "in_use"
    garbage = admin.get(f"/api/v1/case-categories/{catalogue['garbage'].pk}").json()
    assert garbage["on_access_catalogue"] is True
    access = post(admin, "/api/v1/access-catalogue", {"code": "B01", "name": "协助人口普查", "kind": "assist"})
    assert access.status_code == 201
    assert dispatcher.get("/api/v1/access-catalogue").json()["count"] == 2
    bad = admin.post("/api/v1/case-categories/import", {"file": SimpleUploadedFile("c.csv", "名称\n垃圾\n".encode())})
    assert bad.status_code == 400
    assert Category.objects.filter(code="0401").count() == 0
    resident = client(people, "resident_a")
    assert resident.get("/api/v1/case-categories").json()["count"] == 0


def test_departments_for_dispatch_suggest_the_categorys_line(drive, people):
    case = drive.to(Status.ACCEPTED)
    body = client(people, "dispatcher_a").get(f"/api/v1/cases/{case.number}/departments").json()
    suggested = [d["code"] for d in body if d["suggested"]]
    assert suggested == ["510502-CG"]  # the city's 城管 line, at the case's district
    assert "510504-CG" not in {d["code"] for d in body}


def test_a_nul_character_in_a_json_body_is_refused_on_its_field_not_a_500(drive, people):
    # PostgreSQL refuses NUL in text; the request must be answered before any query carries one.
    case = drive.report()
    hotline = client(people, "hotline")
    body = {"text": "楼下餐馆油烟扰民", "channel": "hotline", "lng": A1[0], "lat": A1[1], "reporter_name": "王\u0000"}
    response = post(hotline, "/api/v1/cases", body)
    assert response.status_code == 400 and response.json()["field"] == "reporter_name"
    assert Case.objects.count() == 1
    response = post(
        client(people, "community_a"),
        f"/api/v1/cases/{case.number}/reject",
        {"expected_version": 1, "reason": "重复\u0000"},
    )
    assert response.status_code == 400 and response.json()["field"] == "reason"
    response = post(
        hotline,
        f"/api/v1/cases/{case.number}/dispatch",
        {"expected_version": 1, "lead": "x", "assisting": ["a", "\u0000"]},
    )
    assert response.status_code == 400 and response.json()["field"] == "assisting.1"
    assert Case.objects.get(pk=case.pk).version == 1
    # The same text as an escaped backslash is ordinary text, not a NUL.
    response = post(hotline, "/api/v1/cases", body | {"reporter_name": "王\\u0000", "reporter_phone": "13800000000"})
    assert response.status_code == 201, response.content


def test_a_user_who_chose_english_reads_the_not_found_and_inbox_errors_in_english(drive, people):
    in_b = drive.report(where=B1, by="resident_b")
    c = client(people, "dispatcher_a")
    chinese = c.get(f"/api/v1/cases/{in_b.number}").json()
    assert chinese["message"] == "案件不存在，或不在您的管辖范围内"
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (f"/api/v1/cases/{in_b.number}", "/api/v1/cases/WG-2026-999999"):
        answer = c.get(url)
        assert answer.status_code == 404
        assert answer.json()["message"] == "The case does not exist, or is outside your scope", url
    assert c.get("/api/v1/cases/inbox/nothing").json()["message"] == "There is no such to-do list"
