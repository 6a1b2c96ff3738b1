"""The resident ledger through the engine: dry run, commit, updates, conflicts, scope, the
all-or-nothing rule, audit records and the error report."""

import datetime
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from wangge.core import pii
from wangge.core.errors import Conflict, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.registry import services as registry_services
from wangge.registry.models import Residence, Resident
from wangge.sheets import services
from wangge.sheets.models import JobStatus
from wangge.sheets.reader import ERROR_HEADER

from .conftest import A_GRID, B_GRID, HEADERS, make_id, read_xlsx, registered, resident_row, xlsx

pytestmark = pytest.mark.django_db
ZHANG, LI, WANG = make_id(), make_id("19851231", "902"), make_id("20100615", "904")


def upload(users, rows, actor="gridworker_a", commit=False, headers=HEADERS):
    return services.import_upload(
        actor=users[actor], ledger="residents", file_name="甲一.xlsx", data=xlsx(rows, headers=headers), commit=commit
    )


def three_people():
    return [
        resident_row("张三", ZHANG, gender="男", birth=datetime.date(1990, 1, 1), moved=datetime.date(2015, 6, 1)),
        resident_row("李四", LI, phone="", kind="流动人口", room="102"),
        resident_row("王小五", WANG, phone="13912345678", room="201"),
    ]


def errors_of(job) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.first_errors]


def test_dry_run_counts_and_writes_nothing(users, rooms):
    job = upload(users, three_people())
    assert job.status == JobStatus.READY and (job.rows, job.new, job.updated, job.unchanged, job.errors) == (
        3,
        3,
        0,
        0,
        0,
    )
    assert not Resident.objects.exists() and not AuditEvent.objects.filter(verb="resident.import").exists()


def test_commit_writes_encrypted_people_linked_to_their_audited_import(users, rooms):
    job = services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    assert job.status == JobStatus.COMMITTED and job.new == 3 and job.stored_file == ""
    zhang = Resident.objects.get(id_index=pii.blind_index(ZHANG))
    assert zhang.name == "张三" and pii.decrypt(zhang.id_cipher) == ZHANG and zhang.id_masked == "510502********9012"
    assert zhang.birth_date == datetime.date(1990, 1, 1) and zhang.gender == "M" and zhang.kind == "registered"
    assert pii.decrypt(zhang.phone_cipher) == "17012345678" and zhang.phone_masked == "170****5678"
    assert zhang.phone_index == pii.blind_index("17012345678") and zhang.moved_in == datetime.date(2015, 6, 1)
    assert zhang.household.room == "101" and zhang.region_key == A_GRID and zhang.created_at is not None
    li = Resident.objects.get(name="李四")
    assert li.phone_cipher == "" and li.kind == "floating" and li.gender == "F" and li.household.room == "102"
    # who registered these people, when and from which file: the import job each row names, and
    # the job's one audit event (no event per new person)
    assert Resident.objects.filter(import_job=job).count() == 3 and zhang.import_job_id == job.pk
    assert not AuditEvent.objects.filter(verb="resident.import").exists()
    summary = AuditEvent.objects.get(verb="sheets.import")
    assert summary.target_id == str(job.pk) and summary.after["new"] == 3 and summary.after["rows"] == 3
    assert (
        summary.actor == users["gridworker_a"] and f"导入任务#{job.pk}" in summary.note and "甲一.xlsx" in summary.note
    )
    assert ZHANG not in str(summary.after) and job.file_sha256 and job.committed_at
    # The person's page names the import that registered them, linked to the job.
    client = Client()
    client.force_login(users["gridworker_a"])
    page = client.get(reverse("registry:resident", args=[zhang.pk])).content.decode()
    assert f"Excel 导入（批次 #{job.pk}）" in page and reverse("sheets:job", args=[job.pk]) in page
    # Import jobs are their uploader's: a colleague reads where the person came from, unlinked.
    colleague = Client()
    colleague.force_login(users["admin_a"])
    page = colleague.get(reverse("registry:resident", args=[zhang.pk])).content.decode()
    assert f"Excel 导入（批次 #{job.pk}）" in page and reverse("sheets:job", args=[job.pk]) not in page


def test_reimporting_the_same_people_changes_nothing_and_updates_what_changed(users, rooms):
    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    again = upload(users, three_people())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    changed = three_people()
    changed[0][4] = "13800001111"  # new phone
    changed[1][5] = "户籍人口"  # now registered here
    changed[2][11] = "202"  # moved to another room
    changed[2][4] = ""  # blank: keeps the stored phone
    job = services.import_commit(actor=users["gridworker_a"], job=upload(users, changed))
    assert (job.new, job.updated, job.unchanged) == (0, 3, 0), job.first_errors
    zhang, li, wang = (Resident.objects.get(name=n) for n in ("张三", "李四", "王小五"))
    assert pii.decrypt(zhang.phone_cipher) == "13800001111" and zhang.phone_masked == "138****1111"
    assert li.kind == "registered" and wang.household.room == "202" and pii.decrypt(wang.phone_cipher) == "13912345678"
    # the move went through the ledger's own service: history closed and opened, audited as a move
    stays = list(
        Residence.objects.filter(resident=wang)
        .order_by("id")
        .values_list("household__room", "ended", "end_reason", "start_reason")
    )
    assert stays == [("201", datetime.date.today(), "transfer", "registered"), ("202", None, "", "transfer")]
    move = AuditEvent.objects.get(verb="resident.move", target_id=str(wang.pk))
    assert move.actor == users["gridworker_a"] and move.after["household_id"] == wang.household_id
    assert not AuditEvent.objects.filter(verb="resident.import", target_id=str(wang.pk)).exclude(before=None).exists()
    phone_event = AuditEvent.objects.filter(verb="resident.import", target_id=str(zhang.pk)).latest("id")
    assert phone_event.before == {"phone_masked": "170****5678"} and phone_event.after == {
        "phone_masked": "138****1111"
    }


def test_new_people_get_their_first_residence(users, rooms):
    rows = three_people()
    rows[1][12], rows[1][13] = "四川省泸州市", "独居"
    services.import_commit(actor=users["gridworker_a"], job=upload(users, rows))
    zhang, li = Resident.objects.get(name="张三"), Resident.objects.get(name="李四")
    assert (li.origin, li.note, li.moved_in, li.left_on) == ("四川省泸州市", "独居", datetime.date.today(), None)
    stay = Residence.objects.get(resident=zhang)
    assert (stay.household_id, stay.region_key, stay.started, stay.start_reason, stay.ended) == (
        zhang.household_id,
        A_GRID,
        datetime.date(2015, 6, 1),
        "registered",
        None,
    )
    assert stay.recorded_by == users["gridworker_a"] and Residence.objects.count() == 3


def test_moves_need_a_date_after_the_current_stay(users, rooms):
    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    row = three_people()[0]
    row[11], row[6] = "102", "2010-01-01"  # to another room, but before moving into 101 (2015-06-01)
    ((_row, column, message),) = errors_of(upload(users, [row]))
    assert column == "入住日期" and "2015-06-01起住在001001花园1栋1单元101" in message
    row[6] = "2020-03-01"
    job = services.import_commit(actor=users["gridworker_a"], job=upload(users, [row]))
    assert job.updated == 1
    zhang = Resident.objects.get(name="张三")
    assert zhang.household.room == "102" and zhang.moved_in == datetime.date(2020, 3, 1)


def test_people_who_left_are_moved_back_in(users, rooms):
    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    zhang = Resident.objects.get(name="张三")
    registry_services.resident_depart(actor=users["gridworker_a"], resident=zhang, on=datetime.date(2024, 5, 1))
    row = three_people()[0]
    row[6] = "2024-04-01"
    ((_row, column, message),) = errors_of(upload(users, [row]))
    assert column == "入住日期" and "早于此人的迁出日期2024-05-01" in message
    row[6], row[11] = "2025-01-01", "202"
    job = services.import_commit(actor=users["gridworker_a"], job=upload(users, [row]))
    assert (job.status, job.updated) == ("committed", 1)
    zhang.refresh_from_db()
    assert zhang.left_on is None and zhang.household.room == "202" and zhang.moved_in == datetime.date(2025, 1, 1)
    assert Residence.objects.get(resident=zhang, ended=None).start_reason == "move_in"
    assert AuditEvent.objects.filter(verb="resident.move_in", target_id=str(zhang.pk)).exists()


def test_a_person_who_left_another_region_is_taken_in_by_id_number(users, rooms):
    row_b = resident_row("赵六", WANG, grid=B_GRID, moved="2012-01-01")
    services.import_commit(actor=users["staff_b"], job=upload(users, [row_b], actor="staff_b"))
    zhao = Resident.objects.get()
    registry_services.resident_depart(actor=users["staff_b"], resident=zhao, on=datetime.date(2024, 5, 1))
    wrong = upload(users, [resident_row("赵陆", WANG, room="102")])
    ((_row, column, message),) = errors_of(wrong)
    assert column == "姓名" and "赵六" not in message  # nothing about a record outside the scope
    job = services.import_commit(
        actor=users["gridworker_a"], job=upload(users, [resident_row("赵六", WANG, room="102")])
    )
    assert (job.status, job.updated) == ("committed", 1), (job.message, job.first_errors)
    zhao.refresh_from_db()
    assert zhao.region_key == A_GRID and zhao.left_on is None and zhao.household.room == "102"


def test_masked_phone_from_an_export_means_keep(users, rooms):
    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    rows = three_people()
    rows[0][4] = "170****5678"
    assert upload(users, rows).unchanged == 3
    rows[0][4] = "170****0000"
    job = upload(users, rows)
    assert errors_of(job) == [(2, "手机号", "手机号已打码，且与系统中此人的号码不符：请填写完整的手机号")]


def test_conflicting_person_names_the_row_and_the_registered_record(users, rooms):
    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    zhang = Resident.objects.get(name="张三")
    job = upload(users, [resident_row("张叁", ZHANG)])
    assert job.status == JobStatus.INVALID and job.errors == 1
    ((row, column, message),) = errors_of(job)
    assert row == 2 and column == "姓名"
    assert "本行为“张叁，1990-01-01”" in message and "“张三，1990-01-01”" in message
    assert f"居民编号{zhang.pk}" in message and "001001花园1栋1单元101" in message
    assert Resident.objects.get(pk=zhang.pk).name == "张三"


def test_rows_that_disagree_with_the_id_number(users, rooms):
    rows = [
        resident_row("张三", ZHANG, gender="女", birth="1990-01-02", moved="1989-12-31"),
        resident_row("李四", ZHANG, room="102"),
        resident_row("", "", kind="", unit="一", room="102"),
    ]
    job = upload(users, rows)
    assert errors_of(job) == [
        (2, "性别", "与身份证号不一致：身份证号表明为男"),
        (2, "出生日期", "与身份证号中的出生日期1990-01-01不一致"),
        (2, "入住日期", "早于出生日期1990-01-01"),
        (3, "身份证号", "与第2行重复：同一条记录在文件中只能出现一次"),
        (4, "姓名", "不能为空"),
        (4, "身份证号", "不能为空"),
        (4, "人口类别", "不能为空"),
        (4, "单元", "应为整数，实际为“一”"),
    ]
    assert job.errors == 3 and job.new == 0


def test_addresses_must_exist_inside_the_scope(users, rooms):
    rows = [
        resident_row("甲", make_id(order="911"), grid="510502001001009"),
        resident_row("乙", make_id(order="913"), grid=B_GRID),
        resident_row("丙", make_id(order="915"), compound="不存在小区"),
        resident_row("丁", make_id(order="917"), building="9栋"),
        resident_row("戊", make_id(order="919"), unit=2),
    ]
    assert errors_of(upload(users, rows)) == [
        (2, "网格编码", "网格编码510502001001009不存在，或不在您的管辖范围内"),
        (3, "网格编码", f"网格编码{B_GRID}不存在，或不在您的管辖范围内"),
        (4, "小区", f"网格{A_GRID}中没有小区“不存在小区”（已有：001001花园）"),
        (5, "楼栋", "小区“001001花园”中没有楼栋“9栋”（已有：1栋）"),
        (6, "房号", "001001花园1栋没有2单元101这一户：请先在房屋台账中登记"),
    ]
    # the street B dispatcher sees grid B's household and can import into it
    row = resident_row("乙", make_id(order="913"), grid=B_GRID)
    assert upload(users, [row], actor="staff_b").new == 1


def test_a_person_registered_outside_the_scope_is_not_revealed_or_moved(users, rooms):
    services.import_commit(
        actor=users["staff_b"],
        job=upload(users, [resident_row("赵六", ZHANG, grid=B_GRID)], actor="staff_b"),
    )
    job = upload(users, [resident_row("张三", ZHANG)])
    ((row, column, message),) = errors_of(job)
    assert column == "身份证号" and "管辖范围以外" in message and "赵六" not in message
    assert Resident.objects.get().region_key == B_GRID


def test_commit_is_all_or_nothing_when_the_database_changed_since_the_dry_run(users, rooms):
    job = upload(users, three_people())
    assert job.status == JobStatus.READY
    # someone registers 李四 under another name before the commit
    registered("李思", LI, datetime.date(1985, 12, 31), "F")
    job = services.import_commit(actor=users["gridworker_a"], job=job)
    assert job.status == JobStatus.INVALID and job.errors == 1 and errors_of(job)[0][:2] == (3, "姓名")
    assert Resident.objects.count() == 1 and not AuditEvent.objects.filter(verb__startswith="resident.").exists()
    assert not AuditEvent.objects.filter(verb="sheets.import").exists()
    with pytest.raises(Conflict):
        services.import_commit(actor=users["gridworker_a"], job=job)


def test_the_commit_reuses_the_rows_its_dry_run_parsed_sealed_for_that_job(users, rooms, media):
    from django.core.files.storage import default_storage

    job = upload(users, three_people())
    with default_storage.open(job.checked_file, "rb") as handle:
        sealed = handle.read()
    assert ZHANG.encode() not in sealed and "张三".encode() not in sealed  # encrypted like the upload
    done = services.import_commit(actor=users["gridworker_a"], job=job)
    assert done.status == JobStatus.COMMITTED and done.new == 3
    assert "load_checked" in done.timings and "read" not in done.timings  # the workbook was not read again
    assert not default_storage.exists(job.checked_file) and done.checked_file == ""
    zhang = Resident.objects.get(id_index=pii.blind_index(ZHANG))
    assert (zhang.birth_date, zhang.moved_in, zhang.household.room) == (
        datetime.date(1990, 1, 1),
        datetime.date(2015, 6, 1),
        "101",
    )


@pytest.mark.parametrize("damage", ["swapped", "tampered", "missing"])
def test_kept_rows_of_another_job_or_damaged_ones_are_not_trusted(users, rooms, media, damage):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    other = upload(users, three_people())
    mine = upload(users, [resident_row("赵六", make_id(order="915"), room="202")])

    def kept(job):
        with default_storage.open(job.checked_file, "rb") as handle:
            return handle.read()

    # another job's rows (sealed with the same key) in my job's place, or mine with bytes changed
    replacement = {"swapped": kept(other), "tampered": kept(mine)[:-20] + bytes(20), "missing": None}[damage]
    default_storage.delete(mine.checked_file)
    if replacement is not None:
        assert default_storage.save(mine.checked_file, ContentFile(replacement)) == mine.checked_file
    done = services.import_commit(actor=users["gridworker_a"], job=mine)
    # the commit read and checked my uploaded file itself, and wrote exactly its one row
    assert done.status == JobStatus.COMMITTED and done.new == 1 and "read" in done.timings
    assert list(Resident.objects.values_list("name", flat=True)) == ["赵六"]


def test_commit_in_one_step_refuses_the_whole_file_for_one_bad_row(users, rooms):
    rows = three_people()
    rows[2][1] = ZHANG[:-1] + ("0" if ZHANG[-1] != "0" else "1")
    job = upload(users, rows, commit=True)
    assert job.status == JobStatus.INVALID and not Resident.objects.exists()
    good = upload(users, three_people(), commit=True)
    assert good.status == JobStatus.COMMITTED and Resident.objects.count() == 3


def test_error_report_is_the_upload_plus_a_column_naming_each_error(users, rooms):
    rows = three_people()
    rows[1][1] = "51050219851231902"  # 17 characters
    rows[2][6] = "2099-01-01"
    job = upload(users, rows)
    name, data = services.error_report_of(actor=users["gridworker_a"], job=job)
    assert name == "甲一-错误报告.xlsx"
    sheet = read_xlsx(data)
    assert sheet[0] == [*HEADERS, ERROR_HEADER]
    assert sheet[1][:2] == ["张三", ZHANG] and sheet[1][-1] is None
    assert sheet[2][1] == "51050219851231902" and sheet[2][-1] == "身份证号：身份证号应为18位，实际为17位"
    assert sheet[3][-1] == "入住日期：日期2099-01-01晚于今天"
    with pytest.raises(NotFound):
        services.error_report_of(actor=users["dispatcher_a"], job=job)
    # the corrected report goes back in as it is
    corrected = [list(r) for r in sheet[1:]]
    corrected[1][1], corrected[2][6] = LI, "2020-01-01"
    again = services.import_upload(
        actor=users["gridworker_a"],
        ledger="residents",
        file_name="fixed.xlsx",
        data=xlsx(corrected, headers=sheet[0]),
    )
    assert again.status == JobStatus.READY and again.new == 3, again.first_errors


def test_who_may_import(users, rooms):
    with pytest.raises(Forbidden) as caught:  # may export the ledger, but not write it
        upload(users, three_people(), actor="dispatcher_a")
    assert caught.value.message == "您的角色不能修改房屋和居民台账"
    for name in ("resident_a", "handler"):
        with pytest.raises(Forbidden):
            upload(users, three_people(), actor=name)
    with pytest.raises(NotFound):
        services.import_upload(actor=users["admin"], ledger="no-such-ledger", file_name="a.xlsx", data=b"x")
    assert upload(users, three_people(), actor="admin").new == 3


def test_template_has_headers_hints_lists_and_notes(users):
    name, data = services.template_for(actor=users["gridworker_a"], ledger="residents")
    assert name == "实有人口-导入模板.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["实有人口"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert "18位公民身份号码" in sheet["B1"].comment.text and "必填" in sheet["B1"].comment.text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists == {"C2": '"男,女"', "F2": '"户籍人口,流动人口"'}
    assert sheet.column_dimensions["B"].width > 20
    notes = [[c for c in row if c] for row in book["填写说明"].iter_rows(values_only=True)]
    listed = [row[0] for row in notes if row and row[0] in HEADERS]
    assert listed == HEADERS
    assert any("510502199001019012" in row for row in notes)


def test_old_uploads_and_reports_are_purged(users, rooms, media):
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from wangge.sheets.models import ImportJob

    rows = three_people()
    rows[0][1] = "123"
    job = upload(users, rows)
    ready = upload(users, three_people())
    assert job.stored_file == "" and default_storage.exists(job.error_report)  # an invalid upload is not kept
    assert default_storage.exists(ready.stored_file)  # a ready one waits for its commit
    assert default_storage.exists(ready.checked_file)  # with the rows its dry run parsed
    call_command("purge_imports", "--hours", "1")
    assert default_storage.exists(job.error_report)  # still young
    ImportJob.objects.update(created_at=job.created_at - datetime.timedelta(hours=2))
    call_command("purge_imports", "--hours", "1")
    assert not default_storage.exists(job.error_report) and not default_storage.exists(ready.stored_file)
    assert not default_storage.exists(ready.checked_file)
    job.refresh_from_db()
    assert job.purged_at and job.errors == 1 and job.stored_file == ""
    with pytest.raises(NotFound):
        services.error_report_of(actor=users["gridworker_a"], job=job)


def test_a_ready_job_whose_file_was_purged_asks_for_a_new_upload(users, rooms):
    job = upload(users, three_people())
    services.purge_old_files(older_than_hours=-1)
    job.refresh_from_db()
    job = services.import_commit(actor=users["gridworker_a"], job=job)
    assert job.status == JobStatus.REFUSED and job.code == "expired" and not Resident.objects.exists()


def test_import_keeps_residence_history_like_the_ledger_services(users, rooms):
    from wangge.registry.models import MoveReason

    services.import_commit(actor=users["gridworker_a"], job=upload(users, three_people()))
    zhang = Resident.objects.get(id_index=pii.blind_index(ZHANG))
    stay = Residence.objects.get(resident=zhang)
    assert (stay.household_id, stay.started, stay.ended) == (zhang.household_id, datetime.date(2015, 6, 1), None)
    assert stay.start_reason == MoveReason.REGISTERED and stay.recorded_by == users["gridworker_a"]

    moved = [resident_row("张三", ZHANG, gender="男", birth=datetime.date(1990, 1, 1), room="201")]
    services.import_commit(actor=users["gridworker_a"], job=upload(users, moved))

    zhang.refresh_from_db()
    stays = list(Residence.objects.filter(resident=zhang).order_by("id"))
    assert len(stays) == 2
    assert stays[0].ended is not None and stays[0].end_reason == MoveReason.TRANSFER
    assert stays[1].ended is None and stays[1].household_id == zhang.household_id != stays[0].household_id
    assert stays[0].note == stays[1].note == "Excel导入"


def test_kept_rows_are_plain_data_or_not_kept_at_all():
    from wangge.registry.models import Gender
    from wangge.sheets import engine
    from wangge.sheets.spec import Row, find

    spec = find("residents")
    parsed = {"name": "张三", "id_number": ZHANG, "gender": Gender.MALE, "birth_date": datetime.date(1990, 1, 1)}
    row = Row(2, [], parsed)
    checked = engine.checked_rows(spec, [row])
    values = dict(zip(checked.fields, checked.rows[0][1]))
    assert values["gender"].__class__ is str and values["gender"] == "M" and values["moved_in"] is None
    assert values["birth_date"] == datetime.date(1990, 1, 1).toordinal()
    (rebuilt,) = engine.rebuilt_rows(spec, checked)
    assert rebuilt.number == 2 and rebuilt.values["birth_date"] == datetime.date(1990, 1, 1)
    assert rebuilt.values["name"] == "张三" and rebuilt.values["id_number"] == ZHANG
    row.values["note"] = object()  # nothing a parser returns today; such rows are read again at the commit
    assert engine.checked_rows(spec, [row]) is None
