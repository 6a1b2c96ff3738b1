"""Personal data at rest: Fernet encryption for the value, an HMAC blind index for exact lookup,
and masks for display. Keys come from settings; the demo derives them from SECRET_KEY."""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"wangge:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode() if key else base64.urlsafe_b64encode(_derived("pii-encryption")))


def _index_key() -> bytes:
    return settings.PII_INDEX_KEY.encode() if settings.PII_INDEX_KEY else _derived("pii-index")


def encrypt(value: str) -> str:
    return _fernet(settings.PII_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(settings.PII_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def blind_index(value: str) -> str:
    normalised = value.strip().upper()
    return hmac.new(_index_key(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """510502********123X: the address code and the last four stay, the birth date goes."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
