"""The one place Jianfu touches cryptographic primitives (国密: SM3 hashes, HMAC-SM3 lookup
indexes, SM4-GCM field encryption).

Keeping them here lets a deployment swap in a hardware cryptographic module in one file.
"""

import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

# The first byte of every ciphertext names the key and format, so keys can be rotated later
# without guessing which one sealed a value.
FIELD_FORMAT = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16


def sm3_hex(data: bytes | str) -> str:
    """SM3 digest of `data` (UTF-8 if text), as 64 lowercase hex digits."""
    if isinstance(data, str):
        data = data.encode()
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def _subkey(purpose: str) -> bytes:
    # One master key in the settings; each use gets its own key derived from it, so the
    # lookup index never shares a key with the cipher.
    return _hmac_sm3(settings.JIANFU_FIELD_KEY, f"jianfu:{purpose}".encode())


def field_encrypt(plain: str, *, context: str) -> bytes:
    """Seal `plain` with SM4-GCM; `context` (e.g. the table and column) is authenticated too, so a
    ciphertext copied into another field does not decrypt there."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_subkey("sm4-field")[:16]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    sealed = encryptor.update(plain.encode()) + encryptor.finalize()
    return FIELD_FORMAT + nonce + sealed + encryptor.tag


class FieldDecryptionError(Exception):
    """The value was not sealed with this installation's key for this field, or was altered."""


def field_decrypt(sealed: bytes, *, context: str) -> str:
    """Open a value sealed by `field_encrypt` for the same `context`."""
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES or sealed[:1] != FIELD_FORMAT:
        raise FieldDecryptionError
    nonce, body, tag = (
        sealed[1 : 1 + NONCE_BYTES],
        sealed[1 + NONCE_BYTES : -TAG_BYTES],
        sealed[-TAG_BYTES:],
    )
    decryptor = Cipher(algorithms.SM4(_subkey("sm4-field")[:16]), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as error:
        raise FieldDecryptionError from error


def blind_index(value: str, *, context: str) -> str:
    """HMAC-SM3 of `value`: finds equal values without storing them in clear (64 hex digits)."""
    return _hmac_sm3(_subkey(f"index:{context}"), value.encode()).hex()


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret for tokens."""
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
