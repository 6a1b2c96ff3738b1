import json
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from wangge.core.commands import command_context
from wangge.notify import outbox
from wangge.notify.models import Channel


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise CommandError(f"--loop 需要秒数，收到 {value!r}") from None
    if not 0 < number <= 86400:
        raise CommandError("--loop 的秒数应在 0 到 86400 之间")
    return number


class Command(BaseCommand):
    help = (
        "发送到期的邮件和短信通知（失败的按指数退避重试）。Send due email/SMS notification copies; "
        "safe to run several at once. --loop SECONDS keeps running; --stats shows the outbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", metavar="SECONDS", help="每隔这么多秒再发一轮，直到被停止")
        parser.add_argument("--stats", action="store_true", help="只显示发件箱统计（JSON），不发送")
        parser.add_argument(
            "--retry-dead",
            action="store_true",
            help="把已放弃的投递重新排队（修好网关或配置之后），然后发送",
        )
        parser.add_argument("--channel", choices=Channel.values, help="与 --retry-dead 一起用：只重排这个渠道")

    def handle(self, *args, loop=None, stats=False, retry_dead=False, channel=None, **options):
        if stats:
            self._print_stats()
            return
        interval = _seconds(loop) if loop is not None else None
        with command_context("deliver_notifications"):
            if retry_dead:
                ids = outbox.retry_dead(channel=channel)
                self.stdout.write(f"重新排队 {len(ids)} 条已放弃的投递")
            if interval is None:
                self._report(outbox.deliver_all_due())
                return
            self._loop(interval)

    def _loop(self, interval: float) -> None:
        running = {"on": True}

        def stop(signum, frame):
            running["on"] = False

        previous = signal.signal(signal.SIGTERM, stop), signal.signal(signal.SIGINT, stop)
        try:
            while running["on"]:
                close_old_connections()
                counts = outbox.deliver_all_due()
                if any(counts.values()):
                    self._report(counts)
                slept = 0.0
                while running["on"] and slept < interval:
                    time.sleep(min(0.5, interval - slept))
                    slept += 0.5
        finally:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])

    def _report(self, counts: dict) -> None:
        self.stdout.write(
            "已发送 {sent}，待重试 {failed}，放弃 {dead}".format(
                sent=counts.get("sent", 0), failed=counts.get("failed", 0), dead=counts.get("dead", 0)
            )
        )

    def _print_stats(self) -> None:
        stats = outbox.outbox_stats()
        stats["by_status"] = {f"{channel}:{status}": n for (channel, status), n in sorted(stats["by_status"].items())}
        self.stdout.write(json.dumps(stats, ensure_ascii=False, sort_keys=True))
