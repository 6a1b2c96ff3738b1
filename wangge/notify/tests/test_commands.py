"""The deliverer command and the task worker path."""

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from wangge.notify.models import Delivery, DeliveryStatus
from wangge.notify.services import notify

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("deliver_notifications", *args, stdout=out)
    return out.getvalue()


def queue(user, count=1):
    with transaction.atomic():
        for i in range(count):
            notify(recipients=[user], kind="test", title=f"通知{i}")


def work_off_ready_tasks() -> None:
    """What `manage.py db_worker` does with each ready task, minus its connection recycling,
    which would close the connection holding the test's transaction."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    for result in DBTaskResult.objects.ready():
        result.claim(worker.worker_id)
        worker.run_task(result)


def test_the_command_sends_what_is_due_once(reachable, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queue(reachable, 3)
    assert "已发送 3" in run()
    assert "已发送 0" in run()
    assert len(sms.sent) == 3


def test_the_command_reports_failures_and_requeues_dead_rows(reachable, sms, django_capture_on_commit_callbacks):
    sms.reset(failures=2, permanent=True)
    with django_capture_on_commit_callbacks(execute=False):
        queue(reachable, 3)
    assert "已发送 1，待重试 0，放弃 2" in run()
    stats = json.loads(run("--stats"))
    assert stats["by_status"] == {"sms:dead": 2, "sms:sent": 1} and stats["channels"] == ["sms"]
    assert "重新排队 2" in run("--retry-dead", "--channel", "sms") and len(sms.sent) == 3


def test_bad_arguments_are_refused(db):
    for bad in ("abc", "0", "-5", "nan", "1e9"):
        with pytest.raises(CommandError):
            run("--loop", bad)
    with pytest.raises(CommandError):
        run("--retry-dead", "--channel", "fax")


def test_the_task_worker_sends_after_commit_and_schedules_retries(
    reachable, sms, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sms.reset(failures=1)
    with django_capture_on_commit_callbacks(execute=True):
        queue(reachable)
    delivery = Delivery.objects.get()
    task = DBTaskResult.objects.get()
    assert task.task_path == "wangge.notify.tasks.deliver_notifications"
    assert task.args_kwargs["args"] == [[delivery.pk]]
    assert delivery.status == DeliveryStatus.PENDING  # nothing sent inside the request

    work_off_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and sms.sent == []
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after == delivery.next_attempt_at  # the worker comes back when it is due

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    work_off_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(sms.sent) == 1
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliverers_send_each_copy_once(tree, sms, settings):
    from conftest import make_user
    from wangge.accounts.models import User
    from wangge.accounts.roles import Role

    settings.WANGGE_NOTIFY_BATCH = 7
    user = make_user("many", Role.STREET_DISPATCHER, tree["street_a"])
    User.objects.filter(pk=user.pk).update(phone="13900001111")
    user.refresh_from_db()
    with transaction.atomic():
        for i in range(60):
            notify(recipients=[user], kind="test", title=f"并发{i}", channels=["sms"])
    # the ImmediateBackend sent them already on commit; reset and make them due again
    sms.reset()
    Delivery.objects.update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now())

    from wangge.notify import outbox

    barrier, errors = threading.Barrier(4), []

    def worker():
        try:
            barrier.wait()
            outbox.deliver_all_due()
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(sms.sent) == 60 and len({text for _, text in sms.sent}) == 60
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == 60
