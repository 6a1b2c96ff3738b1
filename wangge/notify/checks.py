"""Configuration checks for the outside channels, run by `manage.py check`."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string


@register()
def check_sms_backend(app_configs, **kwargs):
    path = settings.WANGGE_SMS_BACKEND
    if not path:
        return []
    try:
        backend = import_string(path)
    except ImportError as error:
        return [Error(f"WANGGE_SMS_BACKEND {path!r} cannot be imported: {error}", id="notify.E001")]
    if not callable(getattr(backend, "send", None)):
        return [Error(f"WANGGE_SMS_BACKEND {path!r} has no send(phone, text) method", id="notify.E002")]
    if path.endswith("HttpSmsBackend") and not settings.WANGGE_SMS_URL.startswith(("http://", "https://")):
        return [Error("HttpSmsBackend needs WANGGE_SMS_URL (an http or https URL)", id="notify.E003")]
    return []


@register(deploy=True)
def check_channels_for_production(app_configs, **kwargs):
    problems = []
    if settings.WANGGE_SMS_BACKEND.endswith("LoggingSmsBackend"):
        problems.append(
            Warning(
                "SMS messages are only written to the log (LoggingSmsBackend); set WANGGE_SMS_BACKEND to a "
                "real gateway adapter or leave it empty to turn SMS off.",
                id="notify.W001",
            )
        )
    if settings.WANGGE_NOTIFY_EMAIL and settings.DEFAULT_FROM_EMAIL.endswith("@localhost"):
        problems.append(Warning("Email is on but WANGGE_EMAIL_FROM is not set.", id="notify.W002"))
    return problems
