import random

import pytest
from django.db import IntegrityError, transaction

from wangge.core.errors import DomainError, Forbidden
from wangge.core.models import AuditEvent
from wangge.dispatch_ai import hooks, runtime, selectors, services
from wangge.dispatch_ai.models import ModelVersion, Outcome, Suggestion, SuggestionStatus, TrainedFrom

from .synthetic import catalogue, dataset, message

pytestmark = pytest.mark.django_db


def train_small(**kwargs) -> ModelVersion:
    texts, labels = dataset(per_class=kwargs.pop("per_class", 10), seed=kwargs.pop("seed", 7))
    kwargs.setdefault("evaluate", False)
    return services.train(texts=texts, labels=labels, trained_from=TrainedFrom.CSV, **kwargs)


# --- fallback when there is no model -------------------------------------------------------------


def test_suggest_without_a_model_says_so_and_does_not_raise():
    result = services.suggest(text="小区垃圾没人清运")
    assert list(result) == []
    assert result.status == SuggestionStatus.NO_MODEL
    assert result.message
    assert services.suggest(text="，。！").status == SuggestionStatus.EMPTY_TEXT


def test_broken_artefact_gives_model_error_and_intake_still_records(django_capture_on_commit_callbacks):
    version = train_small()
    ModelVersion.objects.filter(pk=version.pk).update(artefact=b"not a model", artefact_sha256="0" * 64)
    runtime.clear_cache()
    assert services.suggest(text="小区垃圾没人清运").status == SuggestionStatus.MODEL_ERROR
    with django_capture_on_commit_callbacks(execute=True):
        services.request_suggestion(case_type="cases.case", case_id="17", text="小区垃圾没人清运")
    row = Suggestion.objects.get(case_type="cases.case", case_id="17")
    assert row.status == SuggestionStatus.MODEL_ERROR
    assert row.candidates == []


def test_intake_without_model_records_no_model(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_suggestion(case_type="cases.case", case_id="1", text="水管漏水")
    row = selectors.suggestion_for(case_type="cases.case", case_id=1)
    assert row.status == SuggestionStatus.NO_MODEL and row.outcome == Outcome.PENDING


# --- training and persistence ----------------------------------------------------------------------


def test_train_stores_an_evaluated_active_version():
    version = train_small(evaluate=True, per_class=12)
    version.refresh_from_db()
    assert version.active and version.activated_at is not None
    assert version.labels == ["GS04", "JT02", "SR01", "ZS03"]
    assert version.n_examples == 48
    assert version.evaluation["method"] == "kfold" and version.evaluation["folds"] == 5
    for key in ("accuracy", "macro_f1", "median_ms", "per_class"):
        assert key in version.evaluation
    assert version.evaluation["macro_f1"] > 0.8
    assert version.params["calibrated"] is True
    assert version.artefact_size == len(bytes(version.artefact)) > 0
    assert "scikit-learn" in version.library_versions
    assert AuditEvent.objects.filter(verb="dispatch_ai.train", target_id=str(version.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="dispatch_ai.activate", target_id=str(version.pk)).count() == 1


def test_suggest_uses_the_stored_model_after_a_restart():
    train_small()
    runtime.clear_cache()  # a fresh process: the model comes back from the database
    result = services.suggest(text="您好，幸福小区的红绿灯坏了，停车也很乱！")
    assert result.ok and len(result) == 3
    assert result[0].label == "JT02"
    assert [c.confidence for c in result] == sorted((c.confidence for c in result), reverse=True)
    assert result.version_id == ModelVersion.objects.get(active=True).pk


def test_train_refuses_one_label_and_non_administrators(users):
    with pytest.raises(DomainError) as err:
        services.train(texts=["垃圾", "清运"], labels=["A", "A"], trained_from=TrainedFrom.CSV)
    assert err.value.field == "labels"
    with pytest.raises(Forbidden):
        train_small(actor=users["dispatcher_a"])
    assert not ModelVersion.objects.exists()
    version = train_small(actor=users["admin"])
    assert version.created_by == users["admin"]


def test_evaluation_with_few_examples_reduces_folds_or_skips():
    texts, labels = dataset(per_class=3)
    version = services.train(texts=texts, labels=labels, trained_from=TrainedFrom.CSV)
    assert version.evaluation["folds"] == 3
    texts, labels = ["垃圾没人清运", "水管漏水"], ["SR01", "GS04"]
    version = services.train(texts=texts, labels=labels, trained_from=TrainedFrom.CSV)
    assert version.evaluation["method"] == "none"


# --- versions: one active, activation, rollback --------------------------------------------------------


def test_database_refuses_two_active_versions():
    first = train_small()
    second = train_small(activate=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(active=True)
    assert list(ModelVersion.objects.filter(active=True)) == [first]


def test_activate_and_rollback_walk_back_through_the_history():
    v1 = train_small(seed=1)
    v2 = train_small(seed=2)
    v3 = train_small(seed=3)
    assert ModelVersion.objects.get(active=True) == v3
    assert services.suggest(text="停水").version_id == v3.pk
    assert services.rollback() == v2
    assert services.suggest(text="停水").version_id == v2.pk  # the cache follows the database
    assert services.rollback() == v1
    with pytest.raises(DomainError) as err:
        services.rollback()
    assert err.value.code == "no_previous"
    services.activate(v3)
    assert ModelVersion.objects.get(active=True) == v3
    assert services.rollback() == v1  # v3 was activated over v1 this time
    assert AuditEvent.objects.filter(verb="dispatch_ai.rollback").count() == 3


def test_rollback_and_activate_refusals(users):
    with pytest.raises(DomainError) as err:
        services.rollback()
    assert err.value.code == "no_active_model"
    with pytest.raises(DomainError) as err:
        services.activate(999)
    assert err.value.status == 404
    version = train_small(activate=False)
    with pytest.raises(Forbidden):
        services.activate(version, actor=users["dispatcher_a"])
    services.activate(version, actor=users["admin"])
    assert selectors.active_version() == version


def test_new_version_stored_without_activation_leaves_the_active_one():
    v1 = train_small()
    v2 = train_small(activate=False)
    assert selectors.active_version() == v1
    assert not v2.active
    assert [v.pk for v in selectors.version_list()] == [v2.pk, v1.pk]


# --- cold start from the catalogue ---------------------------------------------------------------------


def test_cold_start_from_catalogue_names_and_keywords():
    version = services.train_from_catalogue(catalogue())
    assert version.active and version.trained_from == TrainedFrom.CATALOGUE
    assert sorted(version.labels) == ["GS04", "JT02", "SR01", "ZS03"]
    rng = random.Random(11)
    hits = 0
    for code in version.labels:
        for _ in range(5):
            hits += services.suggest(text=message(code, rng))[0].label == code
    assert hits >= 18  # of 20: day one is already useful
    assert services.suggest(text="晚上广场舞的音响声音太大")[0].label == "ZS03"


def test_cold_start_does_not_replace_a_trained_model_unless_asked():
    trained = train_small()
    cold = services.train_from_catalogue(catalogue())
    assert not cold.active and selectors.active_version() == trained
    assert services.train_from_catalogue(catalogue(), activate=True).active


def test_cold_start_refusals():
    with pytest.raises(DomainError):
        services.train_from_catalogue([("A", "垃圾", [])])
    with pytest.raises(DomainError) as err:
        services.train_from_catalogue([("A", "垃圾", []), ("A", "停水", [])])
    assert err.value.code == "duplicate_code"
    with pytest.raises(DomainError):
        services.train_from_catalogue([("A", "垃圾", []), ("B", "", [" "])])


def test_retrain_from_history_hook_adds_catalogue_for_categories_without_history():
    texts, labels = dataset(per_class=8, codes=["SR01", "JT02", "ZS03"])
    hooks.set_history_source(lambda: zip(texts, labels))
    hooks.set_catalogue_source(catalogue)
    version = services.train_from_history(evaluate=True)
    assert version.trained_from == TrainedFrom.HISTORY
    assert "GS04" in version.labels  # only in the catalogue so far
    assert version.evaluation["n_test"] == 24  # only real history is scored
    assert services.suggest(text="家里停水了，自来水水压很低")[0].label == "GS04"


def test_retrain_with_nothing_to_learn_from_is_refused():
    with pytest.raises(DomainError) as err:
        services.train_from_history()
    assert err.value.code == "no_training_data"


# --- suggestions for cases and the dispatcher's choice ------------------------------------------------------


def test_suggestion_for_a_case_then_accepted_with_its_rank(users):
    train_small()
    row = services.suggest_for_case(case_type="cases.case", case_id=5, text="学府路公交车站附近拥堵", scope_key="5105")
    assert row.status == SuggestionStatus.OK and len(row.candidates) == 3
    assert row.top_label == "JT02"
    second = row.candidates[1]["label"]
    row = services.record_choice(case_type="cases.case", case_id=5, label=second, actor=users["dispatcher_a"])
    assert (row.outcome, row.chosen_rank, row.final_label) == (Outcome.ACCEPTED, 2, second)
    assert row.decided_by == users["dispatcher_a"] and row.decided_at is not None
    event = AuditEvent.objects.get(verb="dispatch_ai.choice")
    assert event.after["outcome"] == "accepted" and event.actor == users["dispatcher_a"]


def test_choice_outside_the_suggestions_is_an_override(users):
    train_small()
    services.suggest_for_case(case_type="cases.case", case_id=6, text="幸福小区垃圾桶满了")
    row = services.record_choice(case_type="cases.case", case_id=6, label="QT99", actor=users["dispatcher_a"])
    assert (row.outcome, row.chosen_rank) == (Outcome.OVERRIDDEN, None)
    summary = selectors.acceptance_summary()
    assert summary["overridden"] == 1 and summary["top3_rate"] == 0.0


def test_choice_without_any_suggestion_is_recorded_as_unassisted(users):
    row = services.record_choice(case_type="cases.case", case_id=7, label="SR01", actor=users["dispatcher_a"])
    assert row.outcome == Outcome.UNASSISTED and row.status == SuggestionStatus.NO_MODEL
    with pytest.raises(DomainError) as err:
        services.record_choice(case_type="cases.case", case_id=7, label=" ", actor=users["dispatcher_a"])
    assert err.value.field == "label"


def test_a_decided_case_keeps_its_suggestion():
    train_small()
    services.suggest_for_case(case_type="cases.case", case_id=8, text="停水三天了")
    services.record_choice(case_type="cases.case", case_id=8, label="GS04")
    again = services.suggest_for_case(case_type="cases.case", case_id=8, text="红绿灯坏了")
    assert again.top_label == "GS04" and again.outcome == Outcome.ACCEPTED


def test_only_the_top_suggestion_is_recorded_as_auto_applied_and_a_person_keeping_it_leaves_it_so(users):
    train_small(per_class=15)
    row = services.suggest_for_case(case_type="cases.case", case_id=9, text="您好，滨江花园停水了，水压很低！")
    second = row.candidates[1]["label"]
    with pytest.raises(DomainError) as err:
        services.record_choice(case_type="cases.case", case_id=9, label=second, auto=True)
    assert err.value.code == "auto_not_allowed"
    row = services.record_choice(case_type="cases.case", case_id=9, label=row.top_label, auto=True)
    assert row.auto_applied and row.outcome == Outcome.ACCEPTED and row.chosen_rank == 1 and row.decided_by is None
    # A dispatcher re-dispatching under the same category (after a return) confirms the system's choice.
    row = services.record_choice(case_type="cases.case", case_id=9, label=row.top_label, actor=users["dispatcher_a"])
    assert row.auto_applied and row.decided_by is None
    row = services.record_choice(case_type="cases.case", case_id=9, label=second, actor=users["dispatcher_a"])
    assert not row.auto_applied and row.chosen_rank == 2 and row.decided_by == users["dispatcher_a"]


def test_acceptance_summary_by_scope(users):
    train_small()
    for n, (scope, pick) in enumerate([("510502001", 0), ("510502001", 1), ("510502002", None)]):
        row = services.suggest_for_case(case_type="cases.case", case_id=n, text="停车难，红绿灯坏了", scope_key=scope)
        label = row.candidates[pick]["label"] if pick is not None else "QT99"
        services.record_choice(case_type="cases.case", case_id=n, label=label)
    street_a = selectors.acceptance_summary(scope_key="510502001")
    assert street_a["accepted"] == 2 and street_a["accepted_top1"] == 1 and street_a["top1_rate"] == 0.5
    assert selectors.acceptance_summary()["overridden"] == 1


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active():
    import threading

    from django.db import connection

    from wangge.core.errors import Conflict

    versions = [train_small(activate=False, seed=n) for n in (1, 2, 3)]
    barrier = threading.Barrier(len(versions))
    results = []

    def work(version):
        try:
            barrier.wait()
            services.activate(version)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(results)) <= ["conflict", "ok"] and "ok" in results
    assert ModelVersion.objects.filter(active=True).count() == 1


def test_suggestions_partial_renders_top_three_and_the_no_model_reason(rf):
    from django.template.loader import render_to_string

    request = rf.get("/")
    html = render_to_string(
        "dispatch_ai/_suggestions.html", {"view": selectors.suggestion_view(None), "accept_url": "/x"}, request
    )
    assert "建议尚未生成" in html and "暂无可用的分类模型" not in html and "<form" not in html
    train_small()
    row = services.suggest_for_case(case_type="cases.case", case_id=1, text="停水了，水压很低")
    names = {c["label"]: c["label"] for c in row.candidates} | {"GS04": "供水保障"}
    view = selectors.suggestion_view(row, names=names)
    html = render_to_string("dispatch_ai/_suggestions.html", {"view": view, "accept_url": "/cases/1/dispatch"}, request)
    assert html.count("<form") == 3 and "供水保障" in html and 'value="GS04"' in html
    assert html.index("GS04") < html.index(row.candidates[1]["label"])
    # A suggested label that is not a category at the case's place cannot be taken with a click.
    view = selectors.suggestion_view(row, names={"GS04": "供水保障"})
    html = render_to_string("dispatch_ai/_suggestions.html", {"view": view, "accept_url": "/cases/1/dispatch"}, request)
    assert html.count("<form") == 1
    services.record_choice(case_type="cases.case", case_id=1, label="GS04")
    row.refresh_from_db()
    html = render_to_string("dispatch_ai/_suggestions.html", {"view": selectors.suggestion_view(row)}, request)
    assert "<form" not in html and "已采纳" in html
