"""Writes of the dispatch classifier: training and versions, suggestions for cases, the
dispatcher's final choice. Each write is atomic and leaves one audit record. (Which categories may
be applied without a dispatcher is part of the case catalogue: `cases.Category.auto_apply`.)"""

import hashlib
import logging
from collections import Counter

import joblib
import numpy as np
import scipy
import sklearn
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import MANAGE_DISPATCH_AI, require
from wangge.core import audit
from wangge.core.errors import Conflict, DomainError, NotFound, validation_error_to_domain

from . import hooks
from .classifier import Candidate, MessageClassifier, dumps
from .evaluation import cross_validate
from .models import ModelVersion, Outcome, Suggestion, SuggestionStatus, TrainedFrom
from .runtime import Suggestions, suggest
from .text import as_prepared, similar

logger = logging.getLogger(__name__)

MAX_LABEL_LENGTH = 64
VERSION_AUDIT_FIELDS = ["trained_from", "labels", "n_examples", "active", "previous", "artefact_sha256"]

__all__ = [
    "Candidate",
    "Suggestions",
    "activate",
    "record_choice",
    "request_suggestion",
    "rollback",
    "similar",
    "suggest",
    "suggest_for_case",
    "train",
    "train_from_catalogue",
    "train_from_history",
]


def _version_snapshot(version: ModelVersion) -> dict:
    data = audit.snapshot(version, VERSION_AUDIT_FIELDS)
    data["macro_f1"] = version.macro_f1
    return data


def _save(instance):
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise validation_error_to_domain(exc)
    instance.save()


def catalogue_examples(entries) -> tuple[list[str], list[str]]:
    """Training pairs from catalogue entries (code, name, keywords): the name, each keyword, and
    the name with all keywords, each labelled with the code."""
    texts, labels = [], []
    for code, name, keywords in entries:
        keywords = [k.strip() for k in keywords or [] if k and k.strip()]
        seen = set()
        for text in [name, *keywords, " ".join([name, *keywords])]:
            text = (text or "").strip()
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
                labels.append(code)
    return texts, labels


def _check_examples(texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    if len(texts) != len(labels):
        raise DomainError(_("文本与类别的数量不一致"), code="length_mismatch", field="labels")
    docs = as_prepared(texts)
    kept_texts, kept_labels = [], []
    for doc, text, label in zip(docs, texts, labels):
        label = (label or "").strip()
        if len(label) > MAX_LABEL_LENGTH:
            raise DomainError(
                _("类别编码过长（最多 %(n)d 个字符）：%(label)s") % {"n": MAX_LABEL_LENGTH, "label": label[:80]},
                field="labels",
            )
        if doc.clean and label:
            kept_texts.append(text)
            kept_labels.append(label)
    if len(set(kept_labels)) < 2:
        raise DomainError(_("训练至少需要两个类别、且每条样本有内容"), code="too_few_labels", field="labels")
    return kept_texts, kept_labels


def _evaluate(texts, labels, *, folds: int, extra=None) -> dict:
    smallest = min(Counter(labels).values())
    folds = min(folds, smallest)
    if folds < 2:
        return {"method": "none", "reason": "每个类别至少需要 2 条样本才能交叉验证"}
    result = cross_validate(texts, labels, folds=folds, extra_train=extra).as_dict()
    if folds < 5:
        result["note"] = f"样本少，只做了 {folds} 折"
    return result


@transaction.atomic
def _store_version(*, model, actor, trained_from, source_note, evaluation, n_examples, activate_now):
    data = dumps(model)
    version = ModelVersion(
        created_by=actor if getattr(actor, "pk", None) else None,
        trained_from=trained_from,
        source_note=source_note[:255],
        labels=list(model.labels_),
        n_examples=n_examples,
        params=model.params() | {"temperature": round(model.temperature_, 4), "calibrated": model.calibrated_},
        evaluation=evaluation,
        library_versions={
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "joblib": joblib.__version__,
        },
        artefact=data,
        artefact_sha256=hashlib.sha256(data).hexdigest(),
        artefact_size=len(data),
    )
    _save(version)
    audit.record(actor=actor, verb="dispatch_ai.train", target=version, after=_version_snapshot(version))
    if activate_now:
        version = _activate(version, actor=actor, note="训练后启用")
    return version


def train(
    *,
    texts: list[str],
    labels: list[str],
    trained_from: str,
    actor=None,
    source_note: str = "",
    evaluate: bool = True,
    folds: int = 5,
    activate: bool | None = True,
    extra_texts: list[str] | None = None,
    extra_labels: list[str] | None = None,
    model_params: dict | None = None,
) -> ModelVersion:
    """Fit, evaluate (stratified k-fold on `texts`) and store a new version. Administrators only
    (`actor=None` is the system: commands). `activate=None` activates only if none is active.
    `extra_*` examples (e.g. catalogue names) join every training set but are never scored."""
    require(actor, MANAGE_DISPATCH_AI)
    if trained_from not in TrainedFrom.values:
        raise DomainError(_("未知的训练数据来源：%(source)s") % {"source": trained_from}, field="trained_from")
    texts, labels = list(texts), list(labels)
    extra_texts, extra_labels = list(extra_texts or []), list(extra_labels or [])
    all_texts, all_labels = _check_examples(texts + extra_texts, labels + extra_labels)
    evaluation = {}
    if evaluate and texts:
        scored_texts, scored_labels = _check_examples(texts, labels) if len(set(labels)) >= 2 else ([], [])
        if scored_texts:
            extra = (extra_texts, extra_labels) if extra_texts else None
            evaluation = _evaluate(scored_texts, scored_labels, folds=folds, extra=extra)
    if not evaluation:
        evaluation = {"method": "none", "reason": "未评估"}
    model = MessageClassifier(**(model_params or {})).fit(all_texts, all_labels)
    if activate is None:
        activate = not ModelVersion.objects.filter(active=True).exists()
    return _store_version(
        model=model,
        actor=actor,
        trained_from=trained_from,
        source_note=source_note,
        evaluation=evaluation,
        n_examples=len(all_texts),
        activate_now=activate,
    )


def train_from_catalogue(
    entries: list[tuple[str, str, list[str]]], *, actor=None, activate: bool | None = None
) -> ModelVersion:
    """The day-one model: each catalogue category's name and keywords are its only examples.
    Activated when no model is active yet (or as `activate` says). Administrators only."""
    entries = list(entries)
    if len(entries) < 2:
        raise DomainError(_("事项清单至少需要两个类别"), code="too_few_labels", field="entries")
    codes = [entry[0] for entry in entries]
    duplicated = sorted(code for code, n in Counter(codes).items() if n > 1)
    if duplicated:
        raise DomainError(
            _("类别编码重复：%(codes)s") % {"codes": "、".join(duplicated[:10])}, code="duplicate_code", field="entries"
        )
    texts, labels = catalogue_examples(entries)
    missing = sorted(set(codes) - set(labels))
    if missing:
        raise DomainError(
            _("以下类别没有名称或关键词：%(codes)s") % {"codes": "、".join(missing[:10])}, field="entries"
        )
    version = train(
        texts=[],
        labels=[],
        extra_texts=texts,
        extra_labels=labels,
        trained_from=TrainedFrom.CATALOGUE,
        actor=actor,
        source_note=f"事项清单 {len(entries)} 类",
        evaluate=False,
        activate=activate,
    )
    return version


def train_from_history(
    *,
    actor=None,
    csv_texts: list[str] | None = None,
    csv_labels: list[str] | None = None,
    use_history: bool = True,
    use_catalogue: bool = True,
    evaluate: bool = True,
    folds: int = 5,
    activate: bool | None = True,
    source_note: str = "",
) -> ModelVersion:
    """Retrain from the confirmed dispatches the case app provides (hooks.set_history_source),
    optionally plus a labelled CSV; catalogue names and keywords are added so that categories with
    no history yet can still be suggested. Administrators only."""
    texts, labels = [], []
    if use_history:
        for text, label in hooks.history_examples():
            texts.append(text)
            labels.append(label)
    n_history = len(texts)
    texts += list(csv_texts or [])
    labels += list(csv_labels or [])
    n_csv = len(texts) - n_history
    extra_texts, extra_labels = catalogue_examples(hooks.catalogue_entries()) if use_catalogue else ([], [])
    if not texts and not extra_texts:
        raise DomainError(
            _("没有可用的训练数据：派单历史为空，也没有提供标注文件或事项清单"),
            code="no_training_data",
            field="history",
        )
    if n_history and n_csv:
        trained_from = TrainedFrom.HISTORY_CSV
    elif n_csv:
        trained_from = TrainedFrom.CSV
    elif n_history:
        trained_from = TrainedFrom.HISTORY
    else:
        trained_from = TrainedFrom.CATALOGUE
    note = source_note or f"派单历史 {n_history} 条，标注文件 {n_csv} 条，清单样本 {len(extra_texts)} 条"
    return train(
        texts=texts,
        labels=labels,
        extra_texts=extra_texts,
        extra_labels=extra_labels,
        trained_from=trained_from,
        actor=actor,
        source_note=note,
        evaluate=evaluate,
        folds=folds,
        activate=activate,
    )


def _activate(version: ModelVersion, *, actor, note: str, rolling_back: bool = False) -> ModelVersion:
    locked = list(ModelVersion.objects.select_for_update().defer("artefact").filter(active=True).exclude(pk=version.pk))
    version = ModelVersion.objects.select_for_update().defer("artefact").get(pk=version.pk)
    if version.active:
        return version
    current = locked[0] if locked else None
    before = {"active": current.pk if current else None}
    if current is not None:
        current.active = False
        current.save(update_fields=["active"])
    version.active = True
    version.activated_at = timezone.now()
    fields = ["active", "activated_at"]
    if not rolling_back:
        version.previous = current
        fields.append("previous")
    try:
        with transaction.atomic():
            version.save(update_fields=fields)
    except IntegrityError:
        raise Conflict(_("另一个模型版本正在被启用，请稍后重试"), code="concurrent_activation", field="version")
    audit.record(
        actor=actor,
        verb="dispatch_ai.rollback" if rolling_back else "dispatch_ai.activate",
        target=version,
        before=before,
        after={"active": version.pk},
        note=note,
    )
    return version


@transaction.atomic
def activate(version: ModelVersion | int, *, actor=None, note: str = "") -> ModelVersion:
    """Make this version the one that suggests; the one it replaces becomes its rollback target.
    Administrators only."""
    require(actor, MANAGE_DISPATCH_AI)
    pk = version.pk if isinstance(version, ModelVersion) else version
    target = ModelVersion.objects.filter(pk=pk).first()
    if target is None:
        raise NotFound(_("模型版本不存在：%(id)s") % {"id": pk}, field="version")
    return _activate(target, actor=actor, note=note)


@transaction.atomic
def rollback(*, actor=None, note: str = "") -> ModelVersion:
    """Return to the version that was active before the current one. Administrators only."""
    require(actor, MANAGE_DISPATCH_AI)
    current = ModelVersion.objects.select_for_update().filter(active=True).first()
    if current is None:
        raise DomainError(_("当前没有启用的模型，无法回退"), code="no_active_model", field="version")
    if current.previous_id is None:
        raise DomainError(
            _("v%(id)s 之前没有启用过其他版本，无法回退") % {"id": current.pk}, code="no_previous", field="version"
        )
    return _activate(current.previous, actor=actor, note=note or f"从 v{current.pk} 回退", rolling_back=True)


@transaction.atomic
def suggest_for_case(*, case_type: str, case_id: str, text: str, scope_key: str = "") -> Suggestion:
    """Ask the model about one case and keep its top 3 (or why there are none). Never fails because
    of the model. A case decided with suggestions keeps its record; one filed before the model
    answered gets them (its outcome stays until the next choice, which is made with them in view).
    Called by the system at intake."""
    case_id = str(case_id)
    existing = Suggestion.objects.select_for_update().filter(case_type=case_type, case_id=case_id).first()
    if existing is not None and existing.outcome != Outcome.PENDING and existing.candidates:
        return existing
    result = suggest(text=text, top=3)
    row = existing or Suggestion(case_type=case_type, case_id=case_id)
    before = audit.snapshot(existing, ["status", "candidates", "model_version"]) if existing else None
    row.scope_key = scope_key
    row.status = result.status
    row.model_version_id = result.version_id
    row.candidates = [c.as_dict() for c in result]
    _save(row)
    audit.record(
        actor=None,
        verb="dispatch_ai.suggest",
        target=row,
        scope_key=scope_key,
        before=before,
        after=audit.snapshot(row, ["status", "candidates", "model_version"]),
        target_label=f"{case_type}:{case_id}",
    )
    return row


def request_suggestion(*, case_type: str, case_id: str, text: str, scope_key: str = "") -> None:
    """Queue `suggest_for_case` after the caller's transaction commits, so intake never waits on
    (or fails because of) the model. Call it from the case intake service."""
    from .tasks import suggest_case

    def enqueue():
        try:
            suggest_case.enqueue(case_type=case_type, case_id=str(case_id), text=text, scope_key=scope_key)
        except Exception:  # a queue that is down must not break intake; the page says "no suggestion"
            logger.exception("dispatch suggestion could not be queued for %s:%s", case_type, case_id)

    if _queue_in_database(suggest_case) and transaction.get_connection().in_atomic_block:
        # The queue is a table of this database: the task row commits with the case (a worker cannot
        # see it sooner) instead of costing a second commit after it. A savepoint keeps a failed
        # INSERT from spoiling the intake's transaction.
        try:
            with transaction.atomic():
                suggest_case.enqueue(case_type=case_type, case_id=str(case_id), text=text, scope_key=scope_key)
        except Exception:
            logger.exception("dispatch suggestion could not be queued for %s:%s", case_type, case_id)
        return
    transaction.on_commit(enqueue)


def _queue_in_database(task) -> bool:
    try:
        from django_tasks_db.backend import DatabaseBackend
    except ImportError:
        return False
    return isinstance(task.get_backend(), DatabaseBackend)


@transaction.atomic
def record_choice(
    *, case_type: str, case_id: str, label: str, actor=None, auto: bool = False, scope_key: str = ""
) -> Suggestion:
    """Record the category a case was finally dispatched under: accepted (one of the suggestions,
    with its rank), overridden, or chosen with no suggestion. Called by the case services that set
    the category, which have already checked that `actor` may; `auto=True` when the system applied
    the suggestion under the category's auto-apply rule (the case app checks the rule). A person
    later keeping the category the system chose leaves the record as the system's."""
    label = (label or "").strip()
    if not label:
        raise DomainError(_("请选择类别"), code="required", field="label")
    if len(label) > MAX_LABEL_LENGTH:
        raise DomainError(_("类别编码过长（最多 %(n)d 个字符）") % {"n": MAX_LABEL_LENGTH}, field="label")
    case_id = str(case_id)
    row = Suggestion.objects.select_for_update().filter(case_type=case_type, case_id=case_id).first()
    before = None
    if row is None:
        row = Suggestion(case_type=case_type, case_id=case_id, scope_key=scope_key, status=SuggestionStatus.NO_MODEL)
    else:
        before = audit.snapshot(row, ["final_label", "outcome", "chosen_rank", "auto_applied"])
    if not auto and row.auto_applied and row.final_label == label:
        return row
    if auto and (not row.candidates or row.candidates[0]["label"] != label):
        raise DomainError(_("只有排名第一的建议可以自动采用"), code="auto_not_allowed", field="label")
    ranks = {c["label"]: n for n, c in enumerate(row.candidates or [], start=1)}
    if not row.candidates:
        row.outcome, row.chosen_rank = Outcome.UNASSISTED, None
    elif label in ranks:
        row.outcome, row.chosen_rank = Outcome.ACCEPTED, ranks[label]
    else:
        row.outcome, row.chosen_rank = Outcome.OVERRIDDEN, None
    row.final_label = label
    row.auto_applied = auto
    row.decided_by = actor if getattr(actor, "pk", None) else None
    row.decided_at = timezone.now()
    _save(row)
    audit.record(
        actor=actor,
        verb="dispatch_ai.choice",
        target=row,
        scope_key=row.scope_key,
        before=before,
        after=audit.snapshot(row, ["final_label", "outcome", "chosen_rank", "auto_applied"]),
        target_label=f"{case_type}:{case_id}",
    )
    return row
