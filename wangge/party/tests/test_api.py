"""Every party endpoint: anonymous → 401, out of scope → the same 404 as a missing object, in
scope → the data; bad input a 4xx naming the field; masked identifiers only."""

import pytest
from django.utils import timezone

from wangge.party import activities, lists
from wangge.party.models import Member, Registration, ServiceRecord

from .conftest import A1, A_GRID, idn, soon

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(approved, orgs, member_a, member_b):
    return {
        "need": lists.need_create(actor=None, title="楼道灯坏了", region_code=A_GRID),
        "offer": lists.offer_create(
            actor=None, title="税法讲座", community_code=A1, organisation_id=orgs["unit_org_a"].pk
        ),
        "project": lists.project_create(actor=None, title="微更新", community_code=A1),
        "activity": activities.activity_create(
            actor=None,
            title="清洁家园",
            activity_type="environment",
            community_code=A1,
            starts_at=soon(-1),
            ends_at=soon(1),
        ),
        "record": activities.service_record_create(
            actor=None,
            community_code=A1,
            occurred_on=timezone.localdate(),
            hours=2,
            description="巡逻",
            member_id=member_a.pk,
        ),
        "registration": approved["organisation"],
        "member": member_a,
    }


LISTS = [
    "/api/v1/party/organisations", "/api/v1/party/coverage", "/api/v1/party/members", "/api/v1/party/registrations",
    "/api/v1/party/needs", "/api/v1/party/resources", "/api/v1/party/projects", "/api/v1/party/activities",
    "/api/v1/party/service-records", "/api/v1/party/report?year=2026",
]  # fmt: skip


def items(response):
    body = response.json()
    return body["items"] if isinstance(body, dict) and "items" in body else body


@pytest.mark.parametrize("url", LISTS)
def test_lists_need_a_login(client, url):
    assert client.get(url).status_code == 401


def test_lists_are_scoped(login, content):
    inside, outside = login("community_a"), login("community_b")
    for url in LISTS[:-1]:
        assert inside.get(url).status_code == 200, url
        assert outside.get(url).status_code == 200, url
    names = {o["name"] for o in items(outside.get("/api/v1/party/organisations"))}
    assert names == {"科技公司党支部"}
    assert [m["name"] for m in items(outside.get("/api/v1/party/members"))] == ["李党员"]
    for url in ("/api/v1/party/needs", "/api/v1/party/resources", "/api/v1/party/projects", "/api/v1/party/activities",
                "/api/v1/party/service-records", "/api/v1/party/registrations"):  # fmt: skip
        assert items(outside.get(url)) == [], url
        assert items(inside.get(url)), url
    assert login("resident_a").get("/api/v1/party/members").status_code == 403


def test_members_come_masked(login, content):
    member = next(m for m in items(login("community_a").get("/api/v1/party/members")) if m["name"] == "张党员")
    assert member["id_masked"] == content["member"].id_masked and member["phone_masked"] == "138****1234"
    assert idn(1) not in str(member)


def test_writes_out_of_scope_look_missing(login, content):
    outside = login("community_b")
    for url, body in [
        (f"/api/v1/party/registrations/{content['registration'].pk}/decision", {"status": "ended"}),
        (
            f"/api/v1/party/needs/{content['need'].pk}/claims",
            {"organisation_id": content["registration"].organisation_id},
        ),
        (f"/api/v1/party/resources/{content['offer'].pk}/claims", {}),
        (f"/api/v1/party/projects/{content['project'].pk}/claims", {"member_id": content["member"].pk}),
        (f"/api/v1/party/activities/{content['activity'].pk}/sign-up", {}),
        (f"/api/v1/party/activities/{content['activity'].pk}/hours", {"hours": 2}),
        (f"/api/v1/party/service-records/{content['record'].pk}/confirm", None),
        (f"/api/v1/party/service-records/{content['record'].pk}/reject", {"reason": "不在"}),
        ("/api/v1/party/service-records/999999/confirm", None),
    ]:
        response = outside.post(url, body or {}, content_type="application/json")
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    response = outside.patch(
        f"/api/v1/party/members/{content['member'].pk}", {"post": "care"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert ServiceRecord.objects.get().status == "submitted"
    assert Registration.objects.get(pk=content["registration"].pk).status == "approved"


def test_the_whole_flow_through_the_api(login, orgs, member_a, people):
    staff = login("community_a")
    created = staff.post(
        "/api/v1/party/registrations", {"community_code": A1, "member_id": member_a.pk}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    registration = created.json()["id"]
    refused = staff.post(
        f"/api/v1/party/registrations/{registration}/decision", {"status": "rejected"}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    staff.post(
        f"/api/v1/party/registrations/{registration}/decision", {"status": "approved"}, content_type="application/json"
    )
    need = staff.post(
        "/api/v1/party/needs", {"title": "陪诊", "region_code": A1}, content_type="application/json"
    ).json()
    me = login("resident_a")
    claimed = me.post(
        f"/api/v1/party/needs/{need['id']}/claims", {"member_id": member_a.pk}, content_type="application/json"
    )
    assert claimed.status_code == 201 and claimed.json()["member_id"] == member_a.pk
    again = me.post(
        f"/api/v1/party/needs/{need['id']}/claims", {"member_id": member_a.pk}, content_type="application/json"
    )
    assert again.status_code == 409
    activity = staff.post(
        "/api/v1/party/activities",
        {"title": "巡逻", "activity_type": "patrol", "community_code": A1,
         "starts_at": soon(-1).isoformat(), "ends_at": soon(1).isoformat()},
        content_type="application/json",
    ).json()  # fmt: skip
    from wangge.party.models import Activity

    token = activities.checkin_token(Activity.objects.get(pk=activity["id"]))
    checked = me.post("/api/v1/party/check-in", {"token": token}, content_type="application/json")
    assert checked.status_code == 200 and checked.json()["new"] is True
    records = staff.post(
        f"/api/v1/party/activities/{activity['id']}/hours", {"hours": "1.5"}, content_type="application/json"
    )
    assert records.status_code == 201 and records.json()[0]["member_id"] == member_a.pk
    record = records.json()[0]["id"]
    assert staff.post(f"/api/v1/party/service-records/{record}/confirm").status_code == 200
    second = staff.post(f"/api/v1/party/service-records/{record}/confirm")
    assert second.status_code == 409
    report = staff.get(f"/api/v1/party/report?year={timezone.localdate().year}").json()
    assert report[0]["employer"] == "甲区税务所" and report[0]["id_masked"] == member_a.id_masked


def test_bad_input_names_the_field_and_writes_nothing(login, orgs):
    staff = login("community_a")
    response = staff.post(
        "/api/v1/party/members",
        {
            "name": "王五",
            "id_number": "123",
            "joined_on": "2001-01-01",
            "organisation_id": orgs["grid"].pk,
            "grid_code": A_GRID,
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "id_number"
    response = staff.post("/api/v1/party/members", {"name": "王五"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"]
    response = staff.post(
        "/api/v1/party/organisations",
        {"name": "支部", "kind": "cell", "region_code": A_GRID},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "kind"
    body = {"community_code": A1, "occurred_on": "2026-01-01", "hours": 30, "description": "x", "member_id": 1}
    response = staff.post("/api/v1/party/service-records", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "hours"
    assert staff.get("/api/v1/party/report?year=1").status_code == 400
    assert not Member.objects.filter(name="王五").exists()


def test_the_tree_endpoint_reports_warnings(login, orgs):
    warned = items(login("party_a").get("/api/v1/party/organisations?warned=true"))
    assert {o["name"] for o in warned} >= {"甲一1网格党支部"}
    assert all(o["warnings"] for o in warned)


def test_list_queries_stay_bounded(login, content, django_assert_max_num_queries):
    client = login("community_a")
    for url in LISTS:
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


def test_offer_claim_from_the_community(login, content):
    response = login("community_a").post(
        f"/api/v1/party/resources/{content['offer'].pk}/claims", {"note": "老年课堂"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["community_code"] == A1
    assert login("community_b").post("/api/v1/party/projects", {"title": "越界", "community_code": A1},
                                     content_type="application/json").status_code == 404  # fmt: skip
