"""Party pages: every page anonymous / out of scope / in scope, forms that name the field at
fault, masking, the check-in code and the building page's 党员户 flag."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.party import activities, lists, services
from wangge.party.models import Activity, Claim, Member, Registration, ServiceRecord

from .conftest import A1, A_GRID, A_GRID2, B1, idn, soon

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(approved, orgs, member_a, member_b, people):
    need = lists.need_create(actor=None, title="楼道灯坏了", region_code=A_GRID)
    need_b = lists.need_create(actor=None, title="乙社区需求", region_code=B1)
    offer = lists.offer_create(actor=None, title="税法讲座", community_code=A1, organisation_id=orgs["unit_org_a"].pk)
    project = lists.project_create(actor=None, title="微更新", community_code=A1)
    activity = activities.activity_create(
        actor=None,
        title="清洁家园",
        activity_type="environment",
        community_code=A1,
        starts_at=soon(-1),
        ends_at=soon(1),
    )
    activity_b = activities.activity_create(
        actor=None, title="乙社区活动", activity_type="culture", community_code=B1, starts_at=soon(1), ends_at=soon(2)
    )
    record = activities.service_record_create(
        actor=None,
        community_code=A1,
        occurred_on=timezone.localdate(),
        hours=2,
        description="巡逻",
        member_id=member_a.pk,
    )
    return {
        "need": need, "need_b": need_b, "offer": offer, "project": project, "activity": activity,
        "activity_b": activity_b, "record": record,
    }  # fmt: skip


STAFF_PAGES = [
    "party:tree", "party:coverage", "party:members", "party:registrations", "party:offers", "party:claims",
    "party:service", "party:report", "party:organisation_create", "party:member_create",
    "party:registration_create", "party:offer_create", "party:project_create", "party:activity_create",
    "party:service_create",
]  # fmt: skip


@pytest.mark.parametrize(
    "name", STAFF_PAGES + ["party:needs", "party:projects", "party:activities", "party:need_create"]
)
def test_every_page_needs_a_login(client, name, content):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_open_for_party_staff_and_not_for_residents(login, name, content):
    assert login("community_a").get(reverse(name)).status_code == 200
    assert login("resident_a").get(reverse(name)).status_code == 403


def test_lists_show_only_the_scope(login, content, orgs):
    page = login("community_b").get(reverse("party:tree")).content.decode()
    assert "科技公司党支部" in page and "甲一社区党委" not in page
    assert "楼道灯坏了" not in login("community_b").get(reverse("party:needs")).content.decode()
    assert "乙社区需求" not in login("community_a").get(reverse("party:needs")).content.decode()
    assert "税法讲座" not in login("community_b").get(reverse("party:offers")).content.decode()
    assert "清洁家园" not in login("resident_b").get(reverse("party:activities")).content.decode()
    assert "乙社区活动" not in login("resident_a").get(reverse("party:activities")).content.decode()
    assert "张党员" not in login("community_b").get(reverse("party:members")).content.decode()
    assert "巡逻" not in login("community_b").get(reverse("party:service")).content.decode()


def test_detail_pages_are_404_out_of_scope(login, content, orgs, member_a):
    outsider = login("community_b")
    for url in (
        reverse("party:organisation", args=[orgs["grid"].pk]),
        reverse("party:member", args=[member_a.pk]),
        reverse("party:activity", args=[content["activity"].pk]),
    ):
        assert outsider.get(url).status_code == 404
        assert login("community_a").get(url).status_code == 200
    for url in (
        reverse("party:registration_decide", args=[Registration.objects.first().pk]),
        reverse("party:need_claim", args=[content["need"].pk]),
        reverse("party:offer_claim", args=[content["offer"].pk]),
        reverse("party:project_join", args=[content["project"].pk]),
        reverse("party:service_decide", args=[content["record"].pk]),
        reverse("party:activity_sign_up", args=[content["activity"].pk]),
        reverse("party:activity_record_hours", args=[content["activity"].pk]),
        reverse("party:activity_renew_code", args=[content["activity"].pk]),
        reverse("party:organisation", args=[orgs["grid"].pk]),
        reverse("party:member", args=[member_a.pk]),
    ):
        assert outsider.post(url, {"status": "confirmed"}).status_code == 404, url
    assert ServiceRecord.objects.get().status == "submitted"
    claim = lists.need_claim(actor=None, need=content["need"], organisation_id=orgs["unit_org_a"].pk)
    assert outsider.post(reverse("party:claim_close", args=[claim.pk]), {"status": "done"}).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == "active"


def test_members_are_masked_on_the_list(login, member_a):
    page = login("community_a").get(reverse("party:members")).content.decode()
    assert member_a.id_masked in page and idn(1) not in page and "13800001234" not in page and "138****1234" in page


def test_a_bad_member_form_names_the_field_and_writes_nothing(login, orgs):
    response = login("community_a").post(
        reverse("party:member_create"),
        {"name": "王五", "id_number": "510502198001010000", "joined_on": "2001-01-01", "status": "full",
         "organisation_id": orgs["grid"].pk, "grid_code": A_GRID, "shows_identity": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "校验位" in response.context["form"].errors["id_number"][0]
    assert not Member.objects.filter(name="王五").exists()


def test_creating_an_organisation_and_a_member_from_the_pages(login, orgs):
    client = login("community_a")
    response = client.post(
        reverse("party:organisation_create"),
        {"name": "2网格党支部", "kind": "branch", "category": "territorial", "region_code": "510502001001002",
         "parent_id": orgs["community"].pk},
    )  # fmt: skip
    assert response.status_code == 302
    response = client.post(
        reverse("party:member_create"),
        {"name": "王五", "id_number": idn(77), "joined_on": "2001-01-01", "status": "full",
         "organisation_id": orgs["grid"].pk, "grid_code": A_GRID, "shows_identity": "on"},
    )  # fmt: skip
    assert response.status_code == 302 and Member.objects.filter(name="王五").exists()


def test_approving_and_rejecting_from_the_list(login, orgs, member_a):
    client = login("community_a")
    client.post(reverse("party:registration_create"), {"reporter": f"member:{member_a.pk}", "community_code": A1})
    registration = Registration.objects.get(member=member_a)
    response = client.post(
        reverse("party:registration_decide", args=[registration.pk]), {"status": "rejected"}, follow=True
    )
    assert "原因" in response.content.decode()
    client.post(reverse("party:registration_decide", args=[registration.pk]), {"status": "approved"})
    assert Registration.objects.get(pk=registration.pk).status == "approved"


def test_a_member_claims_a_need_and_joins_a_project_from_their_phone(login, content, member_a):
    client = login("resident_a")
    page = client.get(reverse("party:needs")).content.decode()
    assert "楼道灯坏了" in page and reverse("party:need_claim", args=[content["need"].pk]) in page
    client.post(reverse("party:need_claim", args=[content["need"].pk]), {"note": "周末来修"})
    client.post(reverse("party:project_join", args=[content["project"].pk]), {})
    assert content["need"].claims.get().member == member_a
    assert content["project"].claims.get().member == member_a


def test_the_community_claims_a_resource(login, content):
    login("community_a").post(reverse("party:offer_claim", args=[content["offer"].pk]), {"note": "用于老年课堂"})
    assert content["offer"].claims.get().community.code == A1


def test_the_organiser_sees_the_qr_code_and_opening_it_checks_in(login, content, people):
    activity = content["activity"]
    page = login("community_a").get(reverse("party:activity", args=[activity.pk])).content.decode()
    assert "<svg" in page
    assert login("resident_a").get(reverse("party:activity", args=[activity.pk])).content.decode().count("<svg") == 0
    url = reverse("party:checkin", args=[activities.checkin_token(activity)])
    response = login("gridworker_a").get(url)
    assert response.status_code == 200 and "签到成功" in response.content.decode()
    assert "已签到过" in login("gridworker_a").get(url).content.decode()
    assert activity.attendances.get().user == people["gridworker_a"]
    bad = login("gridworker_a").get(reverse("party:checkin", args=["forged"]))
    assert bad.status_code == 400 and "签到码无效" in bad.content.decode()


def test_check_in_while_logged_out_goes_through_the_login(client, content):
    url = reverse("party:checkin", args=[activities.checkin_token(content["activity"])])
    response = client.get(url)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert not Activity.objects.get(pk=content["activity"].pk).attendances.exists()


def test_confirming_from_the_page_twice_confirms_once(login, content):
    url = reverse("party:service_decide", args=[content["record"].pk])
    client = login("community_a")
    client.post(url, {"status": "confirmed"})
    response = client.post(url, {"status": "confirmed"}, follow=True)
    assert "不能再确认" in response.content.decode()
    assert ServiceRecord.objects.get().status == "confirmed"


def test_the_report_downloads_as_xlsx(login, content):
    client = login("community_a")
    client.post(reverse("party:service_decide", args=[content["record"].pk]), {"status": "confirmed"})
    response = client.get(reverse("party:report_xlsx"), {"year": timezone.localdate().year})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["甲区税务所"]
    empty = login("community_b").get(reverse("party:report_xlsx"), {"year": timezone.localdate().year})
    assert openpyxl.load_workbook(io.BytesIO(empty.content)).sheetnames == ["双报告"]


def test_the_building_page_shows_the_party_household(login, member_a, household_a, tree):
    url = reverse("web:building", args=[household_a.building_id])
    assert "党员户" in login("gridworker_a").get(url).content.decode()
    Member.objects.filter(pk=member_a.pk).update(shows_identity=False)
    assert "党员户" not in login("gridworker_a").get(url).content.decode()


def test_the_hotline_and_departments_take_no_part(content, people):
    from django.test import Client

    for name in ("hotline", "handler"):
        client = Client()
        client.force_login(people[name])
        for url in (reverse("party:needs"), reverse("party:projects"), reverse("party:activities")):
            page = client.get(url).content.decode()
            assert "楼道灯坏了" not in page and "微更新" not in page and "清洁家园" not in page
        assert client.post(reverse("party:activity_sign_up", args=[content["activity"].pk])).status_code == 404


def test_linking_an_account_to_a_member_stays_in_scope(login, orgs, people):
    form = {"name": "王五", "id_number": idn(78), "joined_on": "2001-01-01", "status": "full",
            "organisation_id": orgs["grid"].pk, "grid_code": A_GRID}  # fmt: skip
    client = login("community_a")
    response = client.post(reverse("party:member_create"), {**form, "username": "resident_b"})
    assert "不在您的管辖范围内" in response.context["form"].errors["username"][0]
    response = client.post(reverse("party:member_create"), {**form, "username": "nobody"})
    assert "不存在" in response.context["form"].errors["username"][0]
    assert client.post(reverse("party:member_create"), {**form, "username": "resident_a"}).status_code == 302
    assert Member.objects.get(name="王五").user == people["resident_a"]


@pytest.mark.parametrize(
    "name", ["party:tree", "party:members", "party:registrations", "party:needs", "party:offers", "party:projects",
             "party:claims", "party:activities", "party:service", "party:report"],
)  # fmt: skip
def test_list_pages_stay_within_a_query_budget(login, content, name, django_assert_max_num_queries):
    client = login("community_a")
    with django_assert_max_num_queries(25):
        assert client.get(reverse(name)).status_code == 200


def test_a_members_id_is_shown_in_full_only_for_a_recorded_reason(login, member_a, people):
    from wangge.core.models import AuditEvent

    staff = login("community_a")
    page = staff.get(reverse("party:member", args=[member_a.pk])).content.decode()
    assert idn(1) not in page and "查看完整信息" in page
    url = reverse("party:member_reveal", args=[member_a.pk, "id_number"])
    refused = staff.post(url, {"reason": " "}).content.decode()
    assert "请填写查看原因（至少2个字）" in refused and idn(1) not in refused
    assert not AuditEvent.objects.filter(verb="party.member.reveal").exists()
    shown = staff.post(url, {"reason": "办理组织关系转接"}).content.decode()
    assert idn(1) in shown and "已记录查看" in shown
    phone = staff.post(reverse("party:member_reveal", args=[member_a.pk, "phone"]), {"reason": "电话通知"})
    assert "13800001234" in phone.content.decode()
    events = AuditEvent.objects.filter(verb="party.member.reveal").order_by("id")
    assert [(e.actor_id, e.note, e.after["field"]) for e in events] == [
        (people["community_a"].pk, "办理组织关系转接", "id_number"),
        (people["community_a"].pk, "电话通知", "phone"),
    ]
    assert all(idn(1) not in str(e.after) for e in events)
    # A party secretary sees the member but may not see the ID in full; another community's staff
    # do not find the member at all.
    secretary_page = login("party_a").get(reverse("party:member", args=[member_a.pk])).content.decode()
    assert "查看完整信息" not in secretary_page
    assert login("party_a").post(url, {"reason": "办理组织关系转接"}).status_code == 403
    assert login("community_b").post(url, {"reason": "办理组织关系转接"}).status_code == 404
    api = f"/api/v1/party/members/{member_a.pk}/reveal"
    answer = staff.post(api, {"field": "id_number", "reason": "核对身份"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"field": "id_number", "value": idn(1)}
    wrong = staff.post(api, {"field": "name", "reason": "核对身份"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "field"
    assert AuditEvent.objects.filter(verb="party.member.reveal").count() == 3


def test_a_member_is_transferred_to_another_organisation_in_scope_on_their_page(login, member_a, orgs):
    from wangge.core.models import AuditEvent

    staff = login("community_a")
    url = reverse("party:member", args=[member_a.pk])
    form = {"status": "full", "post": "", "post_duty": "", "shows_identity": "on"}
    page = staff.get(url).content.decode()
    assert "组织关系转接" in page and "甲一1网格党支部" in page
    response = staff.post(url, {**form, "organisation_id": orgs["grid"].pk})
    assert response.status_code == 302
    assert Member.objects.get(pk=member_a.pk).organisation == orgs["grid"]
    event = AuditEvent.objects.filter(verb="party.member.update").latest("id")
    assert (event.before["organisation_id"], event.after["organisation_id"]) == (orgs["unit_org_a"].pk, orgs["grid"].pk)
    # An organisation of another street is not offered and not accepted.
    refused = staff.post(url, {**form, "organisation_id": orgs["unit_org_b"].pk})
    assert refused.status_code == 200 and "organisation_id" in refused.context["form"].errors
    assert Member.objects.get(pk=member_a.pk).organisation == orgs["grid"]


def test_an_organisation_is_dissolved_from_its_page_and_the_api_only_when_empty(login, orgs, member_a):
    from wangge.party.models import Organisation

    staff = login("community_a")
    refused = staff.post(reverse("party:organisation_delete", args=[orgs["unit_org_a"].pk]), follow=True)
    assert "还有党员 1，不能撤销" in refused.content.decode()
    assert login("community_b").post(reverse("party:organisation_delete", args=[orgs["grid"].pk])).status_code == 404
    empty = services.organisation_create(
        actor=None, name="临时党支部", kind="branch", region_code=A_GRID2, parent_id=orgs["community"].pk
    )
    response = staff.post(reverse("party:organisation_delete", args=[empty.pk]))
    assert response["Location"] == reverse("party:organisation", args=[orgs["community"].pk])
    assert not Organisation.objects.filter(pk=empty.pk).exists()
    api = f"/api/v1/party/organisations/{orgs['unit_org_a'].pk}"
    answer = staff.delete(api)
    assert answer.status_code == 409 and answer.json()["field"] == "organisation"
    assert login("community_b").delete(api).status_code == 404


def test_a_member_leaves_the_roll_from_their_page_and_the_api(login, member_a, member_b):
    staff = login("community_a")
    page = staff.get(reverse("party:member", args=[member_a.pk])).content.decode()
    assert "登记离开" in page
    url = reverse("party:member_leave", args=[member_a.pk])
    refused = staff.post(url, {"reason": "transferred_out", "note": ""}, follow=True).content.decode()
    assert "请填写转往的党组织" in refused and Member.objects.get(pk=member_a.pk).left_on is None
    done = staff.post(url, {"reason": "deceased", "on": "2026-01-05"}, follow=True).content.decode()
    assert 'id="member-left"' in done and "2026-01-05 离开：去世" in done and "登记离开" not in done
    assert "张党员" not in staff.get(reverse("party:members")).content.decode()
    assert "张党员" in staff.get(reverse("party:members") + "?status=left").content.decode()
    assert login("community_b").post(url, {"reason": "deceased"}).status_code == 404
    api = f"/api/v1/party/members/{member_b.pk}/leave"
    answer = login("party_b").post(api, {"reason": "other", "note": "停止党籍"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["left_reason"] == "other"
    again = login("party_b").post(api, {"reason": "other"}, content_type="application/json")
    assert again.status_code == 409


def test_staff_edit_a_resident_member_whose_organisation_lies_outside_their_scope(login, orgs):
    member = services.member_create(
        actor=None, name="外街道党员", id_number=idn(88), joined_on="2010-07-01",
        organisation_id=orgs["unit_org_b"].pk, grid_code=A_GRID,
    )  # fmt: skip
    staff = login("community_a")
    url = reverse("party:member", args=[member.pk])
    page = staff.get(url).content.decode()
    assert f'<option value="{orgs["unit_org_b"].pk}" selected>' in page  # the current one stays selectable
    form = {"status": "full", "post": "policy", "post_duty": "", "shows_identity": "on"}
    response = staff.post(url, {**form, "organisation_id": orgs["unit_org_b"].pk})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.post == "policy" and member.organisation == orgs["unit_org_b"]


def test_a_member_s_organisation_is_linked_only_where_it_can_be_opened(login, member_a, orgs):
    organisation = reverse("party:organisation", args=[orgs["unit_org_a"].pk])
    # Community staff may open the tax office's organisation; the grid worker sees the member only.
    for name, opens in (("community_a", True), ("gridworker_a", False)):
        client = login(name)
        page = client.get(reverse("party:member", args=[member_a.pk])).content.decode()
        assert (client.get(organisation).status_code == 200) == opens, name
        assert orgs["unit_org_a"].name in page and (organisation in page) == opens, name
