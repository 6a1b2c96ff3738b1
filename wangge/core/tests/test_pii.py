"""Personal data at rest: new values are sealed with AES-GCM, values sealed with Fernet by earlier
releases stay readable, damaged tokens are refused, and the blind index did not change."""

import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet, InvalidToken

from wangge.core import pii

NUMBER = "510502199001019012"


def test_new_values_are_aes_gcm_and_read_back():
    token = pii.encrypt(NUMBER)
    assert token.startswith("a1.") and NUMBER not in token
    assert pii.decrypt(token) == NUMBER
    assert pii.encrypt(NUMBER) != token  # a fresh nonce every time


def test_values_written_with_fernet_stay_readable(settings):
    old = pii._fernet(settings.PII_ENCRYPTION_KEY).encrypt(NUMBER.encode()).decode()
    assert old.startswith("gAAAA")
    assert pii.decrypt(old) == NUMBER


def test_with_a_configured_key_both_formats_are_readable_and_the_key_matters(settings):
    settings.PII_ENCRYPTION_KEY = Fernet.generate_key().decode()
    old = Fernet(settings.PII_ENCRYPTION_KEY.encode()).encrypt(NUMBER.encode()).decode()
    new = pii.encrypt(NUMBER)
    assert pii.decrypt(old) == NUMBER and pii.decrypt(new) == NUMBER
    settings.PII_ENCRYPTION_KEY = Fernet.generate_key().decode()  # another key: neither opens
    for token in (old, new):
        with pytest.raises(InvalidToken):
            pii.decrypt(token)


@pytest.mark.parametrize("token", ["a1.", "a1.AAAA", "a1.!!!", "gAAAAAnonsense", ""])
def test_damaged_tokens_are_refused_with_one_exception(token):
    with pytest.raises(InvalidToken):
        pii.decrypt(token)


def test_a_flipped_byte_is_detected():
    token = pii.encrypt(NUMBER)
    body = bytearray(token.encode())
    body[10] = ord("A") if body[10] != ord("A") else ord("B")
    with pytest.raises(InvalidToken):
        pii.decrypt(body.decode())


def test_blind_index_is_the_same_hmac_as_before(settings):
    key = pii._index_key()
    expected = hmac.new(key, NUMBER.encode(), hashlib.sha256).hexdigest()
    assert pii.blind_index(NUMBER) == expected == pii.blind_index(" " + NUMBER.lower() + " ")
    settings.PII_INDEX_KEY = "another-index-key"
    assert pii.blind_index(NUMBER) != expected


def test_files_are_sealed_and_checked():
    blob = pii.encrypt_bytes(b"PK\x03\x04 workbook")
    assert b"workbook" not in blob and pii.decrypt_bytes(blob) == b"PK\x03\x04 workbook"
    with pytest.raises(InvalidToken):
        pii.decrypt_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(InvalidToken):
        pii.decrypt_bytes(b"plain")
