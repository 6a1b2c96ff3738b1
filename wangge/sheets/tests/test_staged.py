"""New residents staged at the dry run: sealed there, written by the commit after checking in the
database what can have changed since; and large files checked in two processes with the same
outcome as in one."""

import datetime
import errno
import logging
import os
import time

import pytest
from django.db import connection

from wangge.core import pii
from wangge.regions.models import Household, Region
from wangge.registry.models import Residence, Resident
from wangge.sheets import engine, parallel, services
from wangge.sheets.models import JobStatus
from wangge.sheets.spec import Context, find

from .conftest import A_GRID, B_GRID, make_id, registered, resident_row, xlsx

pytestmark = pytest.mark.django_db


def upload(users, rows, actor="gridworker_a"):
    return services.import_upload(actor=users[actor], ledger="residents", file_name="甲.xlsx", data=xlsx(rows))


def errors_of(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def people(count: int, **overrides) -> list[list]:
    rooms = ["101", "102", "201", "202"]
    return [
        resident_row(f"居民{n}", make_id(f"19{60 + n}0101", f"9{n:02d}"), room=rooms[n % 4], **overrides)
        for n in range(count)
    ]


def test_the_dry_run_stages_new_people_sealed_and_the_commit_writes_them(users, rooms):
    job = upload(users, people(4))
    assert job.status == JobStatus.READY and job.new == 4
    checked = services._load_checked(job, find("residents"))
    assert checked.rows == [] and len(checked.staged) == 4  # every row new: all staged, none to re-check
    number = make_id("19600101", "900")
    staged = {row[0]: row for row in checked.staged}["居民0"]
    assert number not in staged and pii.decrypt(staged[1]) == number and staged[2] == pii.blind_index(number)
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.COMMITTED and (done.rows, done.new) == (4, 4) and "write_staged" in done.timings
    person = Resident.objects.get(id_index=pii.blind_index(number))
    assert (person.name, person.birth_date, person.gender, person.import_job_id) == (
        "居民0",
        datetime.date(1960, 1, 1),
        "F",  # order code 900: the 17th digit is even
        job.pk,
    )
    stays = Residence.objects.filter(resident__import_job=job)
    assert stays.count() == 4 and all(s.household_id == s.resident.household_id for s in stays)


def test_a_blank_move_in_date_is_the_day_of_the_commit_not_of_the_dry_run(users, rooms):
    spec = find("residents")
    job = upload(users, people(1))
    checked = services._load_checked(job, spec)
    later = datetime.date.today() + datetime.timedelta(days=3)  # committed three days after the preview
    ctx = Context(actor=users["gridworker_a"], scope_key="510502001001", today=later)
    outcome = engine.commit_checked(spec, ctx, checked, job=job)
    assert outcome is not None and outcome.counts["new"] == 1
    person = Resident.objects.get()
    assert person.moved_in == later and Residence.objects.get().started == later


def test_a_household_removed_since_the_dry_run_stops_the_commit_with_the_usual_report(users, rooms):
    job = upload(users, people(4))
    Household.objects.filter(building=rooms, room="202").delete()
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.INVALID and "read" in done.timings  # the file was checked again
    assert [(row, column) for row, column, _message in errors_of(done)] == [(5, "房号")]
    assert not Resident.objects.exists() and not Residence.objects.exists()


def test_a_room_renumbered_since_the_dry_run_is_found_by_its_address_again(users, rooms):
    job = upload(users, people(4))
    old = Household.objects.get(building=rooms, room="202")
    old.room = "203"
    old.save()
    new = Household.objects.create(building=rooms, region_key=A_GRID, unit=1, room="202")
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.COMMITTED  # the address finds the household now numbered 202
    assert Resident.objects.get(name="居民3").household == new


def test_a_building_renamed_since_the_dry_run_stops_the_commit(users, rooms):
    job = upload(users, people(4))
    rooms.name = "9栋"
    rooms.save()
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.INVALID and {column for _row, column, _m in errors_of(done)} == {"楼栋"}
    assert not Resident.objects.exists()


def test_staged_rows_are_not_used_after_the_index_key_changed(users, rooms, settings):
    job = upload(users, people(2))
    settings.PII_INDEX_KEY = "a-new-index-key-for-this-test"  # rotated between preview and commit
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.COMMITTED and "read" in done.timings  # the file was read again
    number = make_id("19600101", "900")
    assert Resident.objects.get(id_index=pii.blind_index(number)).name == "居民0"  # the new key's index


def test_a_scope_changed_since_the_dry_run_stops_the_commit(users, rooms):
    job = upload(users, people(2))
    worker = users["gridworker_a"]
    worker.scope_region = Region.objects.get(code=B_GRID)  # moved to another community's grid meanwhile
    worker.save()
    done = services.import_commit(actor=worker, job=job)
    assert done.status == JobStatus.INVALID and {column for _row, column, _m in errors_of(done)} == {"网格编码"}
    assert not Resident.objects.exists()


# ---- two processes ---------------------------------------------------------------------------


@pytest.fixture
def in_two(settings, caplog):
    settings.WANGGE_IMPORT_PARALLEL_MIN_ROWS = 4
    settings.WANGGE_IMPORT_PROCESSES = 2
    caplog.set_level(logging.WARNING, logger="wangge.sheets.parallel")
    return caplog


def gave_up(caplog) -> list[str]:
    """Why the second process's half had to be redone here, if it had to."""
    return [record.getMessage() for record in caplog.records if record.name == "wangge.sheets.parallel"]


def outcome_of(users, rows):
    job = upload(users, rows)
    return job.status, (job.rows, job.new, job.updated, job.unchanged, job.errors), errors_of(job), job


def test_two_processes_check_a_file_exactly_as_one_does(users, rooms, settings, in_two):
    rows = people(12)
    rows[2][7] = B_GRID  # first half: an address outside the grid worker's scope
    rows[9][9] = "9栋"  # second half: a building that does not exist
    settings.WANGGE_IMPORT_PROCESSES = 1
    alone = outcome_of(users, rows)
    settings.WANGGE_IMPORT_PROCESSES = 2
    together = outcome_of(users, rows)
    assert gave_up(in_two) == []  # the second process's answer was used
    assert together[:3] == alone[:3] and alone[1] == (12, 10, 0, 0, 2)
    assert [(row, column) for row, column, _m in alone[2]] == [(4, "网格编码"), (11, "楼栋")]


def test_two_processes_stage_the_same_people_and_the_commit_writes_them_all(users, rooms, in_two):
    status, counts, _errors, job = outcome_of(users, people(12))
    assert status == JobStatus.READY and counts == (12, 12, 0, 0, 0) and gave_up(in_two) == []
    staged = services._load_checked(job, find("residents")).staged
    assert [row[2] for row in staged] == sorted(row[2] for row in staged)  # one order for both halves
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.COMMITTED and Resident.objects.count() == Residence.objects.count() == 12
    assert sorted(Resident.objects.values_list("name", flat=True)) == sorted(f"居民{n}" for n in range(12))


def test_a_row_that_needs_the_database_in_the_second_half_is_checked_here(users, rooms, in_two):
    # A conflicting person's row names the registered record's address: a query the child may
    # not make. The child gives up and this process checks its half: same message as in one process.
    number = make_id("19700101", "910")
    home = Household.objects.get(building=rooms, room="101")
    registered("别人", number, datetime.date(1970, 1, 1), "M", household=home)
    status, counts, errors, _job = outcome_of(users, people(12))
    assert status == JobStatus.INVALID and counts == (12, 11, 0, 0, 1)
    assert errors[0][:2] == (12, "姓名") and "1单元101" in errors[0][2]
    assert gave_up(in_two) == ["import: the second process gave up (it queried the database); checking its half here"]


def test_without_a_second_process_the_file_is_checked_in_one(users, rooms, in_two, monkeypatch):
    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", no_fork)
    status, counts, _errors, job = outcome_of(users, people(12))
    assert status == JobStatus.READY and counts == (12, 12, 0, 0, 0)
    (warning,) = gave_up(in_two)
    assert warning.startswith("import: no second process") and warning.endswith("checking in one")
    assert services.import_commit(actor=users["gridworker_a"], job=job).status == JobStatus.COMMITTED


def test_the_child_never_uses_this_process_s_database_connection(caplog):
    caplog.set_level(logging.WARNING, logger="wangge.sheets.parallel")
    parent = os.getpid()

    def work(items):
        if os.getpid() != parent:
            with connection.cursor() as cursor:  # refused in the child: this half is redone here
                cursor.execute("SELECT 1")
        return [value * 2 for value in items]

    first, second = parallel.in_halves(work, list(range(40_000)))
    assert first + second == [value * 2 for value in range(40_000)]
    assert "it queried the database" in gave_up(caplog)[0]
    with connection.cursor() as cursor:  # the shared session is intact
        cursor.execute("SELECT 41 + 1")
        assert cursor.fetchone()[0] == 42


def test_an_exception_in_the_child_costs_time_not_the_result(caplog):
    caplog.set_level(logging.WARNING, logger="wangge.sheets.parallel")
    parent = os.getpid()

    def work(items):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return [str(value) for value in items]

    first, second = parallel.in_halves(work, list(range(30_000)))
    assert first + second == [str(value) for value in range(30_000)]
    assert "it raised an error" in gave_up(caplog)[0]


def test_a_child_that_does_not_answer_in_time_is_stopped(caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="wangge.sheets.parallel")
    monkeypatch.setattr(parallel, "_MIN_WAIT", 0.5)
    parent = os.getpid()

    def work(items):
        if os.getpid() != parent:
            time.sleep(60)  # stuck
        return list(items)

    first, second = parallel.in_halves(work, list(range(30_000)))
    assert first + second == list(range(30_000))
    assert "no answer within" in gave_up(caplog)[0]  # stopped, not waited for


def test_the_answer_is_read_whatever_file_number_the_pipe_gets(caplog):
    # A worker holding many files gets pipe ends numbered past 1024, where select() cannot look.
    import resource

    caplog.set_level(logging.WARNING, logger="wangge.sheets.parallel")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this system allows fewer than 1,200 open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [open(os.devnull) for _ in range(1100)]  # noqa: SIM115
    try:
        first, second = parallel.in_halves(lambda items: [value * 2 for value in items], list(range(40_000)))
    finally:
        for handle in held:
            handle.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert first + second == [value * 2 for value in range(40_000)] and gave_up(caplog) == []
