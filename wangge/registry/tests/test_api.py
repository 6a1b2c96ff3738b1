"""Every ledger endpoint: anonymous → 401, out of scope → the same 404 as missing, residents and
roles without the capability → 403, in scope → masked data; lists within a query budget."""

import datetime
import json

import pytest
from django.test import Client

from wangge.core import pii
from wangge.core.models import AuditEvent
from wangge.regions.models import Household
from wangge.registry import services
from wangge.registry.models import Residence, Resident, Visit

from .conftest import make_id

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today().isoformat()


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def world(ledger, users, register):
    """One resident, care record, visit and problem in grid A1 and the same in grid B1."""
    made = {}
    for side, house, worker, staff in (
        ("a", "a101", "gridworker_a", "community_a"),
        ("b", "b101", "gridworker_b", "community_b"),
    ):
        number = make_id()
        resident = register(house, f"居民{side}", id_number=number, phone=f"1701234567{0 if side == 'a' else 1}")
        record = services.care_create(
            actor=users[staff], resident=resident, group="solitary", responsible=users[worker]
        )
        report = services.VisitInput(
            notes="正常", care=[(record, "好")], problem_text="路灯坏", problem_category="facility"
        )
        visit = services.visit_record(actor=users[worker], household=ledger["houses"][house], report=report)
        services.household_update(actor=None, household=ledger["houses"][house], owner_phone="17000001111")
        made[side] = {
            "resident": resident,
            "number": number,
            "house": ledger["houses"][house],
            "care": record,
            "visit": visit,
            "problem": visit.problems.get(),
        }
    return made


def reads(world, side):
    w = world[side]
    return [
        f"/api/v1/residents/{w['resident'].pk}",
        f"/api/v1/residents/{w['resident'].pk}/history",
        f"/api/v1/residents/{w['resident'].pk}/care",
        f"/api/v1/houses/{w['house'].pk}",
        f"/api/v1/houses/{w['house'].pk}/residents",
        f"/api/v1/care-records/{w['care'].pk}",
        f"/api/v1/visits/{w['visit'].pk}",
        f"/api/v1/visit-problems/{w['problem'].pk}",
    ]


def writes(world, side, ledger):
    """(method, url, body) that would succeed in scope."""
    w = world[side]
    other_house = ledger["houses"]["a102" if side == "a" else "b101"]
    return [
        ("patch", f"/api/v1/residents/{w['resident'].pk}", {"name": "改名"}),
        ("patch", f"/api/v1/care-records/{w['care'].pk}", {"level": 1}),
        ("post", f"/api/v1/care-records/{w['care'].pk}/end", {"on": TODAY, "reason": "结束"}),
        ("post", f"/api/v1/residents/{w['resident'].pk}/move", {"household_id": other_house.pk, "on": TODAY}),
        ("post", f"/api/v1/residents/{w['resident'].pk}/depart", {"on": TODAY}),
        ("post", f"/api/v1/residents/{w['resident'].pk}/reveal", {"field": "id_number", "reason": "核对身份"}),
        ("patch", f"/api/v1/houses/{w['house'].pk}", {"use": "self"}),
        ("post", f"/api/v1/houses/{w['house'].pk}/reveal", {"reason": "联系房东"}),
        ("post", "/api/v1/residents", {"household_id": w["house"].pk, "name": "新", "id_number": make_id()}),
        ("post", "/api/v1/visits", {"household_id": w["house"].pk, "notes": "无人"}),
    ]


LISTS = [
    "/api/v1/residents",
    "/api/v1/houses",
    "/api/v1/care-records",
    "/api/v1/due-visits",
    "/api/v1/visits",
    "/api/v1/visit-problems",
]


def test_anonymous_callers_get_401_everywhere(world, ledger):
    client = Client()
    for url in reads(world, "a") + LISTS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthenticated"
    for method, url, body in writes(world, "a", ledger):
        assert getattr(Client(), method)(url, json.dumps(body), content_type="application/json").status_code == 401


def test_out_of_scope_looks_exactly_like_missing(world, ledger, client_for):
    client = client_for("gridworker_a")
    for in_scope, out_of_scope in zip(reads(world, "a"), reads(world, "b")):
        assert client.get(in_scope).status_code == 200, in_scope
        out = client.get(out_of_scope)
        number = out_of_scope.split("/")[4]
        missing = client.get(out_of_scope.replace(f"/{number}", "/987654"))
        assert out.status_code == missing.status_code == 404, out_of_scope
        assert out.json() == missing.json()
    for method, url, body in writes(world, "b", ledger):
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 404, url
    assert Resident.objects.get(pk=world["b"]["resident"].pk).name == "居民b"
    assert not AuditEvent.objects.filter(verb="resident.reveal").exists()


def test_writes_in_scope_succeed(world, ledger, client_for):
    client = client_for("community_a")
    expected = {"post": {"/api/v1/residents": 201, "/api/v1/visits": 201}}
    for method, url, body in writes(world, "a", ledger):
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code == expected.get(method, {}).get(url, 200), (url, response.content)


def test_residents_and_roles_without_the_capability_see_nothing(world, client_for, ledger):
    for name in ("resident_a", "leader", "handler"):
        client = client_for(name)
        for url in reads(world, "a")[:6] + LISTS[:5]:
            response = client.get(url)
            assert response.status_code in (403, 404), (name, url)
            assert "居民" not in response.content.decode() or response.status_code == 403
    assert client_for("resident_a").get("/api/v1/residents").json()["message"] == "您的角色不能查看居民信息"
    assert client_for("resident_a").get("/api/v1/visit-problems").status_code == 403
    # A street dispatcher reads but does not write.
    dispatcher = client_for("dispatcher_a")
    assert dispatcher.get("/api/v1/residents").status_code == 200
    response = patch(dispatcher, f"/api/v1/residents/{world['a']['resident'].pk}", {"name": "x"})
    assert response.status_code == 403 and response.json()["message"] == "您的角色不能修改房屋和居民台账"


def test_no_answer_ever_carries_a_clear_id_number_or_phone(world, client_for):
    client = client_for("admin")
    secrets = [world[s]["number"] for s in "ab"] + ["17012345670", "17012345671"]
    for side in "ab":
        for url in reads(world, side):
            body = client.get(url).content.decode()
            assert not any(secret in body for secret in secrets), url
    for url in LISTS + ["/api/v1/residents?q=居民", "/api/v1/due-visits?everyone=true"]:
        body = client.get(url).content.decode()
        assert not any(secret in body for secret in secrets), url
    detail = client.get(f"/api/v1/residents/{world['a']['resident'].pk}").json()
    assert detail["id_masked"] == world["a"]["number"][:6] + "********" + world["a"]["number"][-4:]
    assert detail["phone_masked"] == "170****5670"


def test_reveal_answers_the_value_and_writes_the_audit(world, client_for):
    resident = world["a"]["resident"]
    response = post(
        client_for("gridworker_a"), f"/api/v1/residents/{resident.pk}/reveal", {"field": "phone", "reason": "联系本人"}
    )
    assert response.json() == {"field": "phone", "value": "17012345670"}
    event = AuditEvent.objects.get(verb="resident.reveal")
    assert (event.actor_label, event.note, event.target_id) == ("gridworker_a", "联系本人", str(resident.pk))
    refused = post(
        client_for("gridworker_a"), f"/api/v1/residents/{resident.pk}/reveal", {"field": "phone", "reason": ""}
    )
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    forbidden = post(
        client_for("parttime_a"), f"/api/v1/residents/{resident.pk}/reveal", {"field": "phone", "reason": "看看"}
    )
    assert forbidden.status_code == 403
    assert AuditEvent.objects.filter(verb="resident.reveal").count() == 1


def test_search_by_every_key(world, ledger, client_for, register):
    client = client_for("community_a")
    register("a102", "张伟", phone="17099990000")
    register("a2", "张伟民")
    register("a201", "李张")

    def names(query):
        body = client.get("/api/v1/residents", query).json()
        return body["search_mode"], sorted(item["name"] for item in body["items"])

    assert names({"q": "张伟"}) == ("name", ["张伟", "张伟民"])
    assert names({"q": "张", "match": "contains"}) == ("name_contains", ["张伟", "张伟民", "李张"])
    assert names({"q": world["a"]["number"]}) == ("id_number", ["居民a"])
    assert names({"q": world["a"]["number"].lower()}) == ("id_number", ["居民a"])
    assert names({"q": world["b"]["number"]}) == ("id_number", [])  # out of scope
    posted = post(client, "/api/v1/residents/search", {"q": world["a"]["number"]}).json()
    assert posted["search_mode"] == "id_number" and [r["name"] for r in posted["items"]] == ["居民a"]
    assert names({"q": "17099990000"}) == ("phone", ["张伟"])
    assert names({"q": world["a"]["resident"].id_masked}) == ("id_masked", ["居民a"])
    assert names({"q": "170****0000"}) == ("phone_masked", ["张伟"])
    assert names({"region": "510502001001002"}) == ("list", ["张伟民"])
    assert names({"address": "甲二"}) == ("list", ["张伟民"])
    assert names({"address": "001001花园", "q": "张"}) == ("name", ["张伟"])
    assert client.get("/api/v1/residents", {"region": "510502002001001"}).status_code == 404
    # A substring scan is bounded to a street: the city-wide administrator names a region first.
    city_wide = client_for("admin").get("/api/v1/residents", {"q": "张", "match": "contains"})
    assert city_wide.status_code == 400 and city_wide.json()["field"] == "region"
    assert "街道或更小的范围" in city_wide.json()["message"]
    in_street = client_for("admin").get("/api/v1/residents", {"q": "张", "match": "contains", "region": "510502001000"})
    assert len(in_street.json()["items"]) == 3
    assert client.get("/api/v1/residents", {"kind": "alien"}).json()["field"] == "kind"
    assert client.get("/api/v1/residents", {"cursor": "garbage!"}).json()["field"] == "cursor"
    assert client.get("/api/v1/residents", {"limit": 0}).status_code == 422


def test_departed_people_leave_the_list_but_are_found_by_id(world, client_for):
    resident = world["a"]["resident"]
    services.resident_depart(actor=None, resident=resident, on=datetime.date(2025, 1, 1))
    client = client_for("gridworker_a")
    assert client.get("/api/v1/residents").json()["items"] == []
    found = client.get("/api/v1/residents", {"q": world["a"]["number"]}).json()["items"]
    assert [r["left_on"] for r in found] == ["2025-01-01"]
    assert len(client.get("/api/v1/residents", {"status": "departed"}).json()["items"]) == 1


def test_keyset_pages_walk_everything_once(ledger, client_for, register):
    for n in range(23):
        register(["a101", "a102", "a201", "a2"][n % 4], f"人{n:02d}")
    client = client_for("community_a")
    seen, cursor, pages = [], "", 0
    while True:
        body = client.get("/api/v1/residents", {"limit": 5, "cursor": cursor}).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 5 and len(seen) == len(set(seen)) == 23
    # Name order pages too.
    seen, cursor = [], ""
    while True:
        body = client.get("/api/v1/residents", {"q": "人", "limit": 4, "cursor": cursor}).json()
        seen += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 23


@pytest.mark.parametrize("url", LISTS)
def test_lists_stay_within_a_query_budget(
    world, ledger, users, client_for, register, url, django_assert_max_num_queries
):
    for n in range(12):
        person = register(["a101", "a102", "a201"][n % 3], f"预算{n}")
        record = services.care_create(
            actor=users["community_a"], resident=person, group="chronic", responsible=users["gridworker_a"]
        )
        services.visit_record(
            actor=users["gridworker_a"],
            household=ledger["houses"][["a101", "a102", "a201"][n % 3]],
            report=services.VisitInput(
                met=[person], care=[(record, "")], problem_text="问题", problem_category="other"
            ),
        )
    building = ledger["houses"]["a101"].building
    for n in range(10):
        Household.objects.create(building=building, region_key=building.region_key, unit=2, room=f"{n + 1}01")
    client = client_for("gridworker_a")
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert (body.get("count") or len(body["items"])) >= 10, url


def test_creating_and_correcting_through_the_api(ledger, client_for, register):
    client = client_for("gridworker_a")
    number = make_id("19881111")
    response = post(
        client,
        "/api/v1/residents",
        {"household_id": ledger["houses"]["a101"].pk, "name": "吴一", "id_number": number, "phone": "17011112222"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["birth_date"] == "1988-11-11" and body["phone_masked"] == "170****2222" and number not in str(body)
    again = post(
        client, "/api/v1/residents", {"household_id": ledger["houses"]["a102"].pk, "name": "吴一", "id_number": number}
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert f"居民编号{body['id']}" in again.json()["message"]
    bad = post(
        client, "/api/v1/residents", {"household_id": ledger["houses"]["a101"].pk, "name": "x", "id_number": "1"}
    )
    assert bad.status_code == 400 and bad.json()["field"] == "id_number"
    assert (
        post(client, "/api/v1/residents", {"household_id": 999999, "name": "x", "id_number": number}).status_code == 404
    )
    fixed = patch(client, f"/api/v1/residents/{body['id']}", {"phone": None, "kind": "floating"})
    assert fixed.json()["kind"] == "floating" and fixed.json()["phone_masked"] == "170****2222"
    history = client.get(f"/api/v1/residents/{body['id']}/history").json()
    assert [h["start_reason"] for h in history] == ["registered"]


def test_house_attributes_and_owner_reveal(ledger, client_for):
    client = client_for("gridworker_a")
    house = ledger["houses"]["a101"]
    body = patch(
        client,
        f"/api/v1/houses/{house.pk}",
        {"use": "rented", "area_m2": 66.6, "owner_name": "房东", "owner_phone": "17077778888"},
    ).json()
    assert (body["use"], body["area_m2"], body["owner_phone_masked"]) == ("rented", 66.6, "170****8888")
    assert "17077778888" not in json.dumps(body)
    revealed = post(client, f"/api/v1/houses/{house.pk}/reveal", {"reason": "联系房东"}).json()
    assert revealed == {"field": "owner_phone", "value": "17077778888"}
    assert patch(client, f"/api/v1/houses/{house.pk}", {"area_m2": -1}).json()["field"] == "area_m2"
    listed = client.get("/api/v1/houses", {"use": "rented"}).json()["items"]
    assert [h["id"] for h in listed] == [house.pk]
    # null clears: text fields become empty, the area becomes unrecorded; fields left out stay.
    cleared = patch(client, f"/api/v1/houses/{house.pk}", {"owner_name": None, "area_m2": None}).json()
    assert (cleared["owner_name"], cleared["area_m2"], cleared["use"]) == ("", None, "rented")
    visited = post(
        client, "/api/v1/visits", {"household_id": house.pk, "house": {"use": None, "owner_phone": None}}
    ).json()
    house.refresh_from_db()
    assert visited["changes"]["house"]["use"] == "" and (house.use, house.owner_phone_masked) == ("", "")


def test_care_and_due_visits_through_the_api(ledger, users, client_for, register):
    resident = register("a101", "孤老")
    client = client_for("community_a")
    created = post(
        client,
        "/api/v1/care-records",
        {"resident_id": resident.pk, "group": "solitary", "responsible": "gridworker_a", "visit_every_days": 7},
    )
    assert created.status_code == 201 and created.json()["responsible"] == "gridworker_a"
    refused = post(
        client, "/api/v1/care-records", {"resident_id": resident.pk, "group": "solitary", "responsible": "gridworker_b"}
    )
    assert refused.status_code == 400 and refused.json()["field"] == "responsible"
    due = client_for("gridworker_a").get("/api/v1/due-visits").json()
    assert due["count"] == 1 and due["items"][0]["due_on"] == datetime.date.today().isoformat()
    assert client_for("parttime_a").get("/api/v1/due-visits").json()["count"] == 0
    assert client_for("community_a").get("/api/v1/due-visits?worker=gridworker_a").json()["count"] == 1
    assert client_for("community_a").get("/api/v1/due-visits?worker=gridworker_b").status_code == 400


def test_a_visit_through_the_api_is_all_or_nothing(ledger, users, client_for, register):
    stays = register("a101", "在家")
    leaves = register("a101", "搬走")
    record = services.care_create(
        actor=users["community_a"], resident=stays, group="chronic", responsible=users["gridworker_a"]
    )
    client = client_for("gridworker_a")
    body = {
        "household_id": ledger["houses"]["a101"].pk,
        "met": [stays.pk],
        "notes": "正常",
        "house": {"use": "rented", "area_m2": 70},
        "departed": [leaves.pk],
        "newcomers": [{"name": "新人", "id_number": make_id()}, {"name": "坏号", "id_number": "510502"}],
        "care": [{"record_id": record.pk, "note": "好"}],
        "problem": {"text": "门禁坏了", "category": "facility"},
    }
    failed = post(client, "/api/v1/visits", body)
    assert failed.status_code == 400 and failed.json()["field"] == "newcomers.1.id_number"
    assert not Visit.objects.exists() and Resident.objects.get(pk=leaves.pk).left_on is None
    body["newcomers"].pop()
    done = post(client, "/api/v1/visits", body)
    assert done.status_code == 201
    assert done.json()["met"] == [stays.pk] and len(done.json()["problem_ids"]) == 1
    assert Resident.objects.get(pk=leaves.pk).left_on == datetime.date.today()
    assert post(client, "/api/v1/visits", {**body, "met": [999999]}).json()["field"] == "met.0"
    problems = client_for("dispatcher_a").get("/api/v1/visit-problems").json()
    assert problems["items"][0]["text"] == "门禁坏了" and problems["items"][0]["grid_code"] == "510502001001001"
    assert client_for("dispatcher_b").get("/api/v1/visit-problems").json()["count"] == 0


def test_move_in_by_id_number_through_the_api(ledger, users, client_for, register):
    number = make_id()
    elsewhere = register("b101", "外来")
    services.resident_update(actor=None, resident=elsewhere, id_number=number)
    services.resident_depart(actor=None, resident=elsewhere, on=datetime.date(2025, 1, 1))
    Residence.objects.filter(resident=elsewhere).update(note="乙社区的说明")
    client = client_for("gridworker_a")
    response = post(
        client,
        "/api/v1/residents/move-in",
        {"id_number": number, "household_id": ledger["houses"]["a101"].pk, "on": "2025-02-01"},
    )
    assert response.status_code == 200 and response.json()["id"] == elsewhere.pk
    history = client.get(f"/api/v1/residents/{elsewhere.pk}/history").json()
    assert [h["address"] for h in history] == ["（辖区外）", "001001花园1栋1单元101"]
    assert history[0]["household_id"] is None and history[0]["note"] == ""  # as the page: dates only
    assert pii.decrypt(Resident.objects.get(pk=elsewhere.pk).id_cipher) == number
