"""The outbox: copies of notifications sent by email and SMS, with retries.

`notify()` writes a `Delivery` row per outside channel in the caller's transaction and, once that
commits, enqueues a task that sends them. Whatever a channel does — refuse, time out, vanish — only
the delivery row records it; the change that caused the notification is already committed.
Workers claim rows before sending so that several of them (the task worker, the
`deliver_notifications` command, on one machine or many) never send the same row at once."""

import logging
import smtplib
import uuid
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wangge.core.pii import mask_phone

from .models import Channel, Delivery, DeliveryStatus, Notification
from .sms import SmsBackend, SmsError, sms_backend

logger = logging.getLogger("wangge.notify")

OPEN = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
SMS_MAX_CHARS = 140


class DeliveryError(Exception):
    """A delivery that cannot be made as things stand (no address, channel switched off)."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


# --- which channels, to whom -------------------------------------------------------------------


def channel_enabled(channel: str) -> bool:
    if channel == Channel.EMAIL:
        return bool(settings.WANGGE_NOTIFY_EMAIL)
    if channel == Channel.SMS:
        return bool(settings.WANGGE_SMS_BACKEND)
    return False


def enabled_channels() -> list[str]:
    return [channel for channel in Channel.values if channel_enabled(channel)]


def address_of(user, channel: str) -> str:
    if channel == Channel.EMAIL:
        return (user.email or "").strip()
    if channel == Channel.SMS:
        return (user.phone or "").strip()
    return ""


def create_deliveries(notifications: list[Notification], *, channels=None) -> list[Delivery]:
    """Outbox rows for every configured channel (limited to `channels` when given) on which the
    recipient can be reached. Inactive users get the in-app message only."""
    wanted = [c for c in enabled_channels() if channels is None or c in channels]
    rows = []
    for notification in notifications:
        user = notification.recipient
        if not user.is_active:
            continue
        for channel in wanted:
            if address_of(user, channel):
                rows.append(
                    Delivery(notification=notification, channel=channel, next_attempt_at=notification.created_at)
                )
    return Delivery.objects.bulk_create(rows)


def schedule(delivery_ids: list[int]) -> None:
    """Send these deliveries in the background once the current transaction commits."""
    if delivery_ids:
        transaction.on_commit(lambda: _enqueue(list(delivery_ids)), robust=True)


def _enqueue(delivery_ids: list[int], run_after: datetime | None = None) -> None:
    from .tasks import deliver_notifications

    task = deliver_notifications
    try:
        if run_after is not None:
            if not task.get_backend().supports_defer:
                return  # retries then wait for the deliver_notifications command
            task = task.using(run_after=run_after)
        task.enqueue(delivery_ids)
    except Exception:
        # Never let the queue break the caller; the rows stay due and the command sends them.
        logger.exception("could not enqueue delivery of %d notification copies", len(delivery_ids))


# --- sending -----------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    """Wait before the next try after `attempts` failed ones: base, 2×base, 4×base … up to the cap."""
    base, cap = settings.WANGGE_NOTIFY_RETRY_SECONDS, settings.WANGGE_NOTIFY_RETRY_MAX_SECONDS
    return int(min(cap, base * 2 ** max(0, min(attempts - 1, 30))))


def _lease_end(now: datetime) -> datetime:
    # From the claim itself: `now` may be when a long run began (or a moment a test looks ahead
    # to), and a lease counted from the past would free rows that are still being sent.
    return max(now, timezone.now()) + timedelta(seconds=settings.WANGGE_NOTIFY_CLAIM_SECONDS)


def _due(now: datetime):
    return Delivery.objects.filter(
        status__in=OPEN, next_attempt_at__lte=now, attempts__lt=settings.WANGGE_NOTIFY_MAX_ATTEMPTS
    )


def _claim(*, ids, limit: int, now: datetime) -> list[Delivery]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = _due(now)
        if ids is not None:
            candidates = candidates.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        picked = list(candidates.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if not picked:
            return []
        # The due conditions are repeated in the UPDATE: where rows cannot be locked (SQLite), two
        # workers may pick the same rows, and only the first UPDATE still finds them due.
        _due(now).filter(pk__in=picked).update(
            claim_token=token,
            attempts=F("attempts") + 1,
            next_attempt_at=_lease_end(now),
            updated_at=timezone.now(),
        )
    return list(
        Delivery.objects.filter(pk__in=picked, claim_token=token)
        .select_related("notification__recipient")
        .order_by("id")
    )


def _bury_abandoned(now: datetime) -> int:
    """Due rows with no attempts left: a worker stopped while sending the last one, or the
    maximum was lowered since they failed."""
    exhausted = Delivery.objects.filter(
        status__in=OPEN, next_attempt_at__lte=now, attempts__gte=settings.WANGGE_NOTIFY_MAX_ATTEMPTS
    )
    stamp = {"status": DeliveryStatus.DEAD, "next_attempt_at": None, "claim_token": "", "updated_at": timezone.now()}
    lost = exhausted.exclude(claim_token="").update(
        **stamp, last_error="no result recorded for the last attempt (worker stopped?)"
    )
    return lost + exhausted.update(**stamp)


def _absolute(link: str) -> str:
    if link.startswith(("http://", "https://")):
        return link
    if link.startswith("/") and settings.WANGGE_SITE_URL:
        return settings.WANGGE_SITE_URL + link
    return ""


def _send_email(notification: Notification, address: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [notification.body] if notification.body else []
        url = _absolute(notification.link)
        if url:
            lines.append(_("查看：%(url)s") % {"url": url})
        lines.append(_("这是网格平台自动发送的通知，请登录平台查看和处理。"))
        subject = _("【网格】%(title)s") % {"title": notification.title}
    message_id = make_msgid(domain=(settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"))
    message = EmailMessage(
        subject=subject.replace("\n", " "),
        body="\n\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id},
    )
    message.send(fail_silently=False)
    return message_id


def sms_text(notification: Notification) -> str:
    text = notification.title
    if notification.body:
        text += "：" + " ".join(notification.body.split())
    if len(text) > SMS_MAX_CHARS:
        text = text[: SMS_MAX_CHARS - 1] + "…"
    url = _absolute(notification.link)
    return f"{text} {url}" if url else text


def _send_sms(notification: Notification, address: str, backend: SmsBackend) -> str:
    message_id = backend.send(address, sms_text(notification))
    return str(message_id or "")[:100]


def _describe(error: Exception, address: str) -> str:
    text = f"{type(error).__name__}: {error}"
    if address:
        # Gateways like to echo the number back; the outbox keeps none.
        text = text.replace(address, mask_phone(address) if "@" not in address else "<address>")
    return text[:500]


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, SmsError | DeliveryError):
        return error.permanent
    return isinstance(error, smtplib.SMTPRecipientsRefused)


def _attempt(delivery: Delivery, *, now: datetime, backends: dict) -> str | None:
    """Try one claimed delivery and record the outcome; returns the new status, or None when the
    claim ran out while earlier rows of the batch were sent and another sender took the row."""
    renewed = Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        next_attempt_at=_lease_end(now), updated_at=timezone.now()
    )
    if not renewed:
        logger.warning("delivery %s: claim ran out before its turn; left to the sender that took it", delivery.pk)
        return None
    notification = delivery.notification
    user = notification.recipient
    address = address_of(user, delivery.channel)
    try:
        if not channel_enabled(delivery.channel):
            raise DeliveryError("channel is not configured any more")
        if not address or not user.is_active:
            raise DeliveryError("recipient has no address on this channel any more")
        if delivery.channel == Channel.EMAIL:
            provider_id = _send_email(notification, address)
        else:
            if "sms" not in backends:
                backends["sms"] = sms_backend()
            provider_id = _send_sms(notification, address, backends["sms"])
    except Exception as error:
        expected = isinstance(error, SmsError | DeliveryError | smtplib.SMTPException | OSError)
        if not expected:
            logger.exception("delivery %s (%s) failed unexpectedly", delivery.pk, delivery.channel)
        give_up = _is_permanent(error) or delivery.attempts >= settings.WANGGE_NOTIFY_MAX_ATTEMPTS
        status = DeliveryStatus.DEAD if give_up else DeliveryStatus.FAILED
        changes = {
            "status": status,
            "last_error": _describe(error, address),
            "next_attempt_at": None if give_up else now + timedelta(seconds=backoff_seconds(delivery.attempts)),
        }
        logger.warning(
            "delivery %s (%s) attempt %d failed, %s: %s",
            delivery.pk,
            delivery.channel,
            delivery.attempts,
            status,
            changes["last_error"],
        )
    else:
        status = DeliveryStatus.SENT
        changes = {
            "status": status,
            "provider_id": provider_id,
            "sent_at": timezone.now(),
            "next_attempt_at": None,
            "last_error": "",
        }
        logger.info("delivery %s (%s) sent on attempt %d", delivery.pk, delivery.channel, delivery.attempts)
    recorded = Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
        **changes, claim_token="", updated_at=timezone.now()
    )
    if not recorded:
        logger.warning("delivery %s: claim expired before the result was recorded", delivery.pk)
    for name, value in changes.items():
        setattr(delivery, name, value)
    return status


def deliver_due(*, ids=None, limit: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """Claim up to `limit` due deliveries (only among `ids` when given), send them and record each
    outcome. Failures wait with exponential backoff; after the last allowed attempt they are dead.
    Returns how many ended in each status. Called by the task and the command."""
    now = now or timezone.now()
    limit = limit or settings.WANGGE_NOTIFY_BATCH
    counts: Counter = Counter()
    counts["dead"] += _bury_abandoned(now)
    backends: dict = {}
    retry: list[Delivery] = []
    for delivery in _claim(ids=ids, limit=limit, now=now):
        status = _attempt(delivery, now=now, backends=backends)
        if status is None:
            continue
        counts[status] += 1
        if status == DeliveryStatus.FAILED:
            retry.append(delivery)
    if retry:
        _enqueue([d.pk for d in retry], run_after=min(d.next_attempt_at for d in retry))
    return {status: counts[status] for status in DeliveryStatus.values}


def deliver_all_due(*, now: datetime | None = None) -> dict[str, int]:
    """Batches until nothing is due; what fails now is not retried in the same run."""
    now = now or timezone.now()
    total: Counter = Counter()
    while True:
        counts = deliver_due(now=now)
        total.update(counts)
        if not any(counts[s] for s in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DEAD)):
            break
    return {status: total[status] for status in DeliveryStatus.values}


# --- for operators -----------------------------------------------------------------------------


def outbox_stats(*, now: datetime | None = None) -> dict:
    """Counts by channel and status, how many are due now, and the age of the oldest due row."""
    from django.db.models import Count, Min

    now = now or timezone.now()
    by_status = {
        (row["channel"], row["status"]): row["n"]
        for row in Delivery.objects.values("channel", "status").annotate(n=Count("id")).order_by()
    }
    due = _due(now).aggregate(n=Count("id"), oldest=Min("next_attempt_at"))
    return {
        "by_status": by_status,
        "due": due["n"],
        "oldest_due_seconds": int((now - due["oldest"]).total_seconds()) if due["oldest"] else 0,
        "channels": enabled_channels(),
    }


def retry_dead(*, channel: str | None = None, since: datetime | None = None) -> list[int]:
    """Give dead deliveries a fresh set of attempts (after a gateway or configuration was fixed)."""
    rows = Delivery.objects.filter(status=DeliveryStatus.DEAD)
    if channel:
        rows = rows.filter(channel=channel)
    if since:
        rows = rows.filter(created_at__gte=since)
    ids = list(rows.values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claim_token="",
        updated_at=timezone.now(),
    )
    return ids
