"""SMS adapters: the logging one masks numbers; the HTTP one against a gateway on the loopback."""

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from wangge.notify.sms import HttpSmsBackend, LoggingSmsBackend, SmsError, sms_backend

PHONE = "13812345678"


def test_the_logging_adapter_logs_a_masked_number(caplog):
    with caplog.at_level(logging.INFO, logger="wangge.notify.sms"):
        message_id = LoggingSmsBackend().send(PHONE, "案件已派遣")
    assert message_id.startswith("log-")
    assert "138****5678" in caplog.text and "案件已派遣" in caplog.text and PHONE not in caplog.text


def test_the_adapter_comes_from_the_setting(settings):
    settings.WANGGE_SMS_BACKEND = ""
    assert sms_backend() is None
    settings.WANGGE_SMS_BACKEND = "wangge.notify.sms.LoggingSmsBackend"
    assert isinstance(sms_backend(), LoggingSmsBackend)
    settings.WANGGE_SMS_BACKEND = "wangge.notify.sms.NoSuchBackend"
    with pytest.raises(ImproperlyConfigured):
        sms_backend()


class Gateway(BaseHTTPRequestHandler):
    """Answers by the text it is given: 'ok', 'busy' (503), 'bad' (400), 'noid', 'slow'."""

    received: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append({"body": body, "auth": self.headers.get("Authorization")})
        status, answer = {
            "busy": (503, b"{}"),
            "bad": (400, b'{"error": "invalid number"}'),
            "noid": (200, b'{"ok": true}'),
        }.get(body["text"], (200, b'{"id": "msg-42"}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received = []
    settings.WANGGE_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.WANGGE_SMS_TOKEN = "secret-token"
    settings.WANGGE_SMS_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


def test_the_http_adapter_posts_json_and_returns_the_gateways_id(gateway):
    assert HttpSmsBackend().send(PHONE, "ok") == "msg-42"
    assert Gateway.received == [{"body": {"phone": PHONE, "text": "ok"}, "auth": "Bearer secret-token"}]


@pytest.mark.parametrize(("text", "permanent"), [("busy", False), ("bad", True), ("noid", False)])
def test_the_http_adapter_says_whether_retrying_can_help(gateway, text, permanent):
    with pytest.raises(SmsError) as raised:
        HttpSmsBackend().send(PHONE, text)
    assert raised.value.permanent is permanent and PHONE not in str(raised.value)


def test_an_unreachable_gateway_is_worth_retrying(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.WANGGE_SMS_URL = f"http://127.0.0.1:{port}/send"
    with pytest.raises(SmsError) as raised:
        HttpSmsBackend().send(PHONE, "ok")
    assert raised.value.permanent is False and "unreachable" in str(raised.value)


def test_the_http_adapter_needs_a_url(settings):
    settings.WANGGE_SMS_URL = "ftp://example.org"
    with pytest.raises(ImproperlyConfigured):
        HttpSmsBackend()


def test_system_checks_name_a_bad_sms_setting(settings):
    from wangge.notify.checks import check_channels_for_production, check_sms_backend

    settings.WANGGE_SMS_BACKEND = "wangge.notify.sms.NoSuchBackend"
    assert [e.id for e in check_sms_backend(None)] == ["notify.E001"]
    settings.WANGGE_SMS_BACKEND, settings.WANGGE_SMS_URL = "wangge.notify.sms.HttpSmsBackend", ""
    assert [e.id for e in check_sms_backend(None)] == ["notify.E003"]
    settings.WANGGE_SMS_BACKEND = "wangge.notify.sms.LoggingSmsBackend"
    assert check_sms_backend(None) == []
    assert [w.id for w in check_channels_for_production(None)] == ["notify.W001"]
