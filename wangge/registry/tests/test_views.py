"""Ledger pages: anonymous → login, out of scope → the 404 page, residents → nothing, in scope →
masked content; the reveal action (htmx) writes the audit; forms put refusals on their fields."""

import datetime

import pytest
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.registry import services
from wangge.registry.models import CareRecord, Resident, Visit, VisitProblem

from .conftest import make_id

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def pages(ledger, users, register):
    made = {}
    for side, house, worker, staff in (
        ("a", "a101", "gridworker_a", "community_a"),
        ("b", "b101", "gridworker_b", "community_b"),
    ):
        number = make_id()
        resident = register(house, f"居民{side}", id_number=number, phone="17012345678")
        record = services.care_create(actor=users[staff], resident=resident, group="chronic", responsible=users[worker])
        services.household_update(actor=None, household=ledger["houses"][house], owner_phone="17087654321")
        visit = services.visit_record(
            actor=users[worker],
            household=ledger["houses"][house],
            report=services.VisitInput(notes="正常", problem_text="井盖松动", problem_category="safety"),
        )
        made[side] = {
            "resident": resident,
            "number": number,
            "house": ledger["houses"][house],
            "care": record,
            "visit": visit,
        }
    return made


def detail_urls(pages, side):
    p = pages[side]
    return [
        f"/registry/residents/{p['resident'].pk}/",
        f"/registry/residents/{p['resident'].pk}/edit/",
        f"/registry/residents/{p['resident'].pk}/move/",
        f"/registry/residents/{p['resident'].pk}/depart/",
        f"/registry/houses/{p['house'].pk}/",
        f"/registry/houses/{p['house'].pk}/edit/",
        f"/registry/houses/{p['house'].pk}/visit/",
        f"/registry/visits/{p['visit'].pk}/",
        f"/registry/care/{p['care'].pk}/",
        f"/registry/residents/new/?household={p['house'].pk}",
        f"/registry/care/new/?resident={p['resident'].pk}",
    ]


LIST_PAGES = [
    "/registry/",
    "/registry/houses/",
    "/registry/care/",
    "/registry/due/",
    "/registry/visits/",
    "/registry/problems/",
]


def test_anonymous_visitors_are_sent_to_the_login_page(pages):
    client = Client()
    for url in detail_urls(pages, "a") + LIST_PAGES + ["/registry/residents/move-in/", "/registry/houses/pick/?q=x"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    response = client.post(f"/registry/residents/{pages['a']['resident'].pk}/reveal/phone/", {"reason": "看看"})
    assert response.status_code == 302


def test_pages_outside_the_scope_are_404_like_missing_ones(pages, client_for):
    client = client_for("community_a")
    for in_scope, out_of_scope in zip(detail_urls(pages, "a"), detail_urls(pages, "b")):
        assert client.get(in_scope).status_code == 200, in_scope
        response = client.get(out_of_scope)
        assert response.status_code == 404, out_of_scope
        assert "不在您的管辖范围内" in response.content.decode()
    assert client.get("/registry/residents/987654/").status_code == 404
    response = client.post(f"/registry/residents/{pages['b']['resident'].pk}/reveal/phone/", {"reason": "看看"})
    assert response.status_code == 404 and not AuditEvent.objects.filter(verb="resident.reveal").exists()
    assert client.get("/registry/?region=510502002001001").status_code == 404


def test_residents_and_other_roles_see_nothing_of_the_ledgers(pages, client_for):
    for name in ("resident_a", "leader", "handler"):
        client = client_for(name)
        urls = detail_urls(pages, "a")[:1] + LIST_PAGES
        for url in urls if name == "resident_a" else urls[:-1]:  # staff may see problems raised
            response = client.get(url)
            assert response.status_code in (403, 404), (name, url)
            assert "居民a" not in response.content.decode()
        home = client.get("/regions/510502001001001/", follow=True).content.decode()
        assert "/registry/" not in home
    assert 'href="/registry/"' in client_for("gridworker_a").get("/regions/510502001001001/").content.decode()


def test_list_and_detail_pages_show_only_masked_identifiers(pages, client_for):
    client = client_for("gridworker_a")
    number = pages["a"]["number"]
    for url in LIST_PAGES + detail_urls(pages, "a") + ["/registry/?q=居民"]:
        html = client.get(url).content.decode()
        assert number not in html and "17012345678" not in html and "17087654321" not in html, url
    # A full number is posted, never put in the URL, and shown back masked.
    for secret in (number, "17012345678"):
        response = client.post("/registry/", {"q": secret})
        html = response.content.decode()
        assert response.status_code == 200 and secret not in html
        assert "居民a" in html and pages["a"]["resident"].id_masked in html and "170****5678" in html
    assert 'value="170****5678"' in html
    # Other searches redirect to an address that can be paged and bookmarked.
    response = client.post("/registry/", {"q": "居民", "region": "510502001001"})
    assert response.status_code == 302 and response["Location"] == "/registry/?q=%E5%B1%85%E6%B0%91&region=510502001001"


def test_reveal_with_htmx_swaps_in_the_value_and_records_it(pages, client_for):
    resident = pages["a"]["resident"]
    client = client_for("gridworker_a")
    url = f"/registry/residents/{resident.pk}/reveal/id_number/"
    html = client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert url in html and "查看完整" in html
    response = client.post(url, {"reason": "办理居住证"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and pages["a"]["number"] in response.content.decode()
    assert "<html" not in response.content.decode()
    event = AuditEvent.objects.get(verb="resident.reveal")
    assert event.note == "办理居住证" and event.actor_label == "gridworker_a"
    # No reason: the form comes back with the reason at fault, nothing revealed, nothing recorded.
    again = client.post(url, {"reason": "x"}, HTTP_HX_REQUEST="true").content.decode()
    assert "请填写查看原因（至少2个字）" in again and pages["a"]["number"] not in again
    # Without htmx it is a small page.
    page = client.post(f"/registry/houses/{pages['a']['house'].pk}/reveal/", {"reason": "联系房东"})
    assert "17087654321" in page.content.decode() and "<html" in page.content.decode()
    assert AuditEvent.objects.filter(verb__in=["resident.reveal", "household.reveal"]).count() == 2


def test_roles_without_reveal_have_no_button_and_are_refused(pages, client_for):
    resident = pages["a"]["resident"]
    client = client_for("parttime_a")
    html = client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert "查看完整" not in html and resident.id_masked in html
    response = client.post(f"/registry/residents/{resident.pk}/reveal/id_number/", {"reason": "想看看"})
    assert response.status_code == 403 and not AuditEvent.objects.filter(verb="resident.reveal").exists()


def test_registering_on_the_page_names_the_existing_record(pages, ledger, client_for):
    client = client_for("gridworker_a")
    house = ledger["houses"]["a102"]
    form = {
        "household": house.pk,
        "name": "新人",
        "id_number": make_id(),
        "phone": "",
        "kind": "registered",
        "moved_in": TODAY,
    }
    response = client.post("/registry/residents/new/", form, follow=True)
    assert "已登记居民 新人" in response.content.decode()
    duplicate = client.post("/registry/residents/new/", {**form, "id_number": pages["a"]["number"], "name": "重名"})
    html = duplicate.content.decode()
    assert duplicate.status_code == 200 and f"居民编号{pages['a']['resident'].pk}" in html and 'value="重名"' in html
    assert not Resident.objects.filter(name="重名").exists()


def test_moving_and_departing_on_the_pages(pages, ledger, client_for):
    resident = pages["a"]["resident"]
    client = client_for("gridworker_a")
    pick = client.get("/registry/houses/pick/", {"q": "001001 1栋 102"}).content.decode()
    assert f'value="{ledger["houses"]["a102"].pk}"' in pick
    assert "乙" not in client.get("/registry/houses/pick/", {"q": "002001"}).content.decode()
    response = client.post(f"/registry/residents/{resident.pk}/move/", {"on": TODAY})
    assert "请先选择要迁往的房屋" in response.content.decode()
    response = client.post(
        f"/registry/residents/{resident.pk}/move/", {"household": ledger["houses"]["a102"].pk, "on": TODAY}, follow=True
    )
    assert "已将 居民a 迁至" in response.content.decode()
    response = client.post(f"/registry/residents/{resident.pk}/depart/", {"on": TODAY, "note": "去外地"}, follow=True)
    assert "已登记 居民a 迁出" in response.content.decode()
    resident.refresh_from_db()
    assert resident.left_on == TODAY and CareRecord.objects.get(pk=pages["a"]["care"].pk).ended_on == TODAY


def test_the_visit_form_updates_everything_at_once(pages, ledger, users, client_for):
    resident = pages["a"]["resident"]
    record = pages["a"]["care"]
    client = client_for("gridworker_a")
    url = f"/registry/houses/{ledger['houses']['a101'].pk}/visit/"
    html = client.get(url).content.decode()
    assert 'name="met"' in html and f'name="care_{record.pk}_done"' in html and resident.id_masked in html
    assert f'type="date" name="visited_on" value="{TODAY.isoformat()}"' in html  # what a date input accepts
    form = {
        "visited_on": TODAY,
        "met": [str(resident.pk)],
        "notes": "身体还好",
        "use": "rented",
        "area_m2": "80",
        "owner_name": "房东丙",
        "nc0_name": "新租客",
        "nc0_id_number": "12345",
        "nc0_kind": "floating",
        "nc1_kind": "registered",
        f"care_{record.pk}_done": "on",
        f"care_{record.pk}": "血压偏高",
        "problem_text": "楼下噪音扰民",
        "problem_category": "dispute",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "身份证号应为18位" in refused.content.decode()
    assert not Visit.objects.filter(household=ledger["houses"]["a101"], notes="身体还好").exists()
    assert not Resident.objects.filter(name="新租客").exists()
    form["nc0_id_number"] = make_id("20000101")
    done = client.post(url, form, follow=True)
    assert "已记录走访" in done.content.decode()
    record.refresh_from_db()
    assert record.last_visit_on == TODAY and Resident.objects.get(name="新租客").kind == "floating"
    assert VisitProblem.objects.filter(text="楼下噪音扰民", region_key="510502001001001").exists()
    problems = client_for("dispatcher_a").get("/registry/problems/").content.decode()
    assert "楼下噪音扰民" in problems and "井盖松动" in problems


def test_due_page_lists_the_workers_own_overdue_first(pages, ledger, users, client_for, register):
    late = register("a102", "逾期者")
    record = services.care_create(
        actor=users["community_a"], resident=late, group="solitary", responsible=users["gridworker_a"]
    )
    CareRecord.objects.filter(pk=record.pk).update(
        last_visit_on=TODAY - datetime.timedelta(days=40), next_due_on=TODAY - datetime.timedelta(days=10)
    )
    html = client_for("gridworker_a").get("/registry/due/").content.decode()
    assert html.index("逾期者") < html.index("居民a") and "逾期10天" in html and "从未走访" in html
    assert "逾期者" not in client_for("parttime_a").get("/registry/due/").content.decode()
    everyone = client_for("community_a").get("/registry/due/?all=1").content.decode()
    assert "逾期者" in everyone and "居民b" not in everyone
    # A dispatcher may read the list but records no visits: the rows are not links to a form
    # that would refuse them.
    visit_form = f"/registry/houses/{late.household_id}/visit/"
    assert visit_form in html
    dispatcher = client_for("dispatcher_a")
    read_only = dispatcher.get("/registry/due/?all=1").content.decode()
    assert "逾期者" in read_only and visit_form not in read_only
    assert dispatcher.get(visit_form).status_code == 403


def test_care_pages(pages, ledger, users, client_for, register):
    person = register("a201", "残疾人甲")
    client = client_for("community_a")
    form = client.get(f"/registry/care/new/?resident={person.pk}").content.decode()
    assert "gridworker_a" in form and "gridworker_b" not in form and "gridworker_a2" not in form
    response = client.post(
        "/registry/care/new/",
        {
            "resident": person.pk,
            "group": "disability",
            "level": 1,
            "visit_every_days": 400,
            "responsible": "gridworker_a",
        },
    )
    assert "走访周期" in response.content.decode() and not CareRecord.objects.filter(resident=person).exists()
    response = client.post(
        "/registry/care/new/",
        {
            "resident": person.pk,
            "group": "disability",
            "level": 1,
            "visit_every_days": 15,
            "responsible": "gridworker_a",
        },
        follow=True,
    )
    assert "已将 残疾人甲 列为关爱对象" in response.content.decode()
    record = CareRecord.objects.get(resident=person)
    response = client.post(f"/registry/care/{record.pk}/", {"end": "1", "on": TODAY, "reason": "康复"}, follow=True)
    assert "关爱记录已结束" in response.content.decode()
    assert client_for("parttime_a").post(f"/registry/care/{record.pk}/", {"save": "1", "level": 2}).status_code == 403


def test_list_pages_stay_within_a_query_budget(
    pages, ledger, users, client_for, register, django_assert_max_num_queries
):
    for n in range(15):
        person = register(["a101", "a102", "a201"][n % 3], f"批量{n}")
        services.care_create(
            actor=users["community_a"], resident=person, group="low_income", responsible=users["gridworker_a"]
        )
    client = client_for("gridworker_a")
    for url in LIST_PAGES + ["/registry/?q=批量", f"/registry/houses/{ledger['houses']['a101'].pk}/"]:
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200, url


def test_keyset_pager_on_the_resident_page(ledger, client_for, register):
    for n in range(55):
        register(["a101", "a102", "a201"][n % 3], f"翻页{n:02d}")
    client = client_for("gridworker_a")
    first = client.get("/registry/").content.decode()
    assert "下一页" in first and "第一页" not in first
    link = first[first.index("?cursor=") + 1 : first.index('"', first.index("?cursor="))].replace("&amp;", "&")
    second = client.get("/registry/?" + link).content.decode()
    assert "第一页" in second and "下一页" not in second and second.count("/registry/residents/") >= 5
    bad = client.get("/registry/?cursor=%%%")
    assert bad.status_code == 200 and "翻页参数无效" in bad.content.decode()


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 5000])
def test_a_record_id_that_is_not_plain_digits_names_nothing(pages, client_for, value):
    """str.isdigit accepts superscript and other scripts' digits, which int() refuses (and int()
    refuses 5,000 digits): such an id in a link or form names no record, never a server error."""
    client = client_for("community_a")
    for url in ("/registry/residents/new/", "/registry/residents/move-in/"):
        response = client.get(url, {"household": value})
        assert response.status_code == 200 and not response.context["household"], url
    assert client.get("/registry/care/new/", {"resident": value}).status_code == 302
    response = client.post("/registry/care/new/", {"resident": value, "group": "chronic"})
    assert (
        response.status_code == 302
        and not CareRecord.objects.filter(group="chronic")
        .exclude(pk__in=[pages["a"]["care"].pk, pages["b"]["care"].pk])
        .exists()
    )


def test_list_pages_say_which_filter_is_refused_and_404_a_region_outside_the_scope(pages, client_for):
    client = client_for("community_a")
    for url, reason in (
        ("/registry/houses/?use=castle", "房屋用途应为"),
        ("/registry/care/?group=castle", "未知的关爱类别：castle"),
        ("/registry/?cursor=x", "翻页参数无效"),
    ):
        response = client.get(url)
        assert response.status_code == 200 and reason in response.content.decode(), url
    for url in ("/registry/houses/", "/registry/care/", "/registry/"):
        assert client.get(url, {"region": "510502002001001"}).status_code == 404, url
