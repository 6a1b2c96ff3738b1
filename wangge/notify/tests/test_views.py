"""The inbox page and the nav badge: anonymous → login, another user's notification → 404, own → works."""

import pytest
from django.test import Client

from wangge.notify.models import Notification
from wangge.notify.services import notify

pytestmark = pytest.mark.django_db


def inbox_of(user, count=3, link="/cases/1/"):
    return [notify(recipients=[user], kind="test", title=f"通知{i}", body="正文", link=link)[0] for i in range(count)]


def test_anonymous_visitors_are_sent_to_the_login_page(users):
    (mine,) = inbox_of(users["dispatcher_a"], 1)
    client = Client()
    for method, url in (
        ("get", "/notifications/"),
        ("get", f"/notifications/{mine.pk}/open/"),
        ("post", f"/notifications/{mine.pk}/read/"),
        ("post", "/notifications/read-all/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    mine.refresh_from_db()
    assert mine.read_at is None


def test_inbox_shows_own_unread_first_and_the_nav_badge(users, client_for):
    first, second = inbox_of(users["dispatcher_a"], 2)
    Notification.objects.filter(pk=first.pk).update(title="已读的那条")
    client = client_for("dispatcher_a")
    client.post(f"/notifications/{first.pk}/read/")
    (theirs,) = inbox_of(users["dispatcher_b"], 1)
    Notification.objects.filter(pk=theirs.pk).update(title="别人的通知")
    page = client.get("/notifications/").content.decode()
    assert page.index("通知1") < page.index("已读的那条")
    assert "别人的通知" not in page
    assert 'id="nav-unread"> <span class="tag"' in page and ">1</span>" in page
    unread_only = client.get("/notifications/?unread=1").content.decode()
    assert "通知1" in unread_only and "已读的那条" not in unread_only


def test_every_page_carries_the_unread_badge(users, client_for):
    inbox_of(users["dispatcher_a"], 3)
    page = client_for("dispatcher_a").get("/locate/").content.decode()
    assert 'href="/notifications/"' in page and ">3</span>" in page
    assert 'class="tag"' not in client_for("dispatcher_b").get("/locate/").content.decode().split("nav-unread")[1][:40]


def test_marking_read_with_htmx_swaps_the_item_and_the_badge(users, client_for):
    first, second = inbox_of(users["dispatcher_a"], 2)
    response = client_for("dispatcher_a").post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{first.pk}"' in html and "unread" not in html.split("</li>")[0].split(">")[0]
    assert 'hx-swap-oob="outerHTML"' in html and ">1</span>" in html
    first.refresh_from_db()
    assert first.read_at is not None


def test_marking_all_read(users, client_for):
    inbox_of(users["dispatcher_a"], 3)
    (theirs,) = inbox_of(users["dispatcher_b"], 1)
    client = client_for("dispatcher_a")
    response = client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert not Notification.objects.filter(recipient=users["dispatcher_a"], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post("/notifications/read-all/").status_code == 302  # without htmx: back to the inbox


def test_another_users_notification_is_404_like_a_missing_one(users, client_for):
    (theirs,) = inbox_of(users["dispatcher_b"], 1)
    client = client_for("dispatcher_a")
    for url in (f"/notifications/{theirs.pk}/open/", "/notifications/999999/open/"):
        assert client.get(url).status_code == 404
    for url in (f"/notifications/{theirs.pk}/read/", "/notifications/999999/read/", f"/notifications/{10**30}/read/"):
        assert client.post(url).status_code == 404
    assert client.get("/notifications/read-all/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_follows_local_links_only_and_marks_read(users, client_for):
    (local,) = inbox_of(users["dispatcher_a"], 1, link="/cases/7/")
    (foreign,) = inbox_of(users["dispatcher_a"], 1, link="https://evil.example.com/")
    client = client_for("dispatcher_a")
    response = client.get(f"/notifications/{local.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    assert client.get(f"/notifications/{foreign.pk}/open/")["Location"] == "/notifications/"
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_inbox_query_budget(users, client_for, django_assert_max_num_queries):
    inbox_of(users["dispatcher_a"], 60)
    client = client_for("dispatcher_a")
    with django_assert_max_num_queries(5):
        response = client.get("/notifications/?page=2")
    assert response.status_code == 200 and response.content.decode().count('<li id="notification-') == 30
