"""Measuring a classifier honestly: stratified k-fold or train/test, accuracy, macro-F1, a
per-class table and the time to suggest for one message. Used by `dispatch_eval`, by training
(each model version stores its evaluation) and by bench/dispatch.py."""

import csv
import io
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from wangge.core.errors import DomainError

from .classifier import MessageClassifier
from .text import as_prepared

REQUIRED_COLUMNS = ("id", "text", "label")
MAX_REPORTED_ROWS = 20


@dataclass
class LabelledSet:
    ids: list[str]
    texts: list[str]
    labels: list[str]

    def __len__(self):
        return len(self.texts)


@dataclass
class Evaluation:
    method: str  # "kfold" or "holdout"
    n_train: int
    n_test: int
    folds: int
    seed: int
    accuracy: float
    macro_f1: float
    per_class: list[dict]
    median_ms: float
    p95_ms: float
    fold_macro_f1: list[float] = field(default_factory=list)
    fold_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("文件编码无法识别，请保存为 UTF-8 编码的 CSV"), code="bad_encoding", field="file")


def read_labelled_csv(source: str | Path | bytes, *, name: str = "") -> LabelledSet:
    """A CSV with columns id, text, label (others ignored). Any bad row refuses the whole file,
    naming the line and the reason."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DomainError(_("文件不存在：%(path)s") % {"path": path}, code="missing_file", field="file")
        name = name or path.name
        source = path.read_bytes()
    reader = csv.DictReader(io.StringIO(decode_csv(source), newline=""))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise DomainError(
            _("%(name)s 缺少列：%(columns)s（需要 id、text、label 三列）")
            % {"name": name or _("文件"), "columns": "、".join(missing)},
            code="missing_column",
            field=missing[0],
        )
    reader.fieldnames = columns
    ids, texts, labels, problems = [], [], [], []
    try:
        for number, row in enumerate(reader, start=2):
            reasons = []
            text = (row.get("text") or "").strip()
            label = (row.get("label") or "").strip()
            if not text:
                reasons.append(_("text 为空"))
            if not label:
                reasons.append(_("label 为空"))
            if reasons:
                problems.append({"line": number, "code": (row.get("id") or "").strip(), "reasons": reasons})
                continue
            ids.append((row.get("id") or "").strip() or str(number))
            texts.append(text)
            labels.append(label)
    except csv.Error as exc:
        raise DomainError(
            _("%(name)s 第%(line)d行无法读取：%(error)s")
            % {"name": name or _("文件"), "line": reader.line_num, "error": exc},
            code="bad_csv",
            field="file",
        ) from None
    if problems:
        raise DomainError(
            _("%(name)s 有 %(n)d 行无效，未做任何处理") % {"name": name or _("文件"), "n": len(problems)},
            code="invalid_rows",
            field="file",
            details=problems[:MAX_REPORTED_ROWS],
        )
    if not texts:
        raise DomainError(_("%(name)s 没有数据行") % {"name": name or _("文件")}, code="empty_file", field="file")
    return LabelledSet(ids=ids, texts=texts, labels=labels)


def check_stratifiable(labels: list[str], folds: int) -> None:
    if folds < 2:
        raise DomainError(_("折数至少为 2"), code="bad_folds", field="folds")
    counts = Counter(labels)
    if len(counts) < 2:
        raise DomainError(_("至少需要两个类别才能评估"), code="one_label", field="label")
    rare = sorted((n, label) for label, n in counts.items() if n < folds)
    if rare:
        listing = "、".join(_("%(label)s（%(n)d 条）") % {"label": label, "n": n} for n, label in rare[:10])
        raise DomainError(
            _("分层 %(folds)d 折交叉验证要求每个类别至少 %(folds)d 条，以下类别不足：%(listing)s")
            % {"folds": folds, "listing": listing},
            code="too_few_examples",
            field="folds",
        )


def _per_class(y_true: list[str], y_pred: list[str], labels: list[str]) -> list[dict]:
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return [
        {"label": label, "precision": round(float(pi), 4), "recall": round(float(ri), 4), "f1": round(float(fi), 4),
         "support": int(si)}
        for label, pi, ri, fi, si in zip(labels, p, r, f, s)
    ]  # fmt: skip


def time_suggestions(model: MessageClassifier, texts: list[str], top: int = 3) -> list[float]:
    """Milliseconds for `model.top(text)` on each raw message, one at a time, segmentation included."""
    if texts:
        model.top(texts[0], top)  # first call pays for lazy imports and caches
    times = []
    for text in texts:
        start = time.perf_counter_ns()
        model.top(text, top)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def _quantile(values: list[float], q: float) -> float:
    return float(np.quantile(values, q)) if values else 0.0


def cross_validate(
    texts: list[str],
    labels: list[str],
    *,
    folds: int = 5,
    seed: int = 20260601,
    make_model: Callable[[], MessageClassifier] | None = None,
    progress: Callable[[str], None] | None = None,
    extra_train: tuple[list[str], list[str]] | None = None,
    groups: list | None = None,
) -> Evaluation:
    """Stratified k-fold: each fold's model is fitted (calibration included) on the other folds only.
    `extra_train` (texts, labels) joins every fold's training set and is never scored. With `groups`
    (e.g. clusters of near-duplicate messages) no group is split across folds."""
    check_stratifiable(labels, folds)
    make_model = make_model or (lambda: MessageClassifier(seed=seed))
    started = time.perf_counter()
    docs = as_prepared(texts)
    extra_docs = as_prepared(extra_train[0]) if extra_train else []
    extra_labels = list(extra_train[1]) if extra_train else []
    y = np.array(labels, dtype=object)
    predictions = np.empty(len(y), dtype=object)
    fold_f1, fold_acc, times = [], [], []
    if groups is None:
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    else:
        splits = StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, groups)
    for number, (train_idx, test_idx) in enumerate(splits, start=1):
        model = make_model().fit([docs[i] for i in train_idx] + extra_docs, y[train_idx].tolist() + extra_labels)
        fold_pred = model.predict([docs[i] for i in test_idx])
        predictions[test_idx] = fold_pred
        fold_f1.append(round(float(f1_score(y[test_idx], fold_pred, average="macro")), 4))
        fold_acc.append(round(float(accuracy_score(y[test_idx], fold_pred)), 4))
        times.extend(time_suggestions(model, [texts[i] for i in test_idx]))
        if progress:
            progress(f"fold {number}/{folds}: macro-F1 {fold_f1[-1]:.4f}, accuracy {fold_acc[-1]:.4f}")
    label_set = sorted(set(labels))
    return Evaluation(
        method="kfold" if groups is None else "group-kfold",
        n_train=len(y) - len(y) // folds,
        n_test=len(y),
        folds=folds,
        seed=seed,
        accuracy=round(float(statistics.fmean(fold_acc)), 4),
        macro_f1=round(float(statistics.fmean(fold_f1)), 4),
        per_class=_per_class(y.tolist(), predictions.tolist(), label_set),
        median_ms=round(_quantile(times, 0.5), 4),
        p95_ms=round(_quantile(times, 0.95), 4),
        fold_macro_f1=fold_f1,
        fold_accuracy=fold_acc,
        seconds=round(time.perf_counter() - started, 1),
    )


def holdout(
    train: LabelledSet,
    test: LabelledSet,
    *,
    seed: int = 20260601,
    make_model: Callable[[], MessageClassifier] | None = None,
) -> Evaluation:
    """Fit a fresh model on `train`, score it on `test`. Test labels unseen in training count as errors."""
    if len(set(train.labels)) < 2:
        raise DomainError(_("训练集至少需要两个类别"), code="one_label", field="train")
    make_model = make_model or (lambda: MessageClassifier(seed=seed))
    started = time.perf_counter()
    model = make_model().fit(train.texts, train.labels)
    predictions = model.predict(test.texts)
    times = time_suggestions(model, test.texts)
    label_set = sorted(set(train.labels) | set(test.labels))
    return Evaluation(
        method="holdout",
        n_train=len(train),
        n_test=len(test),
        folds=0,
        seed=seed,
        accuracy=round(float(accuracy_score(test.labels, predictions)), 4),
        macro_f1=round(float(f1_score(test.labels, predictions, labels=sorted(set(test.labels)), average="macro")), 4),
        per_class=_per_class(test.labels, predictions, label_set),
        median_ms=round(_quantile(times, 0.5), 4),
        p95_ms=round(_quantile(times, 0.95), 4),
        seconds=round(time.perf_counter() - started, 1),
    )


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_report(evaluation: Evaluation) -> str:
    """The per-class table and the headline figures, as plain text for a terminal."""
    width = max([_display_width(row["label"]) for row in evaluation.per_class] + [6])
    lines = []
    if evaluation.method in ("kfold", "group-kfold"):
        grouped = "grouped " if evaluation.method == "group-kfold" else ""
        lines.append(
            f"stratified {evaluation.folds}-fold {grouped}cross-validation on {evaluation.n_test} messages "
            f"(seed {evaluation.seed})"
        )
    else:
        lines.append(f"trained on {evaluation.n_train} messages, tested on {evaluation.n_test}")
    lines.append(f"{'class':<{width}}  precision  recall     f1  support")
    for row in evaluation.per_class:
        pad = width - _display_width(row["label"])
        lines.append(
            f"{row['label']}{' ' * max(pad, 0)}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:5.4f}"
            f"  {row['support']:7d}"
        )
    lines.append(f"accuracy        {evaluation.accuracy:.4f}")
    lines.append(f"macro-F1        {evaluation.macro_f1:.4f}")
    if evaluation.fold_macro_f1:
        lines.append("macro-F1 by fold " + " ".join(f"{v:.4f}" for v in evaluation.fold_macro_f1))
    lines.append(f"median ms/msg   {evaluation.median_ms:.3f}  (p95 {evaluation.p95_ms:.3f})")
    return "\n".join(lines)
