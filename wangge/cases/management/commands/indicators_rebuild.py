"""Recompute the indicator summary from the cases (after bulk loads past the services, or a change of
WANGGE_RESPONSE_HOURS / WANGGE_DISPATCH_HOURS; an upgrade's migration does it by itself, see
cases.0005_indicator_summary_fill). Idempotent; one month per transaction."""

import time

from django.core.management.base import BaseCommand

from wangge.cases import summary


class Command(BaseCommand):
    help = "从案件重新计算考核指标汇总表（可重复执行，按月分批）"

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=5000, help="每次从数据库读取的案件行数")

    def handle(self, *args, chunk, **options):
        started = time.monotonic()
        result = summary.rebuild(progress=lambda message: self.stdout.write(message), chunk=chunk)
        self.stdout.write(
            f"done: {result['cases']} cases, {result['rows']} summary rows, {time.monotonic() - started:.1f} s"
        )
