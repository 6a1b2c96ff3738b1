"""Reporting, numbering, duplicates and merging, the rules beside the table, and the catalogues."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases import catalogue as catalogue_services
from wangge.cases import selectors, services
from wangge.cases.models import (
    AccessCatalogueItem,
    Attachment,
    Case,
    CaseLevel,
    Category,
    Channel,
    ContactPreference,
    Rating,
    Status,
)
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.notify.models import Notification

from .conftest import A1, A2, B1, GRID_A1, PNG, photo

pytestmark = pytest.mark.django_db


# ---- reporting --------------------------------------------------------------------------------


def test_a_report_is_placed_in_its_grid_numbered_and_the_community_told(drive, people):
    case = drive.report(where=A2, by="gridworker_a", address="江阳路1号", photos=[photo()])
    assert re.fullmatch(r"WG-\d{4}-\d{6}", case.number)
    assert case.grid.code == "510502001001002" and case.region_key == "510502001001002"
    assert case.status == Status.REPORTED and case.level == CaseLevel.COMMUNITY and case.version == 1
    assert case.reporter == people["gridworker_a"] and case.channel == Channel.GRID
    assert Attachment.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(recipient=people["community_a"], kind="case.reported").exists()
    assert not Notification.objects.filter(recipient=people["community_b"]).exists()
    assert AuditEvent.objects.filter(verb="case.report", target_id=str(case.pk), scope_key=case.region_key).exists()


def test_staff_who_reported_a_case_outside_their_scope_see_only_its_public_timeline(drive, people):
    case = drive.report(where=A2, by="gridworker_a")  # grid A2 is not gridworker_a's grid
    services.case_note(case=case, actor=people["dispatcher_a"], text="内部：已联系物业")

    def actions(who):
        return [e.action for e in selectors.case_timeline(user=people[who], case=case)]

    assert actions("gridworker_a") == ["report"]
    assert actions("gridworker_a2") == actions("dispatcher_a") == ["report", "note"]
    assert case.reporter_id == people["gridworker_a"].pk  # asking does not touch the case


def test_numbers_follow_each_other_within_the_year(drive):
    numbers = [drive.report().number for _ in range(3)]
    serials = [int(n[-6:]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 3))
    assert len({n[:8] for n in numbers}) == 1


@pytest.mark.parametrize("category", ["garbage", "0101"])
def test_a_report_costs_a_fixed_handful_of_queries(drive, people, catalogue, django_assert_max_num_queries, category):
    drive.report()  # the year's number counter exists and the grid index is built, as on a working day
    given = catalogue[category] if category in catalogue else category
    with django_assert_max_num_queries(11):
        services.case_report(
            actor=people["resident_a"],
            text="小区门口垃圾堆积",
            channel=Channel.RESIDENT,
            category=given,
            lng=A1[0],
            lat=A1[1],
        )


def test_hotline_callers_phone_is_stored_encrypted_and_shown_masked(drive, people):
    case = services.case_report(
        actor=people["hotline"],
        text="楼下餐馆油烟扰民",
        channel=Channel.HOTLINE,
        lng=A1[0],
        lat=A1[1],
        reporter_name="王先生",
        reporter_phone="17012345678",
    )
    assert case.reporter is None and case.reporter_name == "王先生"
    assert case.reporter_phone_masked == "170****5678" and "17012345678" not in case.reporter_phone_cipher
    assert case.contact_preference == ContactPreference.PHONE
    assert not AuditEvent.objects.filter(after__icontains="17012345678").exists()
    phone = services.reporter_phone(actor=people["hotline"], case=case, reason="回访")
    assert phone == "17012345678"
    assert AuditEvent.objects.filter(verb="case.reveal_phone", note="回访").exists()
    with pytest.raises(Forbidden):
        services.reporter_phone(actor=people["dispatcher_a"], case=case, reason="想看看")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": " "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"lng": 2.35, "lat": 48.85}, "lng"),  # Paris
        ({"lng": 28.915, "lat": 105.405}, "lng"),  # swapped
        ({"lng": 105.405, "lat": None}, "lat"),
        ({"lng": 110.0, "lat": 30.0}, "lng"),  # China, but no grid or community of ours
        ({"lng": None, "lat": None, "region_code": "510502001"}, "region_code"),
        ({"channel": Channel.HOTLINE}, "channel"),
        ({"category": "9999"}, "category"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"contact_preference": "pigeon"}, "contact_preference"),
    ],
)
def test_bad_reports_are_refused_with_the_field_and_nothing_written(people, catalogue, changes, field):
    values = {"text": "路灯不亮", "channel": Channel.RESIDENT, "lng": A1[0], "lat": A1[1]} | changes
    with pytest.raises(DomainError) as refused:
        services.case_report(actor=people["resident_a"], **values)
    assert refused.value.field == field, refused.value.message
    assert not Case.objects.exists()


def test_without_coordinates_the_reporters_grid_or_a_named_region_is_used(people, catalogue):
    own = services.case_report(actor=people["resident_a"], text="楼道灯坏了", channel=Channel.RESIDENT)
    assert own.region_key == GRID_A1 and own.grid.code == GRID_A1
    named = services.case_report(
        actor=people["hotline"],
        text="社区活动室漏水",
        channel=Channel.HOTLINE,
        region_code="510502002001",
        reporter_phone="17000000001",
    )
    assert named.grid is None and named.region_key == "510502002001"


def test_a_point_outside_every_grid_but_inside_a_community_goes_to_the_community(tree, people, catalogue):
    from conftest import square

    community = tree["community_a"]
    community.geometry = square(105.40, 28.90, 0.03)  # larger than its grids
    community.save()
    case = services.case_report(
        actor=people["resident_a"], text="河边垃圾", channel=Channel.RESIDENT, lng=105.425, lat=28.925
    )
    assert case.grid is None and case.region_key == "510502001001"


def test_gcj02_points_are_converted_before_locating(people, catalogue):
    from wangge.core.geo import wgs84_to_gcj02

    lng, lat = wgs84_to_gcj02(*A2)
    case = services.case_report(
        actor=people["resident_a"], text="井盖缺失", channel=Channel.RESIDENT, lng=lng, lat=lat, crs="gcj02"
    )
    assert case.grid.code == "510502001001002" and abs(case.lng - A2[0]) < 1e-6


def test_a_system_reference_is_reported_once(people, catalogue):
    values = {"text": "噪音", "channel": Channel.API, "lng": A1[0], "lat": A1[1], "source_ref": "EXT-1"}
    services.case_report(actor=people["dispatcher_a"], reporter_phone="17000000002", **values)
    with pytest.raises(DomainError) as again:
        services.case_report(actor=people["dispatcher_a"], reporter_phone="17000000002", **values)
    assert again.value.code == "duplicate" and Case.objects.count() == 1


def test_photos_must_really_be_images_and_small_enough(people, catalogue, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    with pytest.raises(DomainError) as refused:
        services.case_report(actor=people["resident_a"], text="违章停车", channel=Channel.RESIDENT, photos=[fake])
    assert refused.value.field == "photos" and not Case.objects.exists()
    settings.WANGGE_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(DomainError, match="超过上限"):
        services.case_report(actor=people["resident_a"], text="违章停车", channel=Channel.RESIDENT, photos=[photo()])


# ---- duplicates and merging -----------------------------------------------------------------


def test_duplicates_are_suggested_nearby_same_category_recent_and_open(drive, people):
    first = drive.report(where=A1)
    near = drive.report(where=(A1[0] + 0.0005, A1[1]))  # about 50 m east
    far = drive.report(where=A2)  # about 1 km away
    other_kind = drive.report(where=A1, category="lamp")
    old = drive.report(where=A1, at=timezone.now() - timedelta(days=30))
    finished = drive.to(Status.REJECTED, where=A1)
    found = selectors.duplicate_candidates(user=people["community_a"], case=first)
    assert [c.number for c in found] == [near.number]
    assert 40 < found[0].distance_m < 60
    wide = selectors.duplicate_candidates(user=people["community_a"], case=first, radius_m=2000, days=60)
    assert {c.number for c in wide} == {near.number, far.number, old.number}
    assert other_kind.number not in {c.number for c in wide} and finished.number not in {c.number for c in wide}
    # Never across scope.
    assert selectors.duplicate_candidates(user=people["community_b"], case=first) == []


def test_merged_reporters_hear_the_result_when_the_case_closes(drive, people):
    target = drive.report(where=A1)
    duplicate = drive.report(where=A1, by="resident_b")
    duplicate = services.case_merge(
        case=duplicate, into=target, actor=people["community_a"], expected_version=duplicate.version
    )
    assert duplicate.status == Status.MERGED and duplicate.merged_into == target
    assert Notification.objects.filter(recipient=people["resident_b"], kind="case.merged").exists()
    drive.to(Status.CLOSED, case=Case.objects.get(pk=target.pk))
    for reporter in ("resident_a", "resident_b"):
        assert Notification.objects.filter(recipient=people[reporter], kind="case.closed").count() == 1


def test_merging_into_a_finished_or_out_of_scope_case_or_itself_is_refused(drive, people):
    case = drive.report(where=A1)
    for into, error in (
        (drive.to(Status.REJECTED), DomainError),
        (drive.report(where=B1), NotFound),
        (case, DomainError),
    ):
        with pytest.raises(error):
            services.case_merge(case=case, into=into, actor=people["community_a"], expected_version=case.version)
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_a_merged_case_brings_its_own_duplicates_along(drive, people):
    a, b, c = drive.report(), drive.report(), drive.report()
    services.case_merge(case=a, into=b, actor=people["community_a"], expected_version=1)
    services.case_merge(case=b, into=c, actor=people["community_a"], expected_version=1)
    assert Case.objects.get(pk=a.pk).merged_into_id == c.pk


# ---- rules beside the table -------------------------------------------------------------------


def test_second_return_goes_to_arbitration_and_the_ruling_is_final(drive, people):
    case = drive.to(Status.ARBITRATION)
    assert case.return_count == 2 and case.lead_department == drive.c["zj"]
    assert Notification.objects.filter(recipient=people["dispatcher_a"], kind="case.returned").count() == 2
    case = services.case_rule_return(
        case=case, actor=people["dispatcher_a"], expected_version=case.version, ruling="属住建局职责"
    )
    assert case.status == Status.DISPATCHED and case.arbitrated and case.lead_department == drive.c["zj"]
    with pytest.raises(DomainError, match="已经裁定"):
        services.case_return(case=case, actor=people["handler_zj"], expected_version=case.version, reason="再退")


def test_dispatch_only_to_departments_serving_the_place(drive, people):
    case = drive.to(Status.ACCEPTED)
    for lead, assisting in (
        (drive.c["other_cg"], []),
        (drive.c["cg"], [drive.c["other_cg"]]),
        (drive.c["cg"], [drive.c["cg"]]),
    ):
        with pytest.raises(DomainError):
            services.case_dispatch(
                case=case, actor=people["dispatcher_a"], expected_version=case.version, lead=lead, assisting=assisting
            )
    case = services.case_dispatch(
        case=case,
        actor=people["dispatcher_a"],
        expected_version=case.version,
        lead=drive.c["city_cg"],
        assisting=[drive.c["zj"], drive.c["zj"]],
    )
    assert [a.department for a in case.assists.all()] == [drive.c["zj"]]
    assert Notification.objects.filter(recipient=people["handler_zj"], kind="case.dispatched").exists()
    # The assisting department sees the case and may add notes, but may not handle it.
    assert selectors.case_get(user=people["handler_zj"], number=case.number)
    services.case_note(case=case, actor=people["handler_zj"], text="已派人配合")
    with pytest.raises(Forbidden):
        services.case_start(case=case, actor=people["handler_zj"], expected_version=case.version)


def test_work_off_the_access_catalogue_cannot_be_pushed_to_the_community(drive, people):
    case = drive.to(Status.ACCEPTED, category="building")
    with pytest.raises(DomainError) as refused:
        services.case_assign_community(case=case, actor=people["dispatcher_a"], expected_version=case.version)
    assert refused.value.code == "off_catalogue" and "准入目录" in refused.value.message
    AccessCatalogueItem.objects.filter(category=drive.c["garbage"]).update(is_active=False)
    garbage = drive.to(Status.ACCEPTED)
    with pytest.raises(DomainError):
        services.case_assign_community(case=garbage, actor=people["dispatcher_a"], expected_version=garbage.version)
    AccessCatalogueItem.objects.filter(category=drive.c["garbage"]).update(is_active=True)
    case = services.case_assign_community(case=garbage, actor=people["dispatcher_a"], expected_version=garbage.version)
    assert case.status == Status.DISPATCHED and case.lead_department is None and case.level == CaseLevel.COMMUNITY
    assert Notification.objects.filter(recipient=people["community_a"], kind="case.dispatched").exists()
    case = services.case_start(case=case, actor=people["community_a"], expected_version=case.version)
    assert case.status == Status.IN_PROGRESS


def test_the_community_escalates_and_the_street_dispatches(drive, people):
    case = drive.to(Status.ACCEPTED)
    with pytest.raises(Forbidden):  # the street does not hold it yet... but a dispatcher may take it over
        services.case_escalate(case=case, actor=people["dispatcher_a"], expected_version=case.version)
    case = services.case_escalate(
        case=case, actor=people["community_a"], expected_version=case.version, reason="需执法"
    )
    assert case.level == CaseLevel.STREET
    assert Notification.objects.filter(recipient=people["dispatcher_a"], kind="case.escalated").exists()
    with pytest.raises(DomainError):  # no longer the community's
        services.case_take(case=case, actor=people["community_a"], expected_version=case.version)
    case = services.case_escalate(case=case, actor=people["dispatcher_a"], expected_version=case.version)
    assert case.level == CaseLevel.DISTRICT
    with pytest.raises(Forbidden):  # a street dispatcher does not dispatch a district's case
        services.case_dispatch(
            case=case, actor=people["dispatcher_a"], expected_version=case.version, lead=drive.c["cg"]
        )
    with pytest.raises(DomainError, match="不能再向上提级"):
        services.case_escalate(case=case, actor=people["district_dispatcher"], expected_version=case.version)


def test_rating_and_reopening_once(drive, people):
    case = drive.to(Status.CLOSED)
    case = services.case_rate(case=case, actor=people["resident_a"], expected_version=case.version, rating="satisfied")
    with pytest.raises(DomainError, match="不满意"):
        services.case_reopen(case=case, actor=people["resident_a"], expected_version=case.version)
    case = drive.to(Status.RATED)  # unsatisfied
    assert Notification.objects.filter(recipient=people["dispatcher_a"], kind="case.unsatisfied").exists()
    case = services.case_reopen(case=case, actor=people["resident_a"], expected_version=case.version, reason="没扫干净")
    assert case.status == Status.DISPATCHED and case.reopen_count == 1 and case.lead_department == drive.c["cg"]
    case = drive.to(Status.RATED, case=Case.objects.get(pk=case.pk))
    with pytest.raises(DomainError, match="只能重新办理一次"):
        services.case_reopen(case=case, actor=people["resident_a"], expected_version=case.version)
    with pytest.raises(DomainError):
        services.case_rate(case=case, actor=people["resident_a"], expected_version=case.version, rating="great")


def test_the_hotline_calls_back_and_answers_consultations(drive, people):
    case = drive.to(Status.CLOSED)
    case = services.case_rate(case=case, actor=people["hotline"], expected_version=case.version, rating=Rating.FAIRLY)
    assert case.rating == Rating.FAIRLY
    consult = drive.report(category="consult")
    consult = services.case_answer(
        case=consult, actor=people["hotline"], expected_version=consult.version, text="已告知办理流程"
    )
    assert consult.status == Status.CLOSED
    garbage = drive.report()
    with pytest.raises(DomainError, match="咨询"):
        services.case_answer(case=garbage, actor=people["hotline"], expected_version=1, text="答复")


def test_transfer_records_the_service_and_reference(drive, people):
    case = drive.report()
    with pytest.raises(DomainError) as refused:
        services.case_transfer(case=case, actor=people["hotline"], expected_version=1, service="911", reference="x")
    assert refused.value.field == "service"
    with pytest.raises(DomainError) as refused:
        services.case_transfer(case=case, actor=people["hotline"], expected_version=1, service="119", reference=" ")
    assert refused.value.field == "reference"
    case = services.case_transfer(
        case=case, actor=people["hotline"], expected_version=1, service="119", reference="HJ9"
    )
    assert (case.status, case.transfer_service, case.transfer_reference) == (Status.TRANSFERRED, "119", "HJ9")


def test_verification_needs_a_photo_and_staged_uploads_are_the_uploaders(drive, people):
    from wangge.cases.attachments import stage_upload

    case = drive.to(Status.HANDLED)
    with pytest.raises(DomainError) as refused:
        services.case_verify(case=case, actor=people["gridworker_a"], expected_version=case.version, photos=[])
    assert refused.value.field == "photos"
    someone_elses = stage_upload(actor=people["handler"], file=photo())
    with pytest.raises(DomainError):
        services.case_verify(
            case=case, actor=people["gridworker_a"], expected_version=case.version, photos=[someone_elses]
        )
    mine = stage_upload(actor=people["gridworker_a"], file=photo())
    case = services.case_verify(case=case, actor=people["gridworker_a"], expected_version=case.version, photos=[mine])
    mine.refresh_from_db()
    assert case.status == Status.VERIFIED and mine.case_id == case.pk and mine.file.read() == PNG


# ---- catalogue --------------------------------------------------------------------------------


def test_administrators_maintain_the_catalogue_others_cannot(people, catalogue):
    admin = people["admin"]
    category = catalogue_create(admin, catalogue)
    assert category.region_key == "5105" and category.parent == catalogue["environment"]
    with pytest.raises(DomainError) as duplicate:
        catalogue_create(admin, catalogue)
    assert duplicate.value.code == "duplicate"
    with pytest.raises(Forbidden):
        catalogue_create(people["dispatcher_a"], catalogue, code="0199")
    with pytest.raises(NotFound):  # a street's administrator cannot change the city's list
        catalogue_update(people["admin_a"], category, name="改名")
    category = catalogue_update(admin, category, time_limit=2, time_unit="hours")
    assert category.limit_label == "2工作小时"
    with pytest.raises(DomainError):
        catalogue_update(admin, catalogue["environment"], parent=catalogue["garbage"])  # a cycle


def catalogue_create(actor, c, code="0102"):
    return catalogue_services.category_create(
        actor=actor, code=code, name="道路不洁", parent=c["environment"], time_limit=1, department=c["city_cg"]
    )


def catalogue_update(actor, category, **changes):
    return catalogue_services.category_update(actor=actor, category=category, **changes)


def test_a_category_in_use_is_retired_not_deleted(drive, people):
    drive.report(category="lamp")
    with pytest.raises(Conflict):
        catalogue_services.category_delete(actor=people["admin"], category=drive.c["lamp"])
    unused = catalogue_services.category_create(actor=people["admin"], code="0999", name="其他", time_limit=3)
    catalogue_services.category_delete(actor=people["admin"], category=unused)
    assert not Category.objects.filter(code="0999").exists()
    catalogue_services.category_update(actor=people["admin"], category=drive.c["lamp"], is_active=False)
    with pytest.raises(DomainError, match="已停用"):
        drive.report(category="lamp")


def test_access_catalogue_items(people, catalogue):
    service = catalogue_services
    created = service.access_item_create(
        actor=people["admin"], code="S01", name="出具居住证明", kind="certificate", basis="《居住证暂行条例》"
    )
    assert created.category is None
    with pytest.raises(DomainError):
        service.access_item_create(actor=people["admin"], code="S02", name="x", kind="other")
    with pytest.raises(Forbidden):
        service.access_item_create(actor=people["community_a"], code="S03", name="x", kind="assist")
    service.access_item_update(actor=people["admin"], item=created, name="出具居住情况证明")
    service.access_item_delete(actor=people["admin"], item=created)
    assert not AccessCatalogueItem.objects.filter(code="S01").exists()


def test_import_catalogue_creates_and_updates_by_code_and_refuses_bad_files_whole(people, catalogue):
    good = (
        "编码,名称,上级编码,类型,责任部门,时限,时限单位,结案条件\n"
        "05,施工管理,,事件,,5,工作日,\n"
        "0501,施工扰民,05,事件,5105-CG,3,工作日,夜间停止施工\n"
        "0101,暴露垃圾（更新）,01,事件,,2,工作日,清运完毕\n"
    ).encode()
    result = service_import(people["admin"], good, "清单.csv")
    assert result == {"created": 2, "updated": 1}
    assert Category.objects.get(region_key="5105", code="0501").parent.code == "05"
    assert Category.objects.get(region_key="5105", code="0101").time_limit == 2
    changed = AuditEvent.objects.get(verb="category.update", target_id=str(catalogue["garbage"].pk))
    assert changed.before["time_limit"] == 1 and changed.after["time_limit"] == 2 and changed.note == "导入"
    new = Category.objects.get(region_key="5105", code="0501")
    assert AuditEvent.objects.get(verb="category.create", target_id=str(new.pk)).after["parent_id"] == new.parent_id
    bad = (
        "编码,名称,上级编码,类型,责任部门,时限,时限单位\n0601,扬尘,99,事件,NOPE,0,周\n0601,重复,,怪,,1,工作日\n"
    ).encode("gb18030")
    with pytest.raises(DomainError) as refused:
        service_import(people["admin"], bad, "bad.csv")
    assert refused.value.code == "rows_invalid"
    lines = {d["line"]: d["reasons"] for d in refused.value.details}
    assert set(lines) == {2, 3} and len(lines[2]) == 4
    assert not Category.objects.filter(code="0601").exists()
    with pytest.raises(Forbidden):
        service_import(people["dispatcher_a"], good, "清单.csv")


def service_import(actor, data, name):
    rows = catalogue_services.read_rows(data, name)
    return catalogue_services.import_catalogue(actor=actor, rows=rows)


def test_import_reads_excel(people, catalogue, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编码", "名称", "上级编码", "类型", "责任部门", "时限", "时限单位", "结案条件"])
    sheet.append(["07", "公用设施", None, "部件", None, 8, "工作小时", "修复"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    assert service_import(people["admin"], path.read_bytes(), "c.xlsx") == {"created": 1, "updated": 0}
    assert Category.objects.get(code="07").time_unit == "hours"
    with pytest.raises(DomainError):
        service_import(people["admin"], b"not a zip", "c.xlsx")


def test_import_catalogue_command(catalogue, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    good = tmp_path / "c.csv"
    good.write_text("code,name,time_limit,time_unit\n08,应急管理,2,hours\n", encoding="utf-8")
    call_command("import_catalogue", str(good))
    assert "新增 1 类" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,time_limit\n09,,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第2行"):
        call_command("import_catalogue", str(bad))
