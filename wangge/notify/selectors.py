"""Reading notifications: a user sees their own and nobody else's."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import Notification


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's inbox: unread first, newest first within each."""
    if not user.is_authenticated:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        return rows.filter(read_at__isnull=True).order_by("-created_at", "-id")
    return rows.annotate(
        unread=Case(When(read_at__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-unread", "-created_at", "-id")


def unread_count(*, user) -> int:
    """One COUNT over the (recipient, read_at) index; the navigation shows it on every page."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
