"""Background work of notifications, run by the task worker (`manage.py db_worker`)."""

from django_tasks import task

from . import outbox


@task()
def deliver_notifications(delivery_ids: list[int] | None = None) -> dict[str, int]:
    """Send the given outbox rows (or any that are due) that no other worker has claimed."""
    return outbox.deliver_due(ids=delivery_ids)
