"""Personal data at rest: new values are sealed with AES-GCM, values sealed with Fernet by earlier
releases stay readable, damaged tokens are refused, the blind index did not change;
phones are stored as cipher, index and mask, and read back only with a recorded reason."""

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


@pytest.mark.parametrize("length", [1, 31, 64, 65, 200])
def test_blind_index_is_rfc_2104_hmac_for_keys_of_any_length(settings, length):
    # The index keeps SHA-256's keyed states instead of calling hmac per value; keys longer than
    # the block are hashed first, shorter ones padded, exactly as the standard says.
    settings.PII_INDEX_KEY = ("k3y-" * 60)[:length]
    for value in (NUMBER, "13800138000", "x", "身份证"):
        expected = hmac.new(settings.PII_INDEX_KEY.encode(), value.upper().encode(), hashlib.sha256).hexdigest()
        assert pii.blind_index(value) == expected


def test_files_are_sealed_and_checked():
    blob = pii.encrypt_bytes(b"PK\x03\x04 workbook")
    assert b"workbook" not in blob and pii.decrypt_bytes(blob) == b"PK\x03\x04 workbook"
    with pytest.raises(InvalidToken):
        pii.decrypt_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(InvalidToken):
        pii.decrypt_bytes(b"plain")


def test_a_phone_is_protected_as_cipher_index_and_mask_and_hyphens_do_not_count():
    stored = pii.protect_phone("0830-1234567")
    assert pii.decrypt(stored.cipher) == "0830-1234567" and stored.masked == "083*****4567"
    assert stored.index == pii.phone_index("08301234567") == pii.blind_index("08301234567")
    assert pii.protect_phone("") == pii.protect_phone(None) == ("", "", "")
    assert pii.protect_phone("17012345678").as_fields("owner_phone").keys() == {
        "owner_phone_cipher",
        "owner_phone_index",
        "owner_phone_masked",
    }


def test_reveal_checks_the_capability_before_decrypting_and_records_the_reason(users, tree):
    from wangge.accounts.roles import REVEAL_PII
    from wangge.core.errors import Forbidden
    from wangge.core.models import AuditEvent
    from wangge.regions.models import Household

    house = Household.objects.get(region_key="510502001001001")
    house.owner_phone_cipher, _index, house.owner_phone_masked = pii.protect_phone("17012345678")
    house.save()
    with pytest.raises(Forbidden):
        pii.reveal(
            actor=users["dispatcher_a"], obj=house, cipher="owner_phone_cipher", reason="核对",
            verb="household.reveal", capability=REVEAL_PII,
        )  # fmt: skip
    assert not AuditEvent.objects.filter(verb="household.reveal").exists()
    value = pii.reveal(
        actor=users["gridworker_a"], obj=house, cipher="owner_phone_cipher", reason="联系房东",
        verb="household.reveal", capability=REVEAL_PII, after={"field": "owner_phone"},
    )  # fmt: skip
    assert value == "17012345678"
    event = AuditEvent.objects.get(verb="household.reveal")
    assert (event.verb, event.note, event.after, event.scope_key) == (
        "household.reveal",
        "联系房东",
        {"field": "owner_phone"},
        "510502001001001",
    )
    assert "17012345678" not in str(event.after) + event.note + event.target_label
