from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import command_context
from wangge.worktime.services import import_calendar


class Command(BaseCommand):
    help = (
        "导入节假日与调休安排（.xlsx 或 .csv；列：日期、类型（放假/上班）、名称）。"
        "有任何错误行则整体拒绝，并列出每一行的原因。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="删除文件所含年份中文件未列出的登记（重新导入更正后的全年安排时使用）",
        )

    def handle(self, *args, file: Path, replace: bool, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        with command_context("import_holidays"):
            report = import_calendar(data=file.read_bytes(), filename=file.name, replace=replace)
        years = "、".join(str(y) for y in report.years)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {file.name}（{years}年）：新增 {report.created}，更新 {report.updated}，"
                f"未变 {report.unchanged}，删除 {report.removed}"
            )
        )
