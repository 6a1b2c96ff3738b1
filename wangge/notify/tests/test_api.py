"""The notifications API: own only, paginated, read marks; anonymous → 401; another user's → 404."""

import pytest
from django.test import Client

from wangge.notify.models import Notification
from wangge.notify.services import notify

pytestmark = pytest.mark.django_db


def inbox_of(user, count=3):
    return [notify(recipients=[user], kind="test", title=f"通知{i}", link=f"/cases/{i}/")[0] for i in range(count)]


def test_anonymous_callers_are_refused(users):
    (mine,) = inbox_of(users["dispatcher_a"], 1)
    client = Client()
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications/unread-count").status_code == 401
    assert client.post(f"/api/v1/notifications/{mine.pk}/read").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    mine.refresh_from_db()
    assert mine.read_at is None


def test_a_user_lists_only_their_own_unread_first(users, client_for):
    first, second, third = inbox_of(users["dispatcher_a"])
    inbox_of(users["dispatcher_b"], 2)
    client = client_for("dispatcher_a")
    client.post(f"/api/v1/notifications/{third.pk}/read")
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 3
    assert [n["id"] for n in body["items"]] == [second.pk, first.pk, third.pk]
    assert [n["is_read"] for n in body["items"]] == [False, False, True]
    assert body["items"][0] | {"created_at": None} == {
        "id": second.pk,
        "kind": "test",
        "title": "通知1",
        "body": "",
        "link": "/cases/1/",
        "target_type": "",
        "target_id": "",
        "created_at": None,
        "read_at": None,
        "is_read": False,
    }
    unread = client.get("/api/v1/notifications?unread=true").json()
    assert [n["id"] for n in unread["items"]] == [second.pk, first.pk]
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 2}


def test_another_users_notification_is_missing(users, client_for):
    (theirs,) = inbox_of(users["dispatcher_b"], 1)
    response = client_for("dispatcher_a").post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for("dispatcher_a").post("/api/v1/notifications/999999/read").json() == response.json()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_one_and_all(users, client_for):
    first, second, third = inbox_of(users["dispatcher_a"])
    (theirs,) = inbox_of(users["dispatcher_b"], 1)
    client = client_for("dispatcher_a")
    response = client.post(f"/api/v1/notifications/{first.pk}/read")
    assert response.status_code == 200 and response.json()["is_read"] is True
    read_at = Notification.objects.get(pk=first.pk).read_at
    assert client.post(f"/api/v1/notifications/{first.pk}/read").json()["is_read"] is True
    assert Notification.objects.get(pk=first.pk).read_at == read_at  # the first read time stays
    assert client.post("/api/v1/notifications/read-all").json() == {"updated": 2}
    assert client.post("/api/v1/notifications/read-all").json() == {"updated": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_bad_ids_and_pages_are_refused_not_errors(users, client_for):
    client = client_for("dispatcher_a")
    assert client.post("/api/v1/notifications/0/read").status_code == 422
    assert client.post(f"/api/v1/notifications/{10**30}/read").status_code == 422
    assert client.post("/api/v1/notifications/abc/read").status_code == 422
    assert client.get("/api/v1/notifications?page=0").status_code == 422
    assert client.get("/api/v1/notifications?unread=maybe").status_code == 422


def test_list_query_budget(users, client_for, django_assert_max_num_queries):
    inbox_of(users["dispatcher_a"], 60)
    client = client_for("dispatcher_a")
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/notifications").json()
    assert body["count"] == 60 and len(body["items"]) == 50
