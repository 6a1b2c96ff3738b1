"""A stand-in for an outside SMS gateway: fails the first `failures` sends, then accepts."""

import threading

from wangge.notify.sms import SmsBackend, SmsError


class FlakySms(SmsBackend):
    failures = 0
    permanent = False
    sent: list[tuple[str, str]] = []
    _lock = threading.Lock()

    @classmethod
    def reset(cls, failures: int = 0, permanent: bool = False) -> None:
        cls.failures, cls.permanent, cls.sent = failures, permanent, []

    def send(self, phone: str, text: str) -> str:
        with self._lock:
            if FlakySms.failures > 0:
                FlakySms.failures -= 1
                raise SmsError(f"gateway refused {phone}: busy", permanent=FlakySms.permanent)
            FlakySms.sent.append((phone, text))
            return f"gw-{len(FlakySms.sent)}"


class BrokenSms(SmsBackend):
    """A gateway adapter with a bug of its own."""

    def send(self, phone: str, text: str) -> str:
        raise RuntimeError("adapter crashed")
