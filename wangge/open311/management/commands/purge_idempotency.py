import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.open311.models import IdempotentRequest


class Command(BaseCommand):
    help = "删除早于给定天数的幂等请求记录（重试窗口之外的旧答复）。建议每天运行一次。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=7,
            help="保留最近多少天的记录（默认7天；客户端在此期间内重试仍得到第一次的答复）",
        )

    def handle(self, *args, older_than_days: int, **options):
        if older_than_days < 1:
            raise CommandError("--older-than-days 须为不小于1的整数")
        cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
        deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"已删除 {deleted} 条早于 {cutoff:%Y-%m-%d %H:%M} 的幂等请求记录。")
