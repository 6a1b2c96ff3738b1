"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_pii_keys(app_configs, **kwargs):
    problems = []
    if "insecure-demo-key" in settings.SECRET_KEY:
        problems.append(
            Error("WANGGE_SECRET_KEY is not set: production needs its own random secret key.", id="wangge.E001")
        )
    if not settings.PII_ENCRYPTION_KEY or not settings.PII_INDEX_KEY:
        problems.append(
            Error(
                "WANGGE_PII_KEY and WANGGE_PII_INDEX_KEY must be set in production: personal data is encrypted "
                "with them and must not depend on the secret key (see docs/operations.md).",
                id="wangge.E002",
            )
        )
    elif not _valid_fernet_key(settings.PII_ENCRYPTION_KEY):
        problems.append(
            Error(
                "WANGGE_PII_KEY is not a Fernet key (32 bytes, URL-safe base64); generate one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`.",
                id="wangge.E003",
            )
        )
    return problems


def _valid_fernet_key(key: str) -> bool:
    from cryptography.fernet import Fernet

    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True
