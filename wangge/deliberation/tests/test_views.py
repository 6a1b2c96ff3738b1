"""The pages: every one refuses anonymous users, hides other places (404) and serves its own;
forms name the field at fault and write nothing; a matter goes through the steps by POSTs."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_region, make_user
from wangge.accounts.roles import Role
from wangge.deliberation import meetings, services
from wangge.deliberation.models import Matter, Status
from wangge.regions.models import Level

from .conftest import A_GRID, B_GRID, decided, later, meeting_for, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(people):
    matter = decided(people)
    meeting = matter.meeting
    photo_less = propose(people, title="垃圾分类点位调整")
    return {
        "list": reverse("deliberation:matter_list"),
        "new": reverse("deliberation:matter_new"),
        "detail": reverse("deliberation:matter_detail", args=[matter.pk]),
        "other": reverse("deliberation:matter_detail", args=[photo_less.pk]),
        "meetings": reverse("deliberation:meeting_list"),
        "meeting": reverse("deliberation:meeting_detail", args=[meeting.pk]),
        "stats": reverse("deliberation:statistics"),
        "xlsx": reverse("deliberation:statistics_xlsx"),
        "matter": matter,
        "meeting_obj": meeting,
    }


def test_anonymous_is_sent_to_login(pages):
    client = Client()
    for name in ("list", "new", "detail", "meetings", "meeting", "stats", "xlsx"):
        response = client.get(pages[name])
        assert response.status_code == 302 and "login" in response["Location"], name


def test_in_scope_pages_show_the_matter(pages, client_of):
    client = client_of("resident_a")
    assert "小区加装电梯" in client.get(pages["list"]).content.decode()
    for name in ("detail", "meetings", "meeting", "stats", "new"):
        assert client.get(pages[name]).status_code == 200, name
    body = client.get(pages["detail"]).content.decode()
    assert "表决通过" in body and "应投 3，同意 3" in body


def test_other_places_see_nothing(pages, client_of):
    client = client_of("resident_b")
    assert "小区加装电梯" not in client.get(pages["list"]).content.decode()
    assert "三月居民议事会" not in client.get(pages["meetings"]).content.decode()
    assert client.get(pages["detail"]).status_code == 404
    assert client.get(pages["meeting"]).status_code == 404
    matter = pages["matter"]
    for action in ("support", "ballot", "evaluate", "task_add", "publish"):
        url = reverse("deliberation:matter_act", args=[matter.pk, action])
        assert client.post(url, {"choice": "yes", "rating": "satisfied"}).status_code == 404, action
    url = reverse("deliberation:meeting_act", args=[pages["meeting_obj"].pk, "comment"])
    assert client.post(url, {"text": "外人的意见"}).status_code == 404
    # a grid worker of street B cannot hear it either
    assert (
        client_of("gridworker_b").post(reverse("deliberation:matter_act", args=[matter.pk, "accept"])).status_code
        == 404
    )


def test_a_role_without_the_capability_gets_403(pages, client_of):
    client = client_of("resident_a")
    assert client.get(reverse("deliberation:meeting_new")).status_code == 403
    url = reverse("deliberation:matter_act", args=[pages["matter"].pk, "task_add"])
    assert client.post(url, {"title": "x", "deadline": "2099-01-01", "owner_name": "某某"}).status_code == 403


def test_propose_form_names_the_field_and_writes_nothing(people, client_of):
    client = client_of("resident_a")
    before = Matter.objects.count()
    response = client.post(reverse("deliberation:matter_new"), {"place": A_GRID, "title": "", "description": "x"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "title" in form.errors
    response = client.post(
        reverse("deliberation:matter_new"), {"place": A_GRID, "title": "加装电梯", "description": "短"}
    )
    assert "description" in response.context["form"].errors
    response = client.post(
        reverse("deliberation:matter_new"),
        {
            "place": A_GRID,
            "title": "加装电梯",
            "description": "老人多，希望加装电梯",
            "photos": io.BytesIO(b"not an image"),
        },
    )
    assert "photos" in response.context["form"].errors
    assert Matter.objects.count() == before
    # a place outside one's own is not even offered
    response = client.post(
        reverse("deliberation:matter_new"),
        {"place": B_GRID, "title": "加装电梯", "description": "老人多，希望加装电梯"},
    )
    assert "place" in response.context["form"].errors


def test_propose_form_keeps_the_point_tapped_on_the_map(people, client_of):
    client = client_of("resident_a")
    fields = {"place": A_GRID, "title": "路灯不亮", "description": "小区东门路灯坏了一周"}
    response = client.post(reverse("deliberation:matter_new"), {**fields, "lng": "105.44"})
    assert response.status_code == 200 and "lat" in response.context["form"].errors
    assert not Matter.objects.filter(title="路灯不亮").exists()
    client.post(reverse("deliberation:matter_new"), {**fields, "lng": "105.441", "lat": "28.871"})
    matter = Matter.objects.get(title="路灯不亮")
    assert (matter.lng, matter.lat) == (105.441, 28.871)
    page = client.get(reverse("deliberation:matter_detail", args=[matter.pk])).content.decode()
    assert 'id="matter-map"' in page and 'data-lng="105.441000"' in page


def test_steps_by_post(people, client_of):
    resident = client_of("resident_a")
    response = resident.post(
        reverse("deliberation:matter_new"),
        {"place": A_GRID, "title": "楼下停车乱", "description": "晚上车辆乱停，消防通道被堵"},
    )
    matter = Matter.objects.get(title="楼下停车乱")
    assert response["Location"] == reverse("deliberation:matter_detail", args=[matter.pk])
    act = lambda action: reverse("deliberation:matter_act", args=[matter.pk, action])  # noqa: E731
    client_of("r1").post(act("support"))
    response = client_of("r1").post(act("support"), follow=True)
    assert "您已经附议过这个事项" in response.content.decode()
    grid = client_of("gridworker_a")
    grid.post(act("accept"))
    response = grid.post(act("answer"), {"answer": ""}, follow=True)
    assert "请填写答复内容" in response.content.decode()
    meeting = meeting_for(people)
    grid.post(act("schedule"), {"meeting": meeting.pk})
    matter.refresh_from_db()
    assert matter.status == Status.SCHEDULED
    community = client_of("community_a")
    community.post(
        reverse("deliberation:meeting_act", args=[meeting.pk, "invite"]),
        {"category": "representative", "username": "r1"},
    )
    participant = meeting.participants.get()
    community.post(reverse("deliberation:meeting_act", args=[meeting.pk, "attendance"]), {"present": [participant.pk]})
    community.post(act("vote_open"))
    client_of("r1").post(act("ballot"), {"choice": "yes"})
    community.post(act("publish"))
    matter.refresh_from_db()
    assert matter.status == Status.DECIDED
    response = community.post(
        act("task_add"), {"title": "划线", "owner_name": "物业", "deadline": "2001-01-01"}, follow=True
    )
    assert "完成期限不能早于今天" in response.content.decode()
    community.post(act("task_add"), {"title": "划停车线", "owner_name": "物业", "deadline": "2099-01-01"})
    task = matter.tasks.get()
    community.post(act("task_done"), {"task": task.pk, "note": "已划线"})
    matter.refresh_from_db()
    assert matter.status == Status.DONE
    client_of("r2").post(act("evaluate"), {"rating": "fairly", "comment": "好多了"})
    body = client_of("resident_b").get(reverse("deliberation:matter_list")).content.decode()
    assert "楼下停车乱" not in body
    body = resident.get(reverse("deliberation:matter_detail", args=[matter.pk])).content.decode()
    assert "满意率 100%" in body and "好多了" in body


def test_statistics_and_export_are_scoped(pages, client_of, people, tree):
    from django.utils import timezone

    from wangge.deliberation.models import Meeting

    Meeting.objects.filter(pk=pages["meeting_obj"].pk).update(starts_at=timezone.now())
    meetings.meeting_hold(
        actor=people["community_a"], meeting=pages["meeting_obj"], minutes="会议讨论了电梯加装的费用分摊。"
    )
    client = client_of("community_a")
    response = client.get(pages["stats"])
    assert response.context["figures"]["raised"] == 2
    assert response.context["figures"]["meetings"] == 1
    assert response.context["figures"]["decided"] == 1
    workbook = load_workbook(io.BytesIO(client.get(pages["xlsx"]).content))
    sheet = workbook.active
    assert sheet.cell(row=3, column=1).value == "提出事项" and sheet.cell(row=4, column=1).value == 2
    other = client_of("community_b").get(pages["stats"])
    assert other.context["figures"]["raised"] == 0
    # asking for another street's figures is refused
    response = client_of("community_b").get(pages["stats"], {"region": tree["community_a"].key})
    assert response.context["region"] == tree["community_b"]


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def test_photos_and_minutes_files_are_served_to_the_place_only(people, client_of, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    matter = services.matter_propose(
        actor=people["resident_a"],
        title="井盖松动",
        description="3栋门口井盖踩上去会响",
        place=A_GRID,
        photos=[SimpleUploadedFile("scene.png", PNG)],
    )
    meeting = meeting_for(people)
    meetings.meeting_hold(
        actor=people["community_a"],
        meeting=meeting,
        minutes="会议讨论了井盖维修和费用。",
        files=[SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes")],
    )
    photo_url = reverse("deliberation:matter_photo", args=[matter.photos.get().pk])
    file_url = reverse("deliberation:meeting_file", args=[meeting.files.get().pk])
    mine = client_of("resident_a")
    assert mine.get(photo_url)["Content-Type"] == "image/png"
    assert mine.get(file_url)["Content-Type"] == "application/pdf"
    other = client_of("resident_b")
    assert other.get(photo_url).status_code == 404
    assert other.get(file_url).status_code == 404
    assert "minutes.pdf" in mine.get(reverse("deliberation:meeting_detail", args=[meeting.pk])).content.decode()


def test_list_pages_and_api_stay_within_a_query_budget(people, client_of, django_assert_max_num_queries):
    for n in range(12):
        propose(people, title=f"事项{n}")
    client = client_of("resident_a")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("deliberation:matter_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/deliberation/matters").json()["items"]) == 12


def test_staff_register_household_voters_in_their_scope(people, client_of, building):
    from wangge.deliberation.models import Home

    meeting = meeting_for(people, place=f"building:{building.pk}", rule="household")
    household = building.households.order_by("room").first()
    url = reverse("deliberation:meeting_act", args=[meeting.pk, "voter"])
    response = client_of("gridworker_a").post(url, {"username": "r1", "household": household.pk}, follow=True)
    assert "已保存" in response.content.decode()
    assert Home.objects.get(user=people["r1"]).household == household
    response = client_of("gridworker_a").post(url, {"username": "resident_b", "household": household.pk}, follow=True)
    assert "账号不存在，或不属于本议事范围" in response.content.decode()
    response = client_of("gridworker_a").post(url, {"username": "r2", "household": ""}, follow=True)
    assert "请选择本议事范围内的住户" in response.content.decode()
    assert client_of("resident_a").post(url, {"username": "r2", "household": household.pk}).status_code == 403
    assert client_of("gridworker_b").post(url, {"username": "r2", "household": household.pk}).status_code == 404
    assert Home.objects.count() == 1


def test_only_the_staff_who_register_voters_see_who_votes_for_which_room(people, client_of, building):
    from wangge.deliberation.models import Home

    meeting = meeting_for(people, place=f"building:{building.pk}", rule="household")
    household = building.households.order_by("room").first()
    Home.objects.create(user=people["r1"], household=household)
    url = reverse("deliberation:meeting_detail", args=[meeting.pk])
    staff_page = client_of("gridworker_a").get(url).content.decode()
    assert "r1" in staff_page and "已登记 1 户投票人" not in staff_page
    neighbour_page = client_of("r5").get(url)
    assert neighbour_page.status_code == 200
    assert "已登记 1 户投票人" in neighbour_page.content.decode()
    assert neighbour_page.context["household_voters"] is None


@pytest.mark.parametrize("bad", ["9999-12-31", "0001-01-01"])
def test_statistics_refuse_dates_far_out_with_the_field(pages, client_of, bad):
    field = "start" if bad.startswith("0") else "end"
    for url in (pages["stats"], reverse("deliberation:statistics_xlsx")):
        response = client_of("community_a").get(url, {field: bad})
        assert response.status_code == 400
        assert "日期应在2000年1月1日到明年之间" in response.content.decode()


def test_ids_that_are_not_numbers_name_the_field(people, client_of):
    matter = propose(people)
    services.matter_accept(actor=people["gridworker_a"], matter=matter)
    url = reverse("deliberation:matter_act", args=[matter.pk, "schedule"])
    response = client_of("gridworker_a").post(url, {"meeting": "²"}, follow=True)
    assert "会议编号无效" in response.content.decode()
    assert Matter.objects.get(pk=matter.pk).status == matter.status


def test_a_task_s_case_is_linked_only_for_those_who_may_open_it(people, client_of):
    matter = decided(people)
    staff = people["community_a"]
    task = services.task_add(
        actor=staff, matter=matter, title="清理井道", deadline=later(), owner_name="城管", as_case=True,
    )  # fmt: skip
    page = reverse("deliberation:matter_detail", args=[matter.pk])
    case_page = reverse("cases:detail", args=[task.case.number])
    staff_page = client_of("community_a").get(page).content.decode()
    resident = client_of("resident_a").get(page).content.decode()
    assert case_page in staff_page
    assert task.case.number in resident and case_page not in resident  # named, not a dead link
    assert client_of("resident_a").get(case_page).status_code == 404


def test_a_building_head_reads_the_statistics_of_their_micro_grid(tree):
    grid = tree["grids"][A_GRID]
    micro = make_region(f"{A_GRID}01", f"{A_GRID}01", "一号微网格", Level.MICROGRID, grid)
    head = Client()
    head.force_login(make_user("head_a", Role.BUILDING_HEAD, micro))
    response = head.get(reverse("deliberation:statistics"))
    assert response.status_code == 200 and "一号微网格" in response.content.decode()
