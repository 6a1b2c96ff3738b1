"""The API: anonymous 401, another place's matter the same 404 as a missing one, bad input a 4xx
naming the field with nothing written, and the propose → support → vote path."""

import pytest
from django.test import Client

from wangge.deliberation import meetings
from wangge.deliberation.models import Ballot, Matter

from .conftest import A_GRID, B_GRID, decided, propose, scheduled, with_representatives

pytestmark = pytest.mark.django_db
BASE = "/api/v1/deliberation/matters"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_anonymous_gets_401(people):
    matter = propose(people)
    client = Client()
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/{matter.pk}").status_code == 401
    assert post(client, BASE, {"title": "x"}).status_code == 401
    assert post(client, f"{BASE}/{matter.pk}/support").status_code == 401
    assert post(client, f"{BASE}/{matter.pk}/ballot", {"choice": "yes"}).status_code == 401


def test_out_of_scope_is_the_same_404_as_missing(people, client_of):
    matter = propose(people)
    client = client_of("resident_b")
    assert [m["id"] for m in client.get(BASE).json()["items"]] == []
    for suffix, body in (("", None), ("/support", {}), ("/ballot", {"choice": "yes"})):
        method = client.get if body is None else (lambda url, b=body: post(client, url, b))
        out, absent = method(f"{BASE}/{matter.pk}{suffix}"), method(f"{BASE}/999999{suffix}")
        assert out.status_code == absent.status_code == 404, suffix
        assert out.json() == absent.json()


def test_propose_support_and_read(people, client_of):
    client = client_of("resident_a")
    response = post(client, BASE, {"title": "增设晾衣架", "description": "楼顶晾晒区没有晾衣架", "place": A_GRID})
    assert response.status_code == 201, response.json()
    matter_id = response.json()["id"]
    assert response.json()["status"] == "proposed"
    response = post(client_of("r1"), f"{BASE}/{matter_id}/support")
    assert response.json()["support_count"] == 1
    again = post(client_of("r1"), f"{BASE}/{matter_id}/support")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    listing = client_of("r2").get(BASE).json()["items"]
    assert matter_id in [m["id"] for m in listing]


def test_bad_input_names_the_field_and_writes_nothing(people, client_of):
    client = client_of("resident_a")
    before = Matter.objects.count()
    response = post(client, BASE, {"title": "增设晾衣架", "description": "楼顶晾晒区没有晾衣架", "place": B_GRID})
    assert response.status_code == 400 and response.json()["field"] == "place"
    response = post(client, BASE, {"title": "", "description": "楼顶晾晒区没有晾衣架", "place": A_GRID})
    assert response.status_code == 400 and response.json()["field"] == "title"
    response = post(client, BASE, {"description": "楼顶晾晒区没有晾衣架", "place": A_GRID})
    assert response.status_code == 422 and response.json()["field"] == "title"
    response = post(
        client, BASE, {"title": "晾衣架", "description": "楼顶晾晒区没有", "place": A_GRID, "lng": 0, "lat": 0}
    )
    assert response.status_code == 400 and response.json()["field"] == "lng"
    for place in ("compound:²", "building:１", "compound:99999999999999999999999"):
        response = post(client, BASE, {"title": "晾衣架", "description": "楼顶晾晒区没有", "place": place})
        assert response.status_code == 400 and response.json()["field"] == "place", place
    assert Matter.objects.count() == before


def test_vote_through_the_api(people, client_of):
    matter, meeting = scheduled(people)
    with_representatives(people, meeting)
    response = post(client_of("r1"), f"{BASE}/{matter.pk}/ballot", {"choice": "yes"})
    assert response.status_code == 400 and "尚未发起表决" in response.json()["message"]
    meetings.vote_open(actor=people["community_a"], matter=matter)
    response = post(client_of("r1"), f"{BASE}/{matter.pk}/ballot", {"choice": "maybe"})
    assert response.status_code == 400 and response.json()["field"] == "choice"
    assert post(client_of("r1"), f"{BASE}/{matter.pk}/ballot", {"choice": "yes"}).status_code == 201
    twice = post(client_of("r1"), f"{BASE}/{matter.pk}/ballot", {"choice": "no"})
    assert twice.status_code == 409
    assert post(client_of("r5"), f"{BASE}/{matter.pk}/ballot", {"choice": "yes"}).status_code == 403
    assert Ballot.objects.filter(vote__matter=matter).count() == 1
    detail = client_of("r1").get(f"{BASE}/{matter.pk}").json()
    assert detail["vote"]["published"] is False and "yes" not in detail["vote"]


def test_published_result_in_detail(people, client_of):
    matter = decided(people)
    vote = client_of("resident_a").get(f"{BASE}/{matter.pk}").json()["vote"]
    assert (vote["eligible"], vote["yes"], vote["passed"]) == (3, 3, True)
