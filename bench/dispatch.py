"""Benchmark: the dispatch classifier on the public contest file, stratified 5-fold CV.

Reads ../shared/data/tipdm2020/train.csv in place (6,353 labelled citizen messages, 7 classes).
For each fold, the product pipeline (wangge.dispatch_ai.classifier.MessageClassifier: rjieba
words + character n-grams + the opening characters, TF-IDF, LinearSVC, fitted temperature) is
trained on the other four folds, calibration included, and scored on the held-out fold.
Inference time is `model.top(text, 3)` on one message at a time, segmentation included, one
thread. In the same run and on the same folds, the reference: plain TF-IDF (rjieba words,
sklearn defaults) + LinearSVC (defaults).

    .venv/bin/python bench/dispatch.py              # 5-fold CV (a few minutes on 2 cores)
    .venv/bin/python bench/dispatch.py --grouped    # also: near-duplicates kept in one fold
    .venv/bin/python bench/dispatch.py --quick      # 2 folds on 1,500 messages, a smoke run

Prints a table and, as the last line, one JSON object. Nothing asserts on the numbers.
"""

import os

# One core: the figure the issue asks for is per message on one CPU core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import csv
import json
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DATABASE_URL"] = "sqlite:///:memory:"

import django

django.setup()

import numpy as np
import rjieba
import scipy
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from wangge.dispatch_ai.classifier import MessageClassifier, dumps
from wangge.dispatch_ai.evaluation import cross_validate, format_report, time_suggestions
from wangge.dispatch_ai.text import similarity_groups

DATA = REPO_ROOT.parent / "shared" / "data" / "tipdm2020"
SEED = 20260601
TARGET_F1 = 0.95
TARGET_MS = 1.0


def read(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reference(texts, labels, folds, seed):
    """Plain TF-IDF over rjieba words + LinearSVC, library defaults, same folds as the product."""
    y = np.array(labels, dtype=object)
    words = [" ".join(rjieba.cut(t)) for t in texts]
    f1s, accs = [], []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(words, y):
        vec = TfidfVectorizer(token_pattern=r"\S+")
        model = LinearSVC().fit(vec.fit_transform([words[i] for i in train_idx]), y[train_idx])
        pred = model.predict(vec.transform([words[i] for i in test_idx]))
        f1s.append(f1_score(y[test_idx], pred, average="macro"))
        accs.append(accuracy_score(y[test_idx], pred))
    return round(statistics.fmean(accs), 4), round(statistics.fmean(f1s), 4)


def near_duplicate_groups(texts, threshold=0.5):
    """A group id per message: messages linked by similarity ≥ threshold share one."""
    groups = list(range(len(texts)))
    clustered = 0
    for number, members in enumerate(similarity_groups(texts, threshold=threshold)):
        clustered += len(members)
        for index in members:
            groups[index] = len(texts) + number
    return np.array(groups), clustered


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--grouped", action="store_true", help="also run CV with near-duplicates kept together")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not (DATA / "train.csv").is_file():
        sys.exit(f"missing {DATA / 'train.csv'}")

    rows = read("train.csv")
    if args.quick:
        rng = np.random.default_rng(args.seed)
        rows = [rows[i] for i in sorted(rng.choice(len(rows), 1500, replace=False))]
        args.folds = 2
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]

    started = time.perf_counter()
    evaluation = cross_validate(texts, labels, folds=args.folds, seed=args.seed, progress=print)
    cv_seconds = time.perf_counter() - started
    print(format_report(evaluation))

    ref_acc, ref_f1 = reference(texts, labels, args.folds, args.seed)

    grouped = None
    if args.grouped:
        groups, clustered = near_duplicate_groups(texts)
        grouped = cross_validate(texts, labels, folds=args.folds, seed=args.seed, groups=groups.tolist())
        grouped_summary = (grouped.macro_f1, grouped.accuracy, clustered)

    # One model on the whole file: training time, artefact size, speed on raw (unclean) messages.
    started = time.perf_counter()
    full = MessageClassifier(seed=args.seed).fit(texts, labels)
    fit_seconds = time.perf_counter() - started
    size_mb = len(dumps(full)) / 1e6
    raw = [f"{r['subject']}。{r['detail']}" for r in read("hot_issues.csv")[:2000]]
    raw_times = time_suggestions(full, raw)
    raw_ms = statistics.median(raw_times)

    table = [
        ("messages", f"{len(texts):,}", ""),
        ("classes", f"{len(set(labels))}", ""),
        (f"macro-F1, {args.folds}-fold CV (mean of folds)", f"{evaluation.macro_f1:.4f}", f"≥ {TARGET_F1}"),
        ("  by fold", " ".join(f"{v:.4f}" for v in evaluation.fold_macro_f1), ""),
        (f"accuracy, {args.folds}-fold CV", f"{evaluation.accuracy:.4f}", ""),
        ("reference: TF-IDF + LinearSVC macro-F1", f"{ref_f1:.4f}", ""),
        ("reference: TF-IDF + LinearSVC accuracy", f"{ref_acc:.4f}", ""),
        ("median ms per message (CV test folds)", f"{evaluation.median_ms:.3f}", f"≤ {TARGET_MS}"),
        ("p95 ms per message (CV test folds)", f"{evaluation.p95_ms:.3f}", ""),
        ("median ms per raw message (hot_issues)", f"{raw_ms:.3f}", f"≤ {TARGET_MS}"),
        ("train on all messages", f"{fit_seconds:.1f} s", ""),
        ("model artefact (compressed)", f"{size_mb:.1f} MB", ""),
        ("CV wall time", f"{cv_seconds:.0f} s", ""),
    ]
    if grouped:
        table.insert(5, ("macro-F1, near-duplicates kept together", f"{grouped_summary[0]:.4f}", ""))
        table.insert(6, ("  messages in a near-duplicate group (cos ≥ 0.5)", f"{grouped_summary[2]}", ""))
    print()
    print(f"{'metric':<46}  {'value':>36}  target")
    print(f"{'-' * 46}  {'-' * 36}  ------")
    for name, value, target in table:
        print(f"{name:<46}  {value:>36}  {target}")
    print(
        f"python {platform.python_version()}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, {os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f}"
    )
    result = {
        "messages": len(texts),
        "folds": args.folds,
        "seed": args.seed,
        "accuracy": evaluation.accuracy,
        "macro_f1": evaluation.macro_f1,
        "fold_macro_f1": evaluation.fold_macro_f1,
        "median_ms": evaluation.median_ms,
        "p95_ms": evaluation.p95_ms,
        "raw_median_ms": round(raw_ms, 4),
        "reference_macro_f1": ref_f1,
        "reference_accuracy": ref_acc,
        "grouped_macro_f1": grouped_summary[0] if grouped else None,
        "train_seconds": round(fit_seconds, 1),
        "model_mb": round(size_mb, 1),
        "target_macro_f1": TARGET_F1,
        "target_median_ms": TARGET_MS,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
