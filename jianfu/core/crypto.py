"""The one place Jianfu touches cryptographic primitives (国密 SM3 for hashes).

Keeping them here lets a deployment swap in a hardware cryptographic module in one file.
"""

import hmac
import secrets

from cryptography.hazmat.primitives import hashes


def sm3_hex(data: bytes | str) -> str:
    """SM3 digest of `data` (UTF-8 if text), as 64 lowercase hex digits."""
    if isinstance(data, str):
        data = data.encode()
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret for tokens."""
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
