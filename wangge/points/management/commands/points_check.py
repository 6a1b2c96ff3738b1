from django.core.management.base import BaseCommand, CommandError

from wangge.points.reconcile import problems, summary


class Command(BaseCommand):
    help = (
        "核对积分台账：每个账户的余额等于其分录之和，每笔变动和全部分录合计为零。有差异时列出并以非零状态退出。"
        " Reconcile the points ledger; exits non-zero with a list of discrepancies."
    )

    def handle(self, *args, **options):
        found = problems()
        counts = summary()
        if found:
            raise CommandError("积分台账核对不通过：\n" + "\n".join(f"  {line}" for line in found))
        self.stdout.write(
            self.style.SUCCESS(
                f"积分台账核对通过：{counts['accounts']} 个账户，{counts['movements']} 笔变动，"
                f"{counts['entries']} 条分录，余额与分录一致，合计为零。"
            )
        )
