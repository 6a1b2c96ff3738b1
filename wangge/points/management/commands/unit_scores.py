from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.points.scores import BAR_BELOW, HONOUR_ABOVE, parse_year, unit_score_compute
from wangge.units.models import Unit


class Command(BaseCommand):
    help = (
        "计算全部驻区单位的年度共建评分（默认上一年度；低于60分暂停预约共享资源，高于100分列入表彰名单）。"
        " Score every unit for a year (the previous year by default); safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="评分年度，默认上一年度（年初运行一次即可）")

    def handle(self, *args, year=None, **options):
        try:
            year = parse_year(year if year is not None else timezone.localdate().year - 1)
        except DomainError as error:
            raise CommandError(f"--year：{error.message}") from None
        units = list(Unit.objects.order_by("pk").values_list("pk", "name"))
        totals = {"scored": 0, "barred": 0, "honoured": 0}
        failed = []
        # One transaction per unit (the service's own): a unit that fails is reported and the run
        # goes on, so one bad record does not leave the rest of the city unscored.
        for done, (pk, name) in enumerate(units, start=1):
            try:
                score = unit_score_compute(actor=None, unit=Unit(pk=pk), year=year)
            except (DomainError, Unit.DoesNotExist) as error:
                failed.append(f"{name}（#{pk}）：{getattr(error, 'message', None) or '单位已不存在'}")
                continue
            totals["scored"] += 1
            totals["barred"] += score.total < BAR_BELOW
            totals["honoured"] += score.total > HONOUR_ABOVE
            if done % 200 == 0:
                self.stdout.write(f"  {done}/{len(units)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{year}年度共建评分：{totals['scored']} 个单位，低于{BAR_BELOW}分 {totals['barred']} 个（暂停预约），"
                f"高于{HONOUR_ABOVE}分 {totals['honoured']} 个（列入表彰名单）。"
            )
        )
        if failed:
            raise CommandError(f"{len(failed)} 个单位未能评分：\n" + "\n".join(f"  {line}" for line in failed))
