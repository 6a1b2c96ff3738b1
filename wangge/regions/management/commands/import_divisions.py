from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import command_context
from wangge.regions.divisions import decode_upload, import_divisions


class Command(BaseCommand):
    help = "导入官方统计用区划代码 CSV（code,name,level,parent_code）。有任何错误行则整体拒绝。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        with command_context("import_divisions"):
            report = import_divisions(text=decode_upload(file.read_bytes()), source=file.name)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {file.name}：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}"
            )
        )
