"""Large files go to the task worker: the job is queued, checked and written in the background,
and its row carries the progress the page polls. Tests run tasks at once (ImmediateBackend);
one test hands the job to the real database backend and its worker in a subprocess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core.models import AuditEvent
from wangge.registry.models import Resident
from wangge.sheets import services
from wangge.sheets.models import ImportJob, JobStatus

from .conftest import make_id, resident_row, xlsx

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def many_rows(count: int) -> list:
    """`count` people spread over the four rooms of grid A."""
    rooms = ["101", "102", "201", "202"]
    return [
        resident_row(f"居民{n}", make_id(f"19{50 + n % 40}0101", f"9{n % 100:02d}"[:3], f"5105{n // 100 % 100:02d}"),
                     room=rooms[n % 4])
        for n in range(count)
    ]  # fmt: skip


def test_a_large_file_is_checked_and_written_by_the_worker(users, rooms, settings, django_capture_on_commit_callbacks):
    settings.WANGGE_IMPORT_INLINE_BYTES = 0  # everything counts as large
    data = xlsx(many_rows(300))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = services.import_upload(actor=users["gridworker_a"], ledger="residents", file_name="big.xlsx", data=data)
        assert job.status == JobStatus.QUEUED and job.background
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.READY, (job.status, job.message, job.first_errors[:3])
    assert job.task_id and job.new == 300 and job.progress_done == job.progress_total == 300
    assert set(job.timings) == {"read", "cells", "prepare", "check", "keep", "store_checked"}
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_commit(actor=users["gridworker_a"], job=job)
        assert job.status == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.status == JobStatus.COMMITTED and job.committed_at and job.stored_file == ""
    assert Resident.objects.count() == Resident.objects.filter(import_job=job).count() == 300
    assert AuditEvent.objects.filter(verb="sheets.import", target_id=str(job.pk)).count() == 1
    assert "load_checked" in job.timings  # the worker's commit used the rows its dry run kept


def test_progress_is_written_while_the_worker_reads(users, rooms, settings, django_capture_on_commit_callbacks):
    settings.WANGGE_IMPORT_INLINE_BYTES = 0
    data = xlsx(many_rows(10_000))
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        job = services.import_upload(actor=users["gridworker_a"], ledger="residents", file_name="big.xlsx", data=data)
    updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "sheets_importjob" SET "phase"')
    ]
    parsed = [int(done) for sql in updates for done in re.findall(r"'parse', \"progress_done\" = (\d+)", sql)]
    assert any(0 < done < 10_000 for done in parsed) and 10_000 in parsed, updates  # part-way, then done
    assert any("'check'" in sql for sql in updates), updates
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.phase == "" and job.progress_done == 10_000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a database it can share")
@pytest.mark.django_db(transaction=True)
def test_the_database_backend_and_its_worker(users, rooms, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WANGGE_IMPORT_INLINE_BYTES = 0
    job = services.import_upload(
        actor=users["gridworker_a"], ledger="residents", file_name="big.xlsx", data=xlsx(many_rows(50))
    )
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WANGGE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "WANGGE_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    worker = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    subprocess.run(worker, cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.new == 50
    services.import_commit(actor=users["gridworker_a"], job=job)
    subprocess.run(worker, cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    job.refresh_from_db()
    assert job.status == JobStatus.COMMITTED and Resident.objects.count() == 50
