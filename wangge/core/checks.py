"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_pii_keys(app_configs, **kwargs):
    problems = []
    if "insecure-demo-key" in settings.SECRET_KEY:
        problems.append(Error("WANGGE_SECRET_KEY is not set: production needs its own random secret key.",
                              id="wangge.E001"))
    if not settings.PII_ENCRYPTION_KEY or not settings.PII_INDEX_KEY:
        problems.append(Error(
            "WANGGE_PII_KEY and WANGGE_PII_INDEX_KEY must be set in production: personal data is encrypted "
            "with them and must not depend on the secret key (see docs/operations.md).",
            id="wangge.E002"))
    return problems
