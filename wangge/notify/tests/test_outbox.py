"""The outbox: which copies are made, sending, retries with backoff, dead letters, idempotency."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.notify import outbox
from wangge.notify.models import Delivery, DeliveryStatus, Notification
from wangge.notify.services import notify

from .conftest import EMAIL, PHONE

pytestmark = pytest.mark.django_db


def send_one(recipient, **kwargs):
    with transaction.atomic():
        return notify(recipients=[recipient], kind="case.dispatched", title="案件已派遣", body="请处理", **kwargs)[0]


def test_in_app_only_when_no_channel_is_configured(reachable, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_one(reachable)
    assert Notification.objects.filter(recipient=reachable).count() == 1
    assert not Delivery.objects.exists() and callbacks == []


def test_a_copy_per_configured_channel_the_recipient_can_be_reached_on(
    users, reachable, sms, email_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notification = send_one(reachable)
        nobody = send_one(users["handler"])  # neither phone nor email
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["email", "sms"]
    assert not nobody.deliveries.exists()
    assert all(d.status == DeliveryStatus.PENDING and d.attempts == 0 for d in Delivery.objects.all())


def test_only_the_channels_the_caller_names(reachable, sms, email_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sms_only = send_one(reachable, channels=["sms"])
        in_app_only = send_one(reachable, channels=())
    assert list(sms_only.deliveries.values_list("channel", flat=True)) == ["sms"]
    assert not in_app_only.deliveries.exists()


def test_inactive_users_get_no_outside_copies(reachable, sms, django_capture_on_commit_callbacks):
    User.objects.filter(pk=reachable.pk).update(is_active=False)
    reachable.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        notification = send_one(reachable)
    assert not notification.deliveries.exists()


def test_the_copy_is_sent_after_commit(reachable, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = send_one(reachable, link="/cases/7/")
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.provider_id == "gw-1" and delivery.sent_at and delivery.claim_token == ""
    assert sms.sent == [(PHONE, "案件已派遣：请处理")]


def test_nothing_is_sent_when_the_transaction_rolls_back(reachable, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(recipients=[reachable], kind="x", title="不会发出")
                raise RuntimeError("the case write failed")
    assert not Notification.objects.exists() and not Delivery.objects.exists() and sms.sent == []


def test_email_through_djangos_email_backend(reachable, email_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = send_one(reachable, link="/cases/7/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL] and message.from_email == "wangge@example.org"
    assert "案件已派遣" in message.subject
    assert "请处理" in message.body and "https://wangge.example.org/cases/7/" in message.body
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id == message.extra_headers["Message-ID"]


def test_failures_are_retried_with_exponential_backoff(reachable, sms, settings, django_capture_on_commit_callbacks):
    settings.WANGGE_NOTIFY_RETRY_SECONDS = 60
    sms.reset(failures=2)
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    t0 = timezone.now()

    assert outbox.deliver_due(now=t0)["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.next_attempt_at == t0 + timedelta(seconds=60)
    assert "SmsError" in delivery.last_error

    assert outbox.deliver_due(now=t0 + timedelta(seconds=59)) == {"pending": 0, "sent": 0, "failed": 0, "dead": 0}

    t1 = t0 + timedelta(seconds=60)
    assert outbox.deliver_due(now=t1)["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == t1 + timedelta(seconds=120)

    assert outbox.deliver_due(now=t1 + timedelta(seconds=120))["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3 and delivery.last_error == ""
    assert len(sms.sent) == 1


def test_backoff_is_capped(settings):
    settings.WANGGE_NOTIFY_RETRY_SECONDS, settings.WANGGE_NOTIFY_RETRY_MAX_SECONDS = 60, 600
    assert [outbox.backoff_seconds(n) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
    assert outbox.backoff_seconds(10_000) == 600


def test_dead_after_the_last_allowed_attempt(reachable, sms, settings, django_capture_on_commit_callbacks, caplog):
    settings.WANGGE_NOTIFY_MAX_ATTEMPTS = 3
    sms.reset(failures=100)
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    now = timezone.now()
    with caplog.at_level(logging.INFO, logger="wangge.notify"):
        for _ in range(5):
            outbox.deliver_due(now=now)
            now += timedelta(days=1)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert sms.failures == 97  # three tries, then no more
    # The gateway echoed the number; neither the outbox nor the log keeps it whole.
    assert "138****5678" in delivery.last_error and PHONE not in delivery.last_error
    assert PHONE not in caplog.text and "138****5678" in caplog.text


def test_a_permanent_refusal_is_dead_at_once(reachable, sms, django_capture_on_commit_callbacks):
    sms.reset(failures=1, permanent=True)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = send_one(reachable).deliveries.get()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 1


def test_delivering_twice_sends_once(reachable, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_one(reachable)
    later = timezone.now() + timedelta(days=1)
    outbox.deliver_all_due(now=later)
    outbox.deliver_all_due(now=later)
    assert len(sms.sent) == 1


def test_a_claimed_row_is_not_claimed_again_until_the_lease_ends(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    settings.WANGGE_NOTIFY_CLAIM_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    now = timezone.now()
    first = outbox._claim(ids=None, limit=10, now=now)  # a worker claims it and then stops
    assert [d.pk for d in first] == [delivery.pk]
    assert outbox._claim(ids=None, limit=10, now=now + timedelta(seconds=299)) == []
    assert outbox.deliver_due(now=now + timedelta(seconds=301))["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and len(sms.sent) == 1


def test_the_lease_runs_from_the_claim_not_from_a_run_that_started_long_ago(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    # `deliver_all_due` judges every batch against the moment the run began; a batch claimed
    # ten minutes into a long run must still be held for the whole lease from the claim.
    settings.WANGGE_NOTIFY_CLAIM_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    run_began = timezone.now() - timedelta(seconds=600)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=run_began)
    assert [d.pk for d in outbox._claim(ids=None, limit=10, now=run_began)] == [delivery.pk]
    assert outbox._claim(ids=None, limit=10, now=timezone.now()) == []  # another worker, right after
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=290)


def test_a_row_whose_claim_ran_out_before_its_turn_in_the_batch_is_left_to_its_new_claimant(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    # A batch is sent one row at a time; when slow sends use up the lease before a row's turn,
    # another sender may have claimed that row meanwhile, and only one of them may send it.
    settings.WANGGE_NOTIFY_CLAIM_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    now = timezone.now()
    [slow] = outbox._claim(ids=None, limit=10, now=now)
    later = now + timedelta(seconds=301)
    assert outbox.deliver_due(now=later)["sent"] == 1  # the second sender, once the lease ran out
    assert outbox._attempt(slow, now=now, backends={}) is None  # the first one's turn comes at last
    assert len(sms.sent) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2


def test_a_worker_that_stops_during_the_last_attempt_leaves_a_dead_row(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    settings.WANGGE_NOTIFY_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    now = timezone.now()
    outbox._claim(ids=None, limit=10, now=now)
    assert outbox.deliver_due(now=now + timedelta(hours=1))["dead"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and "worker" in delivery.last_error and sms.sent == []


def test_a_broken_channel_never_fails_the_caller(reachable, settings, django_capture_on_commit_callbacks):
    settings.WANGGE_SMS_BACKEND = "wangge.notify.tests.doubles.BrokenSms"
    with django_capture_on_commit_callbacks(execute=True):
        notification = send_one(reachable)
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED and "adapter crashed" in delivery.last_error
    settings.WANGGE_SMS_BACKEND = "wangge.notify.tests.no_such_module.Gateway"
    with django_capture_on_commit_callbacks(execute=True):
        notification = send_one(reachable)
    assert notification.deliveries.get().status == DeliveryStatus.FAILED


def test_a_queue_that_cannot_take_the_task_never_fails_the_caller(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "wangge.notify.tests.no_such_backend.Backend"}}
    with django_capture_on_commit_callbacks(execute=True):
        notification = send_one(reachable)
    assert notification.deliveries.get().status == DeliveryStatus.PENDING  # the command will send it
    assert outbox.deliver_all_due()["sent"] == 1


def test_a_removed_address_or_channel_ends_the_delivery(reachable, sms, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        delivery = send_one(reachable).deliveries.get()
    User.objects.filter(pk=reachable.pk).update(phone="")
    outbox.deliver_all_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and "no address" in delivery.last_error

    User.objects.filter(pk=reachable.pk).update(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=False):
        other = send_one(reachable).deliveries.get()
    settings.WANGGE_SMS_BACKEND = ""
    outbox.deliver_all_due()
    other.refresh_from_db()
    assert other.status == DeliveryStatus.DEAD and "not configured" in other.last_error and sms.sent == []


def test_dead_rows_can_be_queued_again(reachable, sms, django_capture_on_commit_callbacks):
    sms.reset(failures=1, permanent=True)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = send_one(reachable).deliveries.get()
    assert outbox.retry_dead(channel="email") == []
    assert outbox.retry_dead(channel="sms") == [delivery.pk]
    assert outbox.deliver_all_due()["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1


def test_sms_text_is_short_and_links_are_absolute(settings):
    settings.WANGGE_SITE_URL = "https://wangge.example.org"
    notification = Notification(title="标题", body="很长的内容 " * 100, link="/cases/1/")
    text = outbox.sms_text(notification)
    assert text.endswith("… https://wangge.example.org/cases/1/")
    assert len(text) <= outbox.SMS_MAX_CHARS + 1 + len("https://wangge.example.org/cases/1/")


def test_outbox_stats_for_operators(reachable, sms, django_capture_on_commit_callbacks):
    sms.reset(failures=1)
    with django_capture_on_commit_callbacks(execute=True):
        send_one(reachable)
        send_one(reachable)
    stats = outbox.outbox_stats(now=timezone.now() + timedelta(hours=1))
    assert stats["by_status"] == {("sms", "failed"): 1, ("sms", "sent"): 1}
    assert stats["due"] == 1 and stats["oldest_due_seconds"] > 0 and stats["channels"] == ["sms"]
