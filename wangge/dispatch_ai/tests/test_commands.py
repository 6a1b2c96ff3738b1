import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wangge.dispatch_ai import hooks
from wangge.dispatch_ai.models import ModelVersion

from .synthetic import catalogue, dataset, write_csv


def run(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def labelled_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    write_csv(path, *dataset(per_class=10, seed=5))
    return path


def test_eval_cross_validation_prints_table_and_json_last(labelled_csv):
    output = run("dispatch_eval", str(labelled_csv), "--folds", "3", "--json")
    lines = output.strip().splitlines()
    result = json.loads(lines[-1])
    for key in ("accuracy", "macro_f1", "median_ms", "per_class"):
        assert key in result
    assert result["method"] == "kfold" and result["folds"] == 3 and result["n_test"] == 40
    assert 0 <= result["macro_f1"] <= 1 and result["median_ms"] > 0
    assert any(line.startswith("macro-F1") for line in lines)
    assert sum(1 for line in lines if line.startswith(("SR01", "JT02", "ZS03", "GS04"))) == 4


def test_eval_train_test(tmp_path, labelled_csv):
    test_path = tmp_path / "test.csv"
    write_csv(test_path, *dataset(per_class=5, seed=99), extra_column=False)
    result = json.loads(run("dispatch_eval", str(test_path), "--train", str(labelled_csv), "--json").splitlines()[-1])
    assert result["method"] == "holdout" and result["n_train"] == 40 and result["n_test"] == 20
    assert result["accuracy"] > 0.8
    assert "accuracy" in run("dispatch_eval", str(test_path), "--train", str(labelled_csv))


def test_eval_refuses_bad_files_with_a_reason(tmp_path):
    missing = tmp_path / "nothing.csv"
    with pytest.raises(CommandError, match="文件不存在"):
        run("dispatch_eval", str(missing))
    no_label = tmp_path / "no_label.csv"
    no_label.write_text("id,text\n1,垃圾\n", encoding="utf-8")
    with pytest.raises(CommandError, match="label"):
        run("dispatch_eval", str(no_label))
    blank = tmp_path / "blank.csv"
    blank.write_text("id,text,label\n1,垃圾,SR01\n2,,SR01\n3,停水,\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        run("dispatch_eval", str(blank))
    assert "第3行" in str(err.value) and "第4行" in str(err.value)
    few = tmp_path / "few.csv"
    write_csv(few, *dataset(per_class=2))
    with pytest.raises(CommandError, match="至少 5 条"):
        run("dispatch_eval", str(few))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        b"id,text,label\n" + "".join(f"{n},垃圾没人清运{n},A\n{n}b,停水{n},B\n" for n in range(5)).encode("gb18030")
    )
    assert json.loads(run("dispatch_eval", str(gbk), "--folds", "2", "--json").splitlines()[-1])["n_test"] == 10


@pytest.mark.django_db
def test_train_from_csv_then_list_activate_rollback(labelled_csv):
    output = run("dispatch_train", "--csv", str(labelled_csv), "--folds", "3", "--json")
    summary = json.loads(output.strip().splitlines()[-1])
    assert summary["active"] and summary["trained_from"] == "csv" and summary["macro_f1"] is not None
    first = ModelVersion.objects.get(pk=summary["version"])
    assert first.evaluation["folds"] == 3
    run("dispatch_train", "--csv", str(labelled_csv), "--no-eval", "--no-activate")
    second = ModelVersion.objects.latest("id")
    assert not second.active and second.evaluation["method"] == "none"
    listing = run("dispatch_model", "list")
    assert f"* v{first.pk}" in listing and f"  v{second.pk}" in listing
    assert "已启用" in run("dispatch_model", "activate", str(second.pk))
    assert ModelVersion.objects.get(active=True) == second
    assert f"v{first.pk}" in run("dispatch_model", "rollback")
    assert ModelVersion.objects.get(active=True) == first
    with pytest.raises(CommandError, match="无法回退"):
        run("dispatch_model", "rollback")
    with pytest.raises(CommandError, match="不存在"):
        run("dispatch_model", "activate", "9999")


@pytest.mark.django_db
def test_train_from_history_hook_and_cold_start_commands():
    with pytest.raises(CommandError, match="没有可用的训练数据"):
        run("dispatch_train")
    hooks.set_catalogue_source(catalogue)
    assert "事项清单" in run("dispatch_train", "--catalogue-only")
    assert ModelVersion.objects.get(active=True).trained_from == "catalogue"
    texts, labels = dataset(per_class=6)
    hooks.set_history_source(lambda: zip(texts, labels))
    summary = json.loads(run("dispatch_train", "--folds", "3", "--json").splitlines()[-1])
    assert summary["trained_from"] == "history" and summary["active"]
    assert summary["n_examples"] > 24  # history plus the catalogue's names and keywords


def test_eval_refuses_an_unreadable_csv(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text('id,text,label\n1,"' + "很长" * 70000 + '",A\n', encoding="utf-8")
    with pytest.raises(CommandError, match="无法读取"):
        run("dispatch_eval", str(broken))
