"""End to end on a slice of the public contest file (../shared/data/tipdm2020), read in place.

This checks that the pipeline works on real messages, raw and pre-cleaned; the accuracy target
is measured by bench/dispatch.py, not here."""

import csv
import json
import re
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command

from conftest import SHARED_DATA
from wangge.dispatch_ai import services
from wangge.dispatch_ai.models import TrainedFrom
from wangge.dispatch_ai.text import similar

DATA = SHARED_DATA / "tipdm2020"
pytestmark = pytest.mark.skipif(not (DATA / "train.csv").is_file(), reason="../shared/data/tipdm2020 is absent")


def read(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def slices():
    """Per class: the first 60 messages to train on, the next 15 to test."""
    by_label = defaultdict(list)
    for row in read("train.csv"):
        by_label[row["label"]].append(row)
    train = [row for rows in by_label.values() for row in rows[:60]]
    test = [row for rows in by_label.values() for row in rows[60:75]]
    return train, test


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "tokens", "label"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.django_db
def test_train_on_a_slice_and_suggest_for_raw_messages(slices):
    train, test = slices
    version = services.train(
        texts=[r["text"] for r in train],
        labels=[r["label"] for r in train],
        trained_from=TrainedFrom.CSV,
        evaluate=False,
    )
    assert len(version.labels) == 7
    hits = sum(services.suggest(text=r["text"])[0].label == r["label"] for r in test)
    assert hits / len(test) > 0.6  # a sanity floor for 60 examples a class, not the target

    # Raw messages from the same platform, with punctuation and function words: the suggestion is
    # the same as for their cleaned form in nearly every case.
    raw_rows = read("hot_issues.csv")[:200]
    same = 0
    for row in raw_rows:
        raw = f"{row['subject']}。{row['detail']}"
        result = services.suggest(text=raw)
        assert result.ok and len(result) == 3 and set(c.label for c in result) <= set(version.labels)
        cleaned = re.sub(r"[\W_]+", "", raw)
        same += services.suggest(text=cleaned)[0].label == result[0].label
    assert same / len(raw_rows) >= 0.9


def test_eval_command_on_slices(tmp_path, slices):
    train, test = slices
    write(tmp_path / "train.csv", train)
    write(tmp_path / "test.csv", test)
    out = StringIO()
    test_csv, train_csv = str(tmp_path / "test.csv"), str(tmp_path / "train.csv")
    call_command("dispatch_eval", test_csv, "--train", train_csv, "--json", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["n_train"] == 420 and result["n_test"] == 105
    assert len(result["per_class"]) == 7 and result["macro_f1"] > 0.5


def test_duplicate_detection_on_real_messages():
    rows = read("hot_issues.csv")[:50]
    for row in rows[:10]:
        text = row["subject"] + row["detail"]
        assert similar(text, "  " + text.replace("，", " ") + "！！") > 0.95
    scores = [similar(a["detail"], b["detail"]) for a, b in zip(rows[:25], rows[25:50])]
    assert sum(s > 0.5 for s in scores) <= 2  # unrelated messages rarely look alike
