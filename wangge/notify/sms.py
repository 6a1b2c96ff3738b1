"""SMS gateways behind one small interface, chosen by the WANGGE_SMS_BACKEND setting.

An adapter is a class with `send(phone, text) -> provider message id` that raises `SmsError` when
the message was not accepted. Phones are personal data: adapters log only masked numbers."""

import json
import logging
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from wangge.core.pii import mask_phone

logger = logging.getLogger("wangge.notify.sms")


class SmsError(Exception):
    """The gateway did not accept the message. `permanent` means retrying cannot help
    (a refused number, a rejected text); anything else is retried with backoff."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmsBackend:
    """The interface. Subclasses implement `send`; the constructor takes no arguments and reads
    what it needs from settings, so the outbox can build one from a dotted path."""

    def send(self, phone: str, text: str) -> str:
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    """For the demo and for trials: writes the message to the log instead of sending it."""

    def send(self, phone: str, text: str) -> str:
        message_id = "log-" + uuid.uuid4().hex[:16]
        logger.info("SMS to %s (%s): %s", mask_phone(phone), message_id, text)
        return message_id


class HttpSmsBackend(SmsBackend):
    """A generic JSON gateway: POST {"phone", "text"} to WANGGE_SMS_URL with an optional bearer
    token; a 2xx answer with {"id": …} is success. 4xx (other than 408/429) is permanent."""

    def __init__(self):
        self.url = settings.WANGGE_SMS_URL
        if not self.url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("WANGGE_SMS_URL must be an http(s) URL for HttpSmsBackend")
        self.token = settings.WANGGE_SMS_TOKEN
        self.timeout = settings.WANGGE_SMS_TIMEOUT

    def send(self, phone: str, text: str) -> str:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
                payload = response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            raise SmsError(f"gateway answered HTTP {error.code}", permanent=permanent) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsError(f"gateway unreachable: {reason}") from None
        try:
            message_id = json.loads(payload.decode("utf-8"))["id"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise SmsError("gateway answered without a message id") from None
        return str(message_id)[:100]


def sms_backend() -> SmsBackend | None:
    """The configured adapter, or None when SMS is off."""
    path = settings.WANGGE_SMS_BACKEND
    if not path:
        return None
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"WANGGE_SMS_BACKEND {path!r} cannot be imported: {error}") from error
    return backend_class()
