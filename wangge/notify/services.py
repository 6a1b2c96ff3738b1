"""Telling people things. Callers name recipients and the message; channels are this app's business."""

from collections.abc import Iterable

from django.db import models

from .models import Notification


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    target: models.Model | None = None,
) -> list[Notification]:
    """Send one message to each recipient (each user once). Call inside the caller's transaction:
    the message exists exactly when the change it reports was committed."""
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
                link=link,
                target_type=target._meta.label_lower if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
            )
        )
    return Notification.objects.bulk_create(rows)
