import time

from django.core.management.base import BaseCommand, CommandError

from wangge.cases.tasks import run_sla_sweep
from wangge.core.commands import command_context


class Command(BaseCommand):
    help = "检查案件处置时限：到达预警比例时提醒承办人，超期的标记超期并提级一层。可用 --loop 秒数 持续运行。"

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="每隔多少秒检查一次（不指定则只运行一次）")

    def handle(self, *args, loop: int | None = None, **options):
        if loop is not None and loop < 1:
            raise CommandError("--loop 应为正整数（秒）")
        while True:
            with command_context("sla_sweep"):
                counts = run_sla_sweep()
            self.stdout.write(
                f"超期 {counts['breached']} 件，预警 {counts['warned']} 件，跳过 {counts['skipped']} 件，"
                f"清理过期上传 {counts['purged_uploads']} 张"
            )
            if loop is None:
                return
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
