"""Telling people things. Callers name recipients and the message; channels are this app's business."""

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound

from . import outbox
from .models import Notification


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    target: models.Model | None = None,
    channels: Iterable[str] | None = None,
) -> list[Notification]:
    """Send one message to each recipient (each user once). Call inside the caller's transaction:
    the message exists exactly when the change it reports was committed. In-app always; email and
    SMS copies go to the outbox for each configured channel (only those in `channels` when given,
    `channels=()` for in-app only) and are sent after commit — a failing channel never fails the caller."""
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                title=title[:200],
                body=body,
                link=link[:300],
                target_type=target._meta.label_lower if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
            )
        )
    with transaction.atomic(savepoint=False):  # no extra savepoint inside the caller's transaction
        created = Notification.objects.bulk_create(rows)
        deliveries = outbox.create_deliveries(created, channels=None if channels is None else set(channels))
        outbox.schedule([d.pk for d in deliveries])
    return created


def _own(user):
    return Notification.objects.filter(recipient=user) if user.is_authenticated else Notification.objects.none()


@transaction.atomic
def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again is harmless). Anyone's own only; another
    user's notification is as missing as one that does not exist. Not audited: a read mark is the
    reader's own bookkeeping, not a change to anything the platform governs."""
    notification = _own(user).select_for_update().filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(_("通知不存在"), field="id")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return _own(user).filter(read_at__isnull=True).update(read_at=timezone.now())
