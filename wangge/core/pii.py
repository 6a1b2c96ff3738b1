"""Personal data at rest: authenticated encryption for the value, an HMAC blind index for exact
lookup, and masks for display. Keys come from settings; the demo derives them from SECRET_KEY.

Values are encrypted with AES-256-GCM (`a1.` + base64 of nonce and ciphertext). Earlier releases
wrote Fernet tokens (`gAAAA…`); `decrypt` still reads them, so no stored value needs rewriting.
AES-GCM is about four times cheaper per value than Fernet, which matters when an import
encrypts two values for each of 100,000 rows. Both keys derive from WANGGE_PII_KEY.

Every stored phone has the same three columns, `<name>_cipher`, `<name>_index` (where lookups need
it) and `<name>_masked`: `protect_phone` computes all three, `reveal` reads the clear value back for
someone allowed to see it and records why.
"""

import base64
import binascii
import hashlib
import os
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

AEAD_PREFIX = "a1."
_NONCE = 12


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"wangge:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode() if key else base64.urlsafe_b64encode(_derived("pii-encryption")))


@lru_cache(maxsize=4)
def _aead_for(key: str, secret: str) -> AESGCM:
    # A separate key for AES-GCM, derived from the same secret, so one setting still rules both.
    material = base64.urlsafe_b64decode(key.encode()) if key else _derived("pii-encryption")
    return AESGCM(hashlib.sha256(b"wangge:pii-aead:" + material).digest())


@lru_cache(maxsize=4)
def _index_key_for(configured: str, secret: str) -> bytes:
    return configured.encode() if configured else _derived("pii-index")


# The keys in use, looked up once: reading `settings` costs more than an AES-GCM seal, and imports
# seal two values a row. Dropped whenever a test or a reload changes the settings they come from.
_current: dict = {}


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in ("PII_ENCRYPTION_KEY", "PII_INDEX_KEY", "SECRET_KEY"):
        _current.clear()


def _aead() -> AESGCM:
    try:
        return _current["aead"]
    except KeyError:
        _current["aead"] = _aead_for(settings.PII_ENCRYPTION_KEY, settings.SECRET_KEY)
        return _current["aead"]


def _index_key() -> bytes:
    try:
        return _current["index"]
    except KeyError:
        _current["index"] = _index_key_for(settings.PII_INDEX_KEY, settings.SECRET_KEY)
        return _current["index"]


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encrypt(value: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = _aead().encrypt(nonce, value.encode(), None)
    # base64.urlsafe_b64encode, minus two layers of Python calls (this runs twice per imported row)
    return AEAD_PREFIX + binascii.b2a_base64(nonce + sealed, newline=False).translate(_URLSAFE).decode()


def decrypt(token: str) -> str:
    """Read a value written by `encrypt` (AES-GCM) or by earlier releases (Fernet). A damaged or
    foreign token raises `cryptography.fernet.InvalidToken` either way."""
    if token.startswith(AEAD_PREFIX):
        try:
            raw = base64.urlsafe_b64decode(token[len(AEAD_PREFIX) :].encode())
            return _aead().decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        except (InvalidTag, ValueError):
            raise InvalidToken from None
    return _fernet(settings.PII_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def encrypt_bytes(data: bytes, bound_to: bytes | None = None) -> bytes:
    """Whole files holding personal data (an uploaded ledger), sealed the same way as values.
    `bound_to` (not stored) must be given again to open the blob: it ties the blob to its purpose,
    e.g. one import job and one file, so a blob cannot be passed off as another's."""
    nonce = os.urandom(_NONCE)
    return AEAD_PREFIX.encode() + nonce + _aead().encrypt(nonce, data, bound_to)


def decrypt_bytes(blob: bytes, bound_to: bytes | None = None) -> bytes:
    prefix = AEAD_PREFIX.encode()
    if not blob.startswith(prefix):
        raise InvalidToken
    body = blob[len(prefix) :]
    try:
        return _aead().decrypt(body[:_NONCE], body[_NONCE:], bound_to)
    except (InvalidTag, ValueError):
        raise InvalidToken from None


def _index_states() -> tuple:
    """HMAC-SHA256 (RFC 2104) with the index key, its two keyed SHA-256 states computed once:
    copying them costs less than half of `hmac.digest`, which sets the key up on every call —
    and an import computes two blind indexes for each of 100,000 rows."""
    try:
        return _current["index_states"]
    except KeyError:
        key = _index_key()
        if len(key) > 64:  # SHA-256's block size
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
        _current["index_states"] = (inner, outer)
        return inner, outer


def index_key_id() -> str:
    """A fingerprint of the blind-index key, not the key: data kept with blind indexes in it (an
    import's staged rows) is bound to it, so that a changed key makes it unusable, not wrong."""
    return hashlib.sha256(b"wangge:index-key-id:" + _index_key()).hexdigest()[:16]


def blind_index(value: str) -> str:
    inner, outer = _index_states()
    inner = inner.copy()
    inner.update(value.strip().upper().encode())
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


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


class Protected(NamedTuple):
    """The stored forms of one personal value; all three empty when there is none."""

    cipher: str
    index: str
    masked: str

    def as_fields(self, name: str) -> dict[str, str]:
        """`{"<name>_cipher": …, "<name>_index": …, "<name>_masked": …}` for a model constructor."""
        return {f"{name}_cipher": self.cipher, f"{name}_index": self.index, f"{name}_masked": self.masked}


NOTHING = Protected("", "", "")


def phone_index(value: str) -> str:
    """The blind index of a phone number; hyphens do not count (0816-2345678 is 08162345678)."""
    return blind_index(value.replace("-", "")) if value else ""


def protect_id_number(value: str) -> Protected:
    """Cipher, blind index and masked copy of an already validated ID number."""
    return Protected(encrypt(value), blind_index(value), mask_id_number(value))


def protect_phone(value: str) -> Protected:
    """Cipher, blind index and masked copy of an already validated phone number ("" gives three "")."""
    if not value:
        return NOTHING
    return Protected(encrypt(value), phone_index(value), mask_phone(value))


REASON_MIN, REASON_MAX = 2, 200


def reveal_reason(reason: str | None) -> str:
    """The stated reason for seeing personal data in full, trimmed; one rule for every reveal and
    unmasked export (2 to 200 characters), so a reason accepted on one page is accepted on all."""
    from django.utils.translation import gettext as _

    from .errors import DomainError

    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise DomainError(_("请填写查看原因（至少2个字）"), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("查看原因最多200个字"), field="reason")
    return reason


def reveal(*, actor, obj, cipher: str, reason: str, verb: str, capability: str | None, after=None) -> str:
    """The clear value of `obj.<cipher>` for an actor holding `capability` (None: the caller has
    decided), with one audit record naming the reason (never the value). The caller has already
    checked that the object is in the actor's scope and that a value is stored — each app words
    those refusals its own way. The role is refused before the reason is looked at."""
    from wangge.accounts.roles import require

    from . import audit

    if capability is not None:
        require(actor, capability)
    reason = reveal_reason(reason)
    audit.record(actor=actor, verb=verb, target=obj, scope_key=obj.region_key, after=after, note=reason)
    return decrypt(getattr(obj, cipher))
