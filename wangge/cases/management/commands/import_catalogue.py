from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.cases.catalogue import import_catalogue, read_rows
from wangge.core.commands import command_context


class Command(BaseCommand):
    help = "从 CSV 或 Excel（.xlsx）导入事项清单：按编码新增或更新；任何一行有错则整个文件不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8 或 GB18030）或 .xlsx 文件")
        parser.add_argument("--region", default="5105", help="清单所属区域的代码前缀（默认 5105，泸州市）")

    def handle(self, *args, file: str, region: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        with command_context("import_catalogue"):
            rows = read_rows(path.read_bytes(), path.name)
            result = import_catalogue(actor=None, rows=rows, region_key=region)
        self.stdout.write(self.style.SUCCESS(f"已导入：新增 {result['created']} 类，更新 {result['updated']} 类"))
