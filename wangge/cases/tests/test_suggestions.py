"""Smart dispatch inside the workflow: a new case gets the model's suggestions, the page shows them
to whoever files it with the best guess preselected, and the final choice is recorded."""

import pytest
from django.test import Client

from wangge.cases import services
from wangge.cases.models import Category
from wangge.cases.suggestions import record_final
from wangge.dispatch_ai import services as ai_services
from wangge.dispatch_ai.models import Suggestion

from .conftest import A1

pytestmark = pytest.mark.django_db

GARBAGE = ["小区门口垃圾堆积无人清运", "垃圾桶满了发臭", "路边垃圾成堆", "楼下垃圾没人收"] * 3
LAMPS = ["小区路灯不亮晚上很黑", "路灯坏了一直闪", "路灯夜里不亮", "门口路灯熄灭"] * 3


@pytest.fixture
def model(catalogue):
    ai_services.train(
        texts=GARBAGE + LAMPS, labels=["0101"] * 12 + ["0201"] * 12, trained_from="csv", evaluate=False, activate=True
    )


def report(people, text):
    return services.case_report(actor=people["gridworker_a"], text=text, channel="grid", lng=A1[0], lat=A1[1])


def test_a_new_case_gets_suggestions_and_its_page_preselects_the_best(
    people, model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people, "单元门口垃圾堆积，好几天没人清运")
    suggestion = Suggestion.objects.get(case_type="cases.case", case_id=str(case.pk))
    assert suggestion.candidates[0]["label"] == "0101"

    client = Client()
    client.force_login(people["community_a"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'id="dispatch-suggestions"' in page and "暴露垃圾" in page
    assert '<option value="0101" selected' in page


def test_without_a_model_intake_works_and_the_page_says_so(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people, "路灯不亮")
    client = Client()
    client.force_login(people["community_a"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert case.number in page and 'id="dispatch-suggestions"' in page
    assert Suggestion.objects.get(case_type="cases.case", case_id=str(case.pk)).status == "no_model"
    assert "暂无可用的分类模型" in page and "置信度" not in page


@pytest.mark.parametrize("chosen, outcome", [("0101", "accepted"), ("0301", "overridden")])
def test_the_final_category_is_recorded_as_accepted_or_overridden(
    people, model, django_capture_on_commit_callbacks, chosen, outcome
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people, "楼下垃圾成堆没人收")
    case.category = Category.objects.get(code=chosen)
    record_final(case, people["dispatcher_a"])
    suggestion = Suggestion.objects.get(case_type="cases.case", case_id=str(case.pk))
    assert suggestion.outcome == outcome and suggestion.final_label == chosen
