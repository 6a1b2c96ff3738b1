"""Every case page: anonymous → login, out of scope → 404, in scope → content; a report and the
whole loop through the pages; refusals name the field and write nothing; a stale version shows
the conflict message and changes nothing; inbox pages within a query budget."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from wangge.cases import services
from wangge.cases.models import AccessCatalogueItem, Case, CaseEvent, Category, Status
from wangge.core.models import AuditEvent

from .conftest import A1, B1, GRID_A1, PNG, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(people):
    def build(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return build


def page_text(response) -> str:
    return response.content.decode()


# ---- anonymous, out of scope, in scope ------------------------------------------------------


def test_every_page_sends_anonymous_visitors_to_log_in(drive, catalogue):
    case = drive.report()
    client = Client()
    gets = [
        "/cases/",
        "/cases/report/",
        "/cases/inbox/sort/",
        f"/cases/{case.number}/",
        "/cases/catalogue/",
        "/cases/catalogue/new/",
        f"/cases/catalogue/{catalogue['garbage'].pk}/",
        "/cases/catalogue/access/new/",
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url in [f"/cases/{case.number}/accept/", f"/cases/{case.number}/reveal-phone/", "/cases/report/"]:
        response = client.post(url, {"accept-expected_version": case.version, "text": "x" * 5})
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED
    assert Case.objects.count() == 1


def test_a_case_out_of_scope_is_the_same_404_as_a_missing_one(drive, login):
    theirs = drive.report(where=B1, by="resident_b")
    dispatcher = login("dispatcher_a")
    missing = dispatcher.get("/cases/WG-2000-999999/")
    hidden = dispatcher.get(f"/cases/{theirs.number}/")
    assert missing.status_code == hidden.status_code == 404
    main = lambda r: re.sub(r"请求编号 \w+", "", page_text(r).split("<main>")[1])  # noqa: E731
    assert main(hidden) == main(missing) and theirs.text not in page_text(hidden)
    response = dispatcher.post(f"/cases/{theirs.number}/accept/", {"accept-expected_version": theirs.version})
    assert response.status_code == 404
    response = login("resident_a").get(f"/cases/{theirs.number}/")
    assert response.status_code == 404
    response = login("community_a").post(
        f"/cases/{theirs.number}/reveal-phone/", {"reason": "回访"}
    )  # another community's case
    assert response.status_code == 404
    assert Case.objects.get(pk=theirs.pk).status == Status.REPORTED
    assert login("dispatcher_a").get("/cases/inbox/nonsense/").status_code == 404


def test_inboxes_of_other_roles_are_refused(login):
    assert login("resident_a").get("/cases/inbox/dispatch/").status_code == 403
    assert login("handler").get("/cases/inbox/sort/").status_code == 403
    assert login("dispatcher_a").get("/cases/catalogue/").status_code == 403
    assert login("dispatcher_a").get("/cases/catalogue/new/").status_code == 403


def test_the_case_page_shows_the_case_its_timeline_and_the_forms_allowed(drive, login):
    case = drive.to(Status.DISPATCHED)
    body = page_text(login("handler").get(f"/cases/{case.number}/"))
    assert case.number in body and "小区门口垃圾堆积" in body
    assert 'data-action="report"' in body and 'data-action="dispatch"' in body
    assert 'id="act-start"' in body and 'id="act-return"' in body
    assert 'id="act-accept"' not in body
    assert "剩余" in body
    # The reporter sees their own case, public entries only, and no staff forms.
    body = page_text(login("resident_a").get(f"/cases/{case.number}/"))
    assert case.number in body and 'id="act-start"' not in body


# ---- report ------------------------------------------------------------------------------------


def test_a_resident_reports_with_a_point_and_sees_the_case_number(login, catalogue):
    client = login("resident_a")
    assert "上报问题" in page_text(client.get("/cases/report/"))
    response = client.post(
        "/cases/report/",
        {
            "text": "楼下垃圾桶满了，没人清运",
            "lng": A1[0],
            "lat": A1[1],
            "address": "甲一小区东门",
            "channel": "resident",
            "contact_preference": "app",
            "photos": [photo("a.png"), photo("b.png")],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert case.grid.code == GRID_A1 and case.attachments.count() == 2
    body = page_text(client.get(response["Location"]))
    assert case.number in body and "已上报" in body


def test_a_grid_worker_reports_on_patrol_through_their_channel_by_address(login, catalogue):
    client = login("gridworker_a")
    body = page_text(client.get("/cases/report/"))
    assert 'value="grid"' in body and 'value="visit"' in body
    response = client.post(
        "/cases/report/",
        {"text": "井盖破损", "address": "甲一路12号", "channel": "grid", "contact_preference": "none"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == "grid" and case.grid.code == GRID_A1 and case.lng is None


def test_the_hotline_logs_a_call_by_address_in_a_community_it_names(login, catalogue, tree):
    client = login("hotline")
    body = page_text(client.get("/cases/report/"))
    assert 'value="phone" selected' in body  # callers are called back, not messaged
    call = {"text": "小区门口路灯不亮", "address": "甲一路12号门口", "channel": "hotline"}
    call.update(contact_preference="phone", reporter_phone="13800001234")
    refused = client.post("/cases/report/", call)
    assert refused.status_code == 400 and "请在地图上选点" in page_text(refused)  # the city is no place
    community = tree["community_a"]
    response = client.post("/cases/report/", {**call, "region_code": community.code})
    case = Case.objects.get()
    assert response.status_code == 302 and case.region_key == community.key and case.grid is None
    assert "已登记" in page_text(client.get(response["Location"]))
    assert case.events.get(action="report").actor_label == "hotline"  # the operator, not "系统"
    assert 'name="region_code"' not in page_text(login("gridworker_a").get("/cases/report/"))


@pytest.mark.parametrize(
    "change, field, reason",
    [
        ({"text": " "}, "text", "请描述问题"),
        ({"lng": 2.35, "lat": 48.85}, "lng", "不在中国境内"),
        ({"photos": [SimpleUploadedFile("a.txt", b"hello world, not a picture")]}, "photos", "不是 JPEG"),
        ({"photos": [SimpleUploadedFile("big.png", PNG + b"\x00" * 5000)]}, "photos", "超过上限"),
        ({"channel": "hotline"}, "channel", ""),
        ({"contact_preference": "phone"}, "reporter_phone", "请留下联系电话"),
        ({"lng": "abc"}, "lng", ""),
    ],
)
def test_a_bad_report_names_the_field_and_writes_nothing(login, catalogue, settings, change, field, reason):
    settings.WANGGE_ATTACHMENT_MAX_BYTES = 1000
    data = {"text": "路灯不亮", "lng": A1[0], "lat": A1[1], "channel": "resident", "contact_preference": "app"}
    data.update(change)
    audits = AuditEvent.objects.count()
    response = login("resident_a").post("/cases/report/", data)
    assert response.status_code == 400
    body = page_text(response)
    assert f'data-field="{field}"' in body and reason in body
    assert Case.objects.count() == 0 and AuditEvent.objects.count() == audits


# ---- actions ----------------------------------------------------------------------------------


def test_the_whole_loop_through_the_pages(drive, login, catalogue):
    case = drive.report(category=None)
    community = login("community_a")
    body = page_text(community.get(f"/cases/{case.number}/"))
    assert 'id="act-accept"' in body and 'id="act-reject"' in body
    response = community.post(
        f"/cases/{case.number}/accept/", {"accept-expected_version": case.version, "accept-category": "0101"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.category.code == "0101"

    dispatcher = login("dispatcher_a")
    body = page_text(dispatcher.get(f"/cases/{case.number}/"))
    # The category's department at the nearest level is preselected as lead.
    assert 'value="5105-CG"' in body or 'value="510502-CG" selected' in body
    response = dispatcher.post(
        f"/cases/{case.number}/dispatch/",
        {"dispatch-expected_version": case.version, "dispatch-lead": "510502-CG", "dispatch-assisting": ["510502-ZJ"]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.lead_department.code == "510502-CG"
    assert list(case.assists.values_list("department__code", flat=True)) == ["510502-ZJ"]

    handler = login("handler")
    handler.post(f"/cases/{case.number}/start/", {"start-expected_version": case.version})
    case.refresh_from_db()
    # The step that moves the case on is the panel that is open, whatever else the handler may do.
    page = handler.get(f"/cases/{case.number}/").content.decode()
    opened = re.findall(r'<details class="card action" id="act-(\w+)" open>', page)
    assert opened == ["handle"]
    response = handler.post(
        f"/cases/{case.number}/handle/",
        {"handle-expected_version": case.version, "handle-report": "已清运", "handle-photos": [photo()]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.HANDLED

    gridworker = login("gridworker_a")
    assert case.number in page_text(gridworker.get("/cases/inbox/verify/"))
    response = gridworker.post(f"/cases/{case.number}/verify/", {"verify-expected_version": case.version})
    assert response.status_code == 400 and 'data-field="photos"' in page_text(response)
    response = gridworker.post(
        f"/cases/{case.number}/verify/", {"verify-expected_version": case.version, "verify-photos": [photo()]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    dispatcher.post(f"/cases/{case.number}/close/", {"close-expected_version": case.version})
    case.refresh_from_db()
    assert case.status == Status.CLOSED

    resident = login("resident_a")
    body = page_text(resident.get(f"/cases/{case.number}/"))
    assert "满意" in body and "基本满意" in body and "不满意" in body
    response = resident.post(
        f"/cases/{case.number}/rate/", {"rate-expected_version": case.version, "rate-rating": "unsatisfied"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RATED
    body = page_text(resident.get(f"/cases/{case.number}/"))
    assert 'id="act-reopen"' in body
    resident.post(f"/cases/{case.number}/reopen/", {"reopen-expected_version": case.version, "reopen-reason": "又堆了"})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.reopen_count == 1
    # Once only.
    assert 'id="act-reopen"' not in page_text(resident.get(f"/cases/{case.number}/"))


def test_a_stale_version_shows_the_conflict_and_changes_nothing(drive, login):
    case = drive.report()
    stale = case.version
    services.case_accept(case=case, actor=drive.p["dispatcher_a"], expected_version=stale)
    events = CaseEvent.objects.count()
    client = login("community_a")
    response = client.post(f"/cases/{case.number}/reject/", {"reject-expected_version": stale, "reject-reason": "重复"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    body = page_text(client.get(response["Location"]))
    assert "案件已被他人处理，请刷新后重试" in body
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and CaseEvent.objects.count() == events


def test_a_refused_action_names_the_field_and_writes_nothing(drive, login):
    case = drive.report()
    client = login("community_a")
    response = client.post(f"/cases/{case.number}/reject/", {"reject-expected_version": case.version})
    assert response.status_code == 400
    assert 'data-field="reason"' in page_text(response) and "请填写不予受理的理由" in page_text(response)
    response = client.post(f"/cases/{case.number}/accept/", {"accept-expected_version": "x"})
    assert response.status_code == 400
    response = client.post(f"/cases/{case.number}/frobnicate/", {})
    assert response.status_code == 404
    # Not this role's move: the page refuses with the reason.
    response = login("resident_a").post(f"/cases/{case.number}/accept/", {"accept-expected_version": case.version})
    assert response.status_code in (400, 403)
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_duplicates_are_offered_to_the_community_with_a_merge_button(drive, login):
    first = drive.report()
    second = drive.report(text="小区门口垃圾堆积好几天了，很臭")
    client = login("community_a")
    body = page_text(client.get(f"/cases/{second.number}/"))
    assert 'id="duplicates"' in body and first.number in body
    response = client.post(
        f"/cases/{second.number}/merge/", {"merge-expected_version": second.version, "merge-into": first.number}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into_id == first.pk


def test_the_phone_is_masked_and_revealed_with_a_reason_to_those_allowed(drive, login):
    case = drive.report(reporter_phone="13912345678", contact_preference="phone")
    body = page_text(login("dispatcher_a").get(f"/cases/{case.number}/"))
    assert "139****5678" in body and "13912345678" not in body and "查看完整号码" not in body
    client = login("community_a")
    assert "查看完整号码" in page_text(client.get(f"/cases/{case.number}/"))
    response = client.post(f"/cases/{case.number}/reveal-phone/", {"reason": ""})
    assert response.status_code == 400 and "13912345678" not in page_text(response)
    response = client.post(f"/cases/{case.number}/reveal-phone/", {"reason": "电话回访"})
    assert "13912345678" in page_text(response)
    assert AuditEvent.objects.filter(verb="case.reveal_phone").count() == 1
    response = login("dispatcher_a").post(f"/cases/{case.number}/reveal-phone/", {"reason": "看看"})
    assert response.status_code == 403


# ---- inboxes ------------------------------------------------------------------------------------


def test_inboxes_show_time_left_with_overdue_in_red(drive, login):
    case = drive.to(Status.DISPATCHED)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(days=3))
    body = page_text(login("handler").get("/cases/inbox/department/"))
    assert case.number in body and 'class="left overdue"' in body and "超期" in body
    body = page_text(login("handler").get("/cases/inbox/department/?order=-reported_at"))
    assert case.number in body


@pytest.mark.parametrize(
    "who, box",
    [
        ("community_a", "sort"),
        ("community_a", "community"),
        ("dispatcher_a", "dispatch"),
        ("handler", "department"),
        ("gridworker_a", "verify"),
        ("leader", "supervised"),
        ("resident_a", "mine"),
    ],
)
def test_inbox_pages_stay_within_a_query_budget(drive, login, django_assert_max_num_queries, who, box):
    for status in [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED, Status.DISPATCHED]:
        case = drive.to(status)
        if status == Status.DISPATCHED:
            services.case_supervise(case=case, actor=drive.p["leader"])
    client = login(who)
    with django_assert_max_num_queries(12):
        response = client.get(f"/cases/inbox/{box}/")
    assert response.status_code == 200
    assert "cases" in page_text(response)


# ---- catalogue --------------------------------------------------------------------------------


def test_an_administrator_lists_creates_and_edits_the_catalogue(login, catalogue):
    client = login("admin")
    body = page_text(client.get("/cases/catalogue/"))
    assert "暴露垃圾" in body and "协助开展环境卫生整治" in body
    response = client.post(
        "/cases/catalogue/new/",
        {"code": "0105", "name": "绿化损毁", "parent": "01", "kind": "event", "department": "5105-CG",
         "time_limit": 2, "time_unit": "days", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    created = Category.objects.get(code="0105")
    assert created.parent.code == "01" and created.department.code == "5105-CG"
    response = client.post(
        f"/cases/catalogue/{created.pk}/",
        {"code": "0105", "name": "绿化损毁", "kind": "event", "time_limit": 3, "time_unit": "hours"},
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.time_limit == 3 and not created.is_active
    # A taken code is refused on its field.
    response = client.post("/cases/catalogue/new/", {"code": "0101", "name": "x", "kind": "event", "time_limit": 1,
                                                      "time_unit": "days"})  # fmt: skip
    assert response.status_code == 400 and 'data-field="code"' in page_text(response)
    response = client.post(
        "/cases/catalogue/access/new/", {"code": "A09", "name": "协助清理小广告", "kind": "assist", "category": "0101"}
    )
    assert response.status_code == 302
    # Added with 启用 unticked: created retired, in one write with one audit record.
    item = AccessCatalogueItem.objects.get(code="A09")
    assert not item.is_active and item.category.code == "0101"
    assert list(AuditEvent.objects.filter(target_id=str(item.pk), verb__startswith="access_item.").values_list(
        "verb", "after__is_active")) == [("access_item.create", False)]  # fmt: skip
