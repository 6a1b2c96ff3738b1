"""Auto-apply per catalogue category: an administrator lets the system file and dispatch a new case
whose top suggestion is a category they trust, above the category's threshold. Off by default;
intake never waits on or fails because of the model."""

import threading
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client

from wangge.cases import services, suggestions, tasks
from wangge.cases.models import Case, CaseEvent, Category, Channel, Status
from wangge.cases.tasks import suggest_case
from wangge.core import audit
from wangge.core.errors import Conflict
from wangge.core.models import AuditEvent
from wangge.dispatch_ai import runtime
from wangge.dispatch_ai import services as ai_services
from wangge.dispatch_ai.models import ModelVersion, Outcome, Suggestion, SuggestionStatus

from .conftest import A1

GARBAGE = ["小区门口垃圾堆积无人清运", "垃圾桶满了发臭", "路边垃圾成堆", "楼下垃圾没人收"] * 3
LAMPS = ["小区路灯不亮晚上很黑", "路灯坏了一直闪", "路灯夜里不亮", "门口路灯熄灭"] * 3
BUILDING = ["楼顶私自搭建彩钢房", "违章搭建占用绿地", "一楼住户违建围墙", "私搭乱建没人管"] * 3
TEXT = "单元门口垃圾堆积，好几天没人清运"


def train():
    ai_services.train(
        texts=GARBAGE + LAMPS + BUILDING,
        labels=["0101"] * 12 + ["0201"] * 12 + ["0301"] * 12,
        trained_from="csv",
        evaluate=False,
        activate=True,
    )


def allow(code: str, threshold: float) -> None:
    Category.objects.filter(code=code).update(auto_apply=True, auto_apply_threshold=threshold)


def report(people, text=TEXT) -> Case:
    return services.case_report(actor=people["gridworker_a"], text=text, channel=Channel.GRID, lng=A1[0], lat=A1[1])


def suggestion_of(case) -> Suggestion:
    return Suggestion.objects.get(case_type="cases.case", case_id=str(case.pk))


@pytest.mark.django_db
def test_no_category_is_auto_applied_until_an_administrator_turns_it_on(people, django_capture_on_commit_callbacks):
    train()
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people)
    case.refresh_from_db()
    assert not Category.objects.filter(auto_apply=True).exists()
    assert case.status == Status.REPORTED and suggestion_of(case).outcome == Outcome.PENDING


@pytest.mark.django_db
def test_a_confident_top_suggestion_is_filed_and_dispatched_by_the_system(
    people, catalogue, django_capture_on_commit_callbacks
):
    train()
    allow("0101", 0.3)
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.category.code == "0101"
    assert case.lead_department == catalogue["cg"] and case.due_at is not None
    events = CaseEvent.objects.filter(case=case, action__in=["accept", "dispatch"]).order_by("id")
    assert [(e.action, e.actor_id, e.actor_label) for e in events] == [
        ("accept", None, audit.SYSTEM),
        ("dispatch", None, audit.SYSTEM),
    ]
    row = suggestion_of(case)
    assert row.auto_applied and row.outcome == Outcome.ACCEPTED and row.chosen_rank == 1 and row.decided_by is None
    assert AuditEvent.objects.filter(verb="case.dispatch", actor__isnull=True).count() == 1
    page = Client()
    page.force_login(people["dispatcher_a"])
    body = page.get(f"/cases/{case.number}/").content.decode()
    assert f"· {audit.SYSTEM}</span>" in body  # the timeline names the system as who dispatched


@pytest.mark.django_db
def test_only_a_top_suggestion_at_or_above_its_category_threshold_is_applied(
    people, django_capture_on_commit_callbacks
):
    train()
    allow("0301", 0.01)  # on, but not what the model suggests first for this text
    allow("0101", 0.999)
    with django_capture_on_commit_callbacks(execute=True):
        below = report(people, text="门口有人乱堆东西")
    best = suggestion_of(below).candidates[0]
    assert best["label"] == "0101" and 0.99 <= best["confidence"] < 0.999
    below.refresh_from_db()
    assert below.status == Status.REPORTED and suggestion_of(below).outcome == Outcome.PENDING

    allow("0101", 0.99)
    with django_capture_on_commit_callbacks(execute=True):
        above = report(people, text="门口有人乱堆东西")
    above.refresh_from_db()
    assert above.status == Status.DISPATCHED and suggestion_of(above).auto_applied


@pytest.mark.django_db
def test_a_case_someone_already_filed_is_left_to_them(people, catalogue):
    train()
    allow("0101", 0.3)
    case = report(people)  # the background task has not run yet
    services.case_accept(
        case=case, actor=people["community_a"], expected_version=case.version, category=catalogue["lamp"]
    )
    suggest_case.enqueue(case_id=case.pk)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.category.code == "0201"
    assert not suggestion_of(case).auto_applied


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["missing", "broken"])
def test_intake_is_unaffected_when_the_model_is_missing_or_broken(
    people, catalogue, django_capture_on_commit_callbacks, model
):
    allow("0101", 0.01)
    if model == "broken":
        train()
        ModelVersion.objects.filter(active=True).update(artefact=b"not a model")
        runtime.clear_cache()
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people)
    case.refresh_from_db()
    assert case.number and case.status == Status.REPORTED
    expected = SuggestionStatus.NO_MODEL if model == "missing" else SuggestionStatus.MODEL_ERROR
    assert suggestion_of(case).status == expected


@pytest.mark.django_db
def test_intake_is_unaffected_when_the_queue_is_down(
    people, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    def down(**kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(tasks, "suggest_case", SimpleNamespace(enqueue=down))
    with django_capture_on_commit_callbacks(execute=True):
        case = report(people)
    assert Case.objects.filter(pk=case.pk, status=Status.REPORTED).exists()
    assert not Suggestion.objects.filter(case_id=str(case.pk)).exists()


@pytest.mark.django_db
def test_the_administrator_sets_auto_apply_on_the_catalogue_page(people, catalogue):
    client = Client()
    client.force_login(people["admin"])
    garbage = catalogue["garbage"]
    form = {
        "code": "0101",
        "name": "暴露垃圾",
        "parent": "01",
        "kind": "event",
        "department": "5105-CG",
        "time_limit": 1,
        "time_unit": "days",
        "is_active": "on",
        "auto_apply": "on",
    }
    for bad in ("0", "1.5", "-0.2"):
        response = client.post(f"/cases/catalogue/{garbage.pk}/", form | {"auto_apply_threshold": bad})
        assert response.status_code == 400 and "自动采用的最低置信度应大于0且不超过1" in response.content.decode()
    garbage.refresh_from_db()
    assert not garbage.auto_apply
    response = client.post(f"/cases/catalogue/{garbage.pk}/", form | {"auto_apply_threshold": "0.85"})
    assert response.status_code == 302
    garbage.refresh_from_db()
    assert garbage.auto_apply and garbage.auto_apply_threshold == 0.85
    assert "≥ 0.85" in client.get("/cases/catalogue/").content.decode()
    assert AuditEvent.objects.filter(verb="category.update", after__auto_apply=True).exists()


@pytest.mark.django_db
def test_the_threshold_range_is_a_database_rule(catalogue):
    for bad in (0, 1.01):
        with pytest.raises(IntegrityError), transaction.atomic():
            Category.objects.filter(pk=catalogue["garbage"].pk).update(auto_apply_threshold=bad)


# ---- the race: the system and a dispatcher on the same new case (PostgreSQL) -----------------------


def _together(functions) -> list:
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
def test_auto_apply_racing_a_dispatcher_one_wins_the_other_gives_way(people, catalogue):
    train()
    outcomes = set()
    for _ in range(4):
        case = report(people)  # committed at once; auto-apply is still off, so nothing is applied yet
        suggestion = ai_services.suggest_for_case(case_type="cases.case", case_id=str(case.pk), text=case.text)
        allow("0101", 0.3)
        version = case.version

        def system(case=case, suggestion=suggestion):
            return suggestions.auto_apply(case, suggestion)

        def dispatcher(case=case, version=version):
            return services.case_accept(
                case=case, actor=people["dispatcher_a"], expected_version=version, category=catalogue["building"]
            )

        by_system, by_dispatcher = _together([system, dispatcher])
        fresh = Case.objects.get(pk=case.pk)
        row = suggestion_of(case)
        assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
        if isinstance(by_system, Case):  # the system won: filed and dispatched; the dispatcher is told
            assert isinstance(by_dispatcher, Conflict)
            assert fresh.status == Status.DISPATCHED and fresh.version == version + 2
            assert row.auto_applied and row.final_label == "0101"
            outcomes.add("system")
        else:  # the dispatcher won: the system gave way without a second transition
            assert by_system is None and isinstance(by_dispatcher, Case)
            assert fresh.status == Status.ACCEPTED and fresh.version == version + 1
            assert fresh.category.code == "0301" and row.final_label == "0301" and not row.auto_applied
            assert row.decided_by == people["dispatcher_a"]
            assert not CaseEvent.objects.filter(case=case, action="dispatch").exists()
            outcomes.add("dispatcher")
        Category.objects.filter(code="0101").update(auto_apply=False)
    assert outcomes  # either may win; each round had exactly one winner


# ---- the migration from dispatch_ai's rules ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_enabled_rules_onto_the_categories():
    from django.db.migrations.executor import MigrationExecutor

    old = [("cases", "0001_initial"), ("dispatch_ai", "0001_initial")]
    new = [("cases", "0002_category_auto_apply"), ("dispatch_ai", "0002_remove_autoapplyrule")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(old)
        apps = executor.loader.project_state(old).apps
        OldCategory, Rule = apps.get_model("cases", "Category"), apps.get_model("dispatch_ai", "AutoApplyRule")
        for code in ("0101", "0201", "0301"):
            OldCategory.objects.create(region_key="5105", code=code, name=code)
        Rule.objects.create(label="0101", enabled=True, min_confidence=0.8)
        Rule.objects.create(label="0201", enabled=False, min_confidence=0.6)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(new)
        rules = {c.code: (c.auto_apply, c.auto_apply_threshold) for c in Category.objects.all()}
        assert rules == {"0101": (True, 0.8), "0201": (False, 0.9), "0301": (False, 0.9)}
        assert "dispatch_ai_autoapplyrule" not in connection.introspection.table_names()
    finally:
        # back to the latest schema, whatever failed: later tests need every table (the summary too)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_a_queue_in_this_database_gets_the_task_row_inside_the_intake_transaction(people, catalogue, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        case = report(people)
        # Before any commit: the row is part of the intake's own transaction, no second one follows.
        queued = DBTaskResult.objects.get()
        assert queued.task_path == "wangge.cases.tasks.suggest_case"
        assert queued.args_kwargs["kwargs"] == {"case_id": case.pk}
    with pytest.raises(Conflict), transaction.atomic():
        report(people)
        raise Conflict("rolled back with the report")
    assert DBTaskResult.objects.count() == 1  # a report rolled back leaves no task behind
