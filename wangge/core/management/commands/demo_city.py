import time

from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.demo.builder import DEMO_PASSWORD, SCALES, CityBuilder, demo_accounts
from wangge.open311.demo import demo_key_line
from wangge.regions.models import Region


class Command(BaseCommand):
    help = "生成演示城市（泸州的真实区县和街道名，合成的网格、小区和居民）。同一种子每次结果相同。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")

    def handle(self, *args, seed: int, scale: str, **options):
        if Region.objects.filter(code="510500000000").exists():
            self.stdout.write("演示城市已存在，未做改动。（要重建，请删除数据库文件后重新运行。）")
        else:
            started = time.monotonic()
            with command_context("demo_city"):
                counts = CityBuilder(seed=seed, scale=scale, progress=lambda m: self.stdout.write("  " + m)).build()
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示城市已生成（{time.monotonic() - started:.1f} 秒）："
                    + "，".join(f"{k} {v}" for k, v in counts.items())
                )
            )
        self.stdout.write("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        for account in demo_accounts():
            self.stdout.write(f"  {account['username']:<13} {account['role'].label:<10} {account['display_name']}")
        self.stdout.write(demo_key_line(seed))
