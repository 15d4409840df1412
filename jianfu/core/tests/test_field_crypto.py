"""Field encryption (SM4-GCM) and lookup indexes (HMAC-SM3): a sealed value opens only with this
installation's key, in the field it was sealed for, and only as it was written; an index finds
equal values without storing them; and the certificate tables never hold an ID number in clear.
"""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from jianfu.catalog.demo import catalog_demo_load
from jianfu.certificates import services
from jianfu.certificates.models import CertificateRequest
from jianfu.certificates.selectors import allowed_items
from jianfu.certificates.tests.conftest import (
    ALLOWED_NAME,
    ID_NUMBER,
    OTHER_ID_NUMBER,
    ZHONGGULOU,
    region,
    request_make,
)
from jianfu.core.crypto import (
    NONCE_BYTES,
    TAG_BYTES,
    FieldDecryptionError,
    blind_index,
    field_decrypt,
    field_encrypt,
)

CONTEXT = "certificates.request.id_number"


def test_a_sealed_value_opens_to_what_was_sealed():
    for plain in (ID_NUMBER, "王秀英", "", "x" * 1000):
        assert field_decrypt(field_encrypt(plain, context=CONTEXT), context=CONTEXT) == plain


@given(plain=st.text(max_size=200), context=st.text(min_size=1, max_size=40))
def test_any_text_round_trips_in_any_context(plain, context):
    assert field_decrypt(field_encrypt(plain, context=context), context=context) == plain


def test_sealing_twice_gives_two_ciphertexts():
    # A fresh nonce each time: equal numbers are not equal ciphertexts (the index finds them).
    assert field_encrypt(ID_NUMBER, context=CONTEXT) != field_encrypt(ID_NUMBER, context=CONTEXT)


def test_the_ciphertext_does_not_contain_the_plain_value():
    sealed = field_encrypt(ID_NUMBER, context=CONTEXT)
    assert ID_NUMBER.encode() not in sealed
    assert ID_NUMBER[6:14].encode() not in sealed
    assert len(sealed) == 1 + NONCE_BYTES + len(ID_NUMBER) + TAG_BYTES


def test_a_ciphertext_sealed_for_one_context_does_not_open_in_another():
    sealed = field_encrypt(ID_NUMBER, context=CONTEXT)
    for other in ("certificates.request.phone", "id_number", CONTEXT + " ", ""):
        with pytest.raises(FieldDecryptionError):
            field_decrypt(sealed, context=other)


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(0, id="format_byte"),
        pytest.param(1, id="nonce"),
        pytest.param(1 + NONCE_BYTES, id="body_first"),
        pytest.param(-TAG_BYTES - 1, id="body_last"),
        pytest.param(-1, id="tag"),
    ],
)
def test_a_changed_byte_anywhere_is_detected(where):
    sealed = bytearray(field_encrypt(ID_NUMBER, context=CONTEXT))
    sealed[where] ^= 0x01
    with pytest.raises(FieldDecryptionError):
        field_decrypt(bytes(sealed), context=CONTEXT)


@given(data=st.data())
def test_any_single_bit_flipped_is_detected(data):
    sealed = bytearray(field_encrypt(ID_NUMBER, context=CONTEXT))
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(FieldDecryptionError):
        field_decrypt(bytes(sealed), context=CONTEXT)


def test_a_truncated_or_empty_ciphertext_is_refused():
    sealed = field_encrypt(ID_NUMBER, context=CONTEXT)
    for cut in (b"", sealed[:1], sealed[: 1 + NONCE_BYTES + TAG_BYTES - 1], sealed[:-1]):
        with pytest.raises(FieldDecryptionError):
            field_decrypt(cut, context=CONTEXT)


def test_a_ciphertext_from_another_installation_does_not_open(settings):
    sealed = field_encrypt(ID_NUMBER, context=CONTEXT)
    settings.JIANFU_FIELD_KEY = bytes(32)
    with pytest.raises(FieldDecryptionError):
        field_decrypt(sealed, context=CONTEXT)


def test_a_memoryview_from_the_database_opens_too():
    # PostgreSQL's driver returns binary columns as memoryview.
    sealed = field_encrypt(ID_NUMBER, context=CONTEXT)
    assert field_decrypt(memoryview(sealed), context=CONTEXT) == ID_NUMBER


# ---------------------------------------------------------------------------------------------
# The lookup index


def test_the_index_is_stable():
    first = blind_index(ID_NUMBER, context=CONTEXT)
    assert first == blind_index(ID_NUMBER, context=CONTEXT)
    assert len(first) == 64 and int(first, 16) >= 0


def test_the_index_differs_per_context():
    assert blind_index(ID_NUMBER, context=CONTEXT) != blind_index(ID_NUMBER, context="phone")


def test_the_index_differs_per_value():
    assert blind_index(ID_NUMBER, context=CONTEXT) != blind_index(OTHER_ID_NUMBER, context=CONTEXT)


def test_the_index_depends_on_the_installations_key(settings):
    mine = blind_index(ID_NUMBER, context=CONTEXT)
    settings.JIANFU_FIELD_KEY = bytes(32)
    assert blind_index(ID_NUMBER, context=CONTEXT) != mine


def test_the_index_is_not_a_plain_hash_of_the_number():
    from jianfu.core.crypto import sm3_hex

    assert blind_index(ID_NUMBER, context=CONTEXT) != sm3_hex(ID_NUMBER)


# ---------------------------------------------------------------------------------------------
# What the database holds


def _raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchall()


def _as_text(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return raw.decode("latin-1") + raw.hex()
    return str(value)


@pytest.mark.django_db
def test_the_stored_request_never_contains_the_plain_number(personas):
    catalog_demo_load()
    community = region(ZHONGGULOU)
    item = next(i for i in allowed_items(community) if i.name == ALLOWED_NAME)
    made = request_make(personas.community_officer, community, item)
    services.certificate_request_update(
        actor=personas.community_officer, request=made, id_number=OTHER_ID_NUMBER.lower()
    )
    rows = _raw_rows(CertificateRequest._meta.db_table)
    assert len(rows) == 1
    stored = " ".join(_as_text(value) for value in rows[0])
    for number in (ID_NUMBER, OTHER_ID_NUMBER):
        assert number not in stored
        assert number[6:14] not in stored  # the birth date, hidden by the mask
    # What is there: the masked form, and the index of the new number.
    made.refresh_from_db()
    assert made.id_masked == "511002********0026"
    assert made.id_masked in stored
    assert made.id_index in stored
