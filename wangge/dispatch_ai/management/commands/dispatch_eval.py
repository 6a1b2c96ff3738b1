import json
from pathlib import Path

from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.dispatch_ai.evaluation import cross_validate, format_report, holdout, read_labelled_csv


class Command(BaseCommand):
    help = (
        "评估派单分类模型：TEST.csv（列 id,text,label）。给出 --train 时在 TRAIN 上训练、在 TEST 上评分，"
        "否则在 TEST 上做分层 k 折交叉验证。不写数据库。"
    )

    def add_arguments(self, parser):
        parser.add_argument("test", type=Path, help="labelled CSV: id,text,label (other columns ignored)")
        parser.add_argument("--train", type=Path, help="fit a fresh model on this CSV and score it on TEST")
        parser.add_argument("--folds", type=int, default=5, help="k for stratified k-fold (without --train)")
        parser.add_argument("--seed", type=int, default=20260601)
        parser.add_argument("--json", action="store_true", help="last line: one JSON object with the figures")

    def handle(self, *args, test: Path, train: Path | None, folds: int, seed: int, json: bool, **options):
        with command_context("dispatch_eval"):
            test_set = read_labelled_csv(test)
            if train is not None:
                train_set = read_labelled_csv(train)
                evaluation = holdout(train_set, test_set, seed=seed)
            else:
                evaluation = cross_validate(
                    test_set.texts, test_set.labels, folds=folds, seed=seed, progress=self.stderr.write
                )
        self.stdout.write(format_report(evaluation))
        if json:
            self.stdout.write(_json_line(evaluation.as_dict()))


def _json_line(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
