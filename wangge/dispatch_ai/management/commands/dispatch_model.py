from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.dispatch_ai import selectors, services


class Command(BaseCommand):
    # Auto-apply is set per category on the catalogue page, not here.
    help = "派单分类模型版本：list 列出，activate ID 启用，rollback 回退到上一个启用的版本。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list versions, newest first")
        act = sub.add_parser("activate", help="activate a version")
        act.add_argument("version", type=int)
        sub.add_parser("rollback", help="return to the version active before the current one")

    def handle(self, *args, action: str, **opts):
        with command_context("dispatch_model"):
            if action == "list":
                self._list()
            elif action == "activate":
                version = services.activate(opts["version"])
                self.stdout.write(self.style.SUCCESS(f"已启用 v{version.pk}"))
            else:
                version = services.rollback()
                self.stdout.write(self.style.SUCCESS(f"已回退到 v{version.pk}"))

    def _list(self):
        rows = list(selectors.version_list())
        if not rows:
            self.stdout.write("还没有模型版本")
            return
        for v in rows:
            f1 = v.macro_f1
            self.stdout.write(
                f"{'*' if v.active else ' '} v{v.pk:<4} {v.created_at:%Y-%m-%d %H:%M}  {v.trained_from:<12} "
                f"{len(v.labels):>3} 类 {v.n_examples:>7} 条  macro-F1 {'-' if f1 is None else f'{f1:.4f}'}"
                f"  {v.source_note}"
            )
