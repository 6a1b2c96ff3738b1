import json
from pathlib import Path

from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.dispatch_ai import hooks, services
from wangge.dispatch_ai.evaluation import read_labelled_csv


class Command(BaseCommand):
    help = (
        "训练新的派单分类模型版本：默认使用已确认的派单历史，可加 --csv 标注文件（列 id,text,label）；"
        "事项清单的名称和关键词一并加入。新版本评估后启用（--no-activate 则只保存）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, action="append", default=[], help="labelled CSV (repeatable)")
        parser.add_argument("--no-history", action="store_true", help="do not use confirmed dispatch history")
        parser.add_argument("--no-catalogue", action="store_true", help="do not add catalogue names and keywords")
        parser.add_argument(
            "--catalogue-only",
            action="store_true",
            help="cold start: train only from the catalogue's names and keywords",
        )
        parser.add_argument("--folds", type=int, default=5, help="k for the stored stratified k-fold evaluation")
        parser.add_argument("--no-eval", action="store_true", help="skip the evaluation (faster)")
        parser.add_argument("--no-activate", action="store_true", help="store the version without activating it")
        parser.add_argument("--json", action="store_true", help="last line: one JSON object describing the version")

    def handle(self, *args, **opts):
        with command_context("dispatch_train"):
            if opts["catalogue_only"]:
                # Activated only while no model is active: a cold start never replaces a trained model.
                version = services.train_from_catalogue(
                    hooks.catalogue_entries(), activate=False if opts["no_activate"] else None
                )
            else:
                texts, labels = [], []
                for path in opts["csv"]:
                    data = read_labelled_csv(path)
                    texts += data.texts
                    labels += data.labels
                version = services.train_from_history(
                    csv_texts=texts,
                    csv_labels=labels,
                    use_history=not opts["no_history"],
                    use_catalogue=not opts["no_catalogue"],
                    evaluate=not opts["no_eval"],
                    folds=opts["folds"],
                    activate=not opts["no_activate"],
                    source_note="、".join(p.name for p in opts["csv"]),
                )
        evaluation = version.evaluation or {}
        state = "已启用" if version.active else "未启用"
        line = f"模型版本 v{version.pk}（{version.get_trained_from_display()}，{len(version.labels)} 类，"
        line += f"{version.n_examples} 条样本，{version.artefact_size / 1e6:.1f} MB）{state}"
        if evaluation.get("macro_f1") is not None:
            line += (
                f"；{evaluation['folds']} 折 macro-F1 {evaluation['macro_f1']:.4f}，准确率 {evaluation['accuracy']:.4f}"
            )
        self.stdout.write(self.style.SUCCESS(line))
        if opts["json"]:
            summary = {
                "version": version.pk,
                "active": version.active,
                "trained_from": version.trained_from,
                "labels": len(version.labels),
                "n_examples": version.n_examples,
                "accuracy": evaluation.get("accuracy"),
                "macro_f1": evaluation.get("macro_f1"),
                "median_ms": evaluation.get("median_ms"),
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
