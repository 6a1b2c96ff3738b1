import pytest
from django.db import DatabaseError, connection, transaction

from wangge.core import audit
from wangge.core.models import AppendOnlyError, AuditEvent


@pytest.fixture
def event(tree):
    return audit.record(actor=None, verb="test.write", target=tree["city"], scope_key="5105", after={"a": 1})


def test_events_cannot_be_changed_through_the_model(event):
    event.verb = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_the_database_refuses_updates_and_deletes(event):
    table = AuditEvent._meta.db_table
    for statement in (f"UPDATE {table} SET verb = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.write"


def test_queryset_bulk_delete_is_refused_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_secrets_never_enter_the_snapshot(users):
    snapshot = audit.snapshot(users["admin"])
    assert "password" not in snapshot
    assert snapshot["username"] == "admin"
