"""One click on a suggested category: the dispatcher takes the model's suggestion and the case is
filed and dispatched through the ordinary workflow; what was chosen is recorded for every case."""

import pytest
from django.test import Client

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Channel, Status
from wangge.dispatch_ai import services as ai_services
from wangge.dispatch_ai.models import Outcome, Suggestion

from .conftest import A1

pytestmark = pytest.mark.django_db

GARBAGE = ["小区门口垃圾堆积无人清运", "垃圾桶满了发臭", "路边垃圾成堆", "楼下垃圾没人收"] * 3
LAMPS = ["小区路灯不亮晚上很黑", "路灯坏了一直闪", "路灯夜里不亮", "门口路灯熄灭"] * 3
BUILDING = ["楼顶私自搭建彩钢房", "违章搭建占用绿地", "一楼住户违建围墙", "私搭乱建没人管"] * 3


@pytest.fixture
def model(catalogue):
    ai_services.train(
        texts=GARBAGE + LAMPS + BUILDING,
        labels=["0101"] * 12 + ["0201"] * 12 + ["0301"] * 12,
        trained_from="csv",
        evaluate=False,
        activate=True,
    )


@pytest.fixture
def login(people):
    def build(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return build


@pytest.fixture
def reported(people, model, django_capture_on_commit_callbacks):
    """A new case about garbage, with its suggestions stored (the background task run at commit)."""

    def build(text="单元门口垃圾堆积，好几天没人清运"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.case_report(
                actor=people["gridworker_a"], text=text, channel=Channel.GRID, lng=A1[0], lat=A1[1]
            )

    return build


def suggestion_of(case) -> Suggestion:
    return Suggestion.objects.get(case_type="cases.case", case_id=str(case.pk))


def accept(client, case, label, version=None):
    return client.post(
        f"/cases/{case.number}/apply-suggestion/",
        {"category": label, "expected_version": case.version if version is None else version},
    )


def test_the_dispatcher_sees_three_suggestions_with_department_and_dispatches_in_one_click(
    reported, login, people, catalogue
):
    case = reported()
    case = services.case_accept(
        case=case, actor=people["community_a"], expected_version=case.version, category=catalogue["lamp"]
    )
    case = services.case_escalate(case=case, actor=people["community_a"], expected_version=case.version)
    client = login("dispatcher_a")
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert page.count('action="/cases/%s/apply-suggestion/"' % case.number) == 3
    assert "暴露垃圾" in page and "置信度" in page and catalogue["cg"].name in page

    response = accept(client, case, "0101")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.category.code == "0101"
    assert case.lead_department == catalogue["cg"]  # the district's line of the city's department
    row = suggestion_of(case)
    # Filed as 路灯 by the community, sent out as 垃圾 by the dispatcher: the last choice counts.
    assert row.outcome == Outcome.ACCEPTED and row.chosen_rank == 1 and not row.auto_applied
    assert row.decided_by == people["dispatcher_a"]
    assert "已采纳建议「暴露垃圾」，派遣给" in client.get(response["Location"]).content.decode()


def test_a_dispatcher_files_and_dispatches_a_new_case_in_one_click(reported, login, catalogue):
    case = reported()
    client = login("dispatcher_a")
    assert accept(client, case, "0101").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.lead_department == catalogue["cg"]
    actions = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch"]


def test_the_community_files_under_the_suggestion_but_does_not_dispatch(reported, login):
    case = reported()
    assert accept(login("community_a"), case, "0101").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.category.code == "0101" and case.lead_department is None
    assert suggestion_of(case).outcome == Outcome.ACCEPTED


def test_out_of_scope_or_not_their_move_is_refused_and_writes_nothing(reported, login):
    case = reported()
    before = (case.version, CaseEvent.objects.count())
    assert accept(login("dispatcher_b"), case, "0101").status_code == 404
    assert accept(login("resident_a"), case, "0101").status_code == 404
    assert accept(login("gridworker_a"), case, "0101").status_code == 403  # sees it, may not file it
    assert Client().post(f"/cases/{case.number}/apply-suggestion/", {"category": "0101"}).status_code == 302
    case.refresh_from_db()
    assert (case.version, CaseEvent.objects.count()) == before and case.status == Status.REPORTED
    assert suggestion_of(case).outcome == Outcome.PENDING


def test_a_case_already_moved_or_a_stale_suggestion_is_refused_with_the_reason(reported, login, people, catalogue):
    case = reported()
    stale_version = case.version
    services.case_accept(
        case=case, actor=people["community_a"], expected_version=case.version, category=catalogue["garbage"]
    )
    client = login("dispatcher_a")
    response = accept(client, case, "0101", version=stale_version)
    assert "案件已被他人处理，请刷新后重试" in client.get(response["Location"]).content.decode()
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    # A category the model does not (or no longer) suggest for this case cannot be taken this way.
    response = accept(client, case, "9001")
    assert "该建议已更新或不再适用" in client.get(response["Location"]).content.decode()
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.version == stale_version + 1


def test_a_suggested_category_without_a_department_here_names_the_field(reported, login):
    case = reported(text="小区路灯坏了晚上很黑")
    assert suggestion_of(case).candidates[0]["label"] == "0201"
    client = login("dispatcher_a")
    response = accept(client, case, "0201")
    assert "没有负责本地的责任部门" in client.get(response["Location"]).content.decode()
    case.refresh_from_db()
    assert case.status == Status.REPORTED and not CaseEvent.objects.filter(case=case, action="accept").exists()


def test_a_manual_choice_of_another_category_is_recorded_as_overridden(reported, login, catalogue):
    case = reported()
    client = login("dispatcher_a")
    client.post(f"/cases/{case.number}/accept/", {"accept-expected_version": case.version, "accept-category": "9001"})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    row = suggestion_of(case)
    assert row.outcome == Outcome.OVERRIDDEN and row.final_label == "9001" and row.chosen_rank is None


def test_a_case_filed_before_the_model_answered_still_gets_suggestions_for_dispatch(people, model, catalogue):
    case = services.case_report(
        actor=people["gridworker_a"], text="楼下垃圾成堆没人收", channel=Channel.GRID, lng=A1[0], lat=A1[1]
    )  # the background task has not run
    case = services.case_accept(
        case=case, actor=people["community_a"], expected_version=case.version, category=catalogue["garbage"]
    )
    assert suggestion_of(case).outcome == Outcome.UNASSISTED
    ai_services.suggest_for_case(case_type="cases.case", case_id=str(case.pk), text=case.text)
    row = suggestion_of(case)
    assert row.candidates and row.outcome == Outcome.UNASSISTED  # chosen without them
    case = services.case_escalate(case=case, actor=people["community_a"], expected_version=case.version)
    services.case_dispatch(case=case, actor=people["dispatcher_a"], expected_version=case.version, lead=catalogue["cg"])
    assert suggestion_of(case).outcome == Outcome.ACCEPTED
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED


def test_the_api_lists_the_suggestions_and_takes_one(reported, login, catalogue):
    case = reported()
    client = login("dispatcher_a")
    body = client.get(f"/api/v1/cases/{case.number}/suggestions").json()
    assert [r["label"] for r in body["rows"]][0] == "0101" and len(body["rows"]) == 3
    assert body["rows"][0]["name"] == "暴露垃圾" and body["rows"][0]["department"] == catalogue["cg"].name
    assert body["outcome"] == "pending" and 0 < body["rows"][0]["confidence"] <= 1
    assert login("resident_a").get(f"/api/v1/cases/{case.number}/suggestions").status_code == 404
    assert login("dispatcher_b").get(f"/api/v1/cases/{case.number}/suggestions").status_code == 404

    url = f"/api/v1/cases/{case.number}/apply-suggestion"
    payload = {"category": "0101", "expected_version": case.version}
    assert login("dispatcher_b").post(url, payload, content_type="application/json").status_code == 404
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == Status.DISPATCHED
    again = client.post(url, payload, content_type="application/json")  # the same click, a second time
    assert again.status_code == 409
    assert client.get(f"/api/v1/cases/{case.number}/suggestions").json()["outcome"] == "accepted"
