"""Guessing codes (one-time ballot codes, certificate verification codes): wrong codes are
counted per address and per scope, in the cache every process shares, and an address past the
limit is refused for a while — by the pages and the API alike.

A scope ("evaluation", "certificate") keeps its own count, so a resident locked out of one does
not lose the other, and each app words its own refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import models

from jianfu.core.audit import audit_record
from jianfu.core.errors import InvalidInput, TooManyAttempts
from jianfu.core.models import AuditResult

T = TypeVar("T")

# An address that has entered this many wrong codes within the window is refused until the
# window has passed. Codes carry enough random bits that the limit is a second line of defence;
# it is per address because a code holder has no account to lock.
CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = 15 * 60


def _failure_keys(scope: str, key: str) -> tuple[str, str]:
    # Fixed windows, the current one and the one before: a count over both is never below the
    # failures of the last CODE_FAILURE_WINDOW seconds, so no span of that length lets more
    # than CODE_FAILURE_LIMIT wrong codes through.
    window = int(time.time() // CODE_FAILURE_WINDOW)
    return (
        f"{scope}:code-failures:{key}:{window}",
        f"{scope}:code-failures:{key}:{window - 1}",
    )


def attempts_refused(*, scope: str, key: str) -> bool:
    """Whether `key` (the caller's address, usually) has had too many wrong codes of this scope
    lately."""
    return sum(cache.get_many(_failure_keys(scope, key)).values()) >= CODE_FAILURE_LIMIT


def failure_count(*, scope: str, key: str) -> None:
    """Count one wrong code of this scope against `key` (the caller's address, usually)."""
    current, _previous = _failure_keys(scope, key)
    keep = 2 * CODE_FAILURE_WINDOW
    cache.add(current, 0, keep)
    try:
        cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, keep)
    # Some cache backends reset the expiry on incr; the window must last its full length.
    cache.touch(current, keep)
    # Success never resets the count: one valid code must not buy an address more guesses.


def failure_record(
    *,
    scope: str,
    key: str,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> None:
    """Count one wrong code of this scope against `key`, and keep it in the audit trail as
    `action` (on `target` when the code belonged to something known)."""
    failure_count(scope=scope, key=key)
    audit_record(
        action=action,
        target=target,
        changes=changes,
        result=AuditResult.FAILURE,
        username="code",
    )


def guarded(
    *,
    scope: str,
    key: str,
    call: Callable[[], T],
    refusal: str,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> T:
    """Run `call` (which looks a code up) for a `key` (the caller's address) not past the limit,
    counting a wrong code (InvalidInput with code "bad_code") against it; past the limit,
    TooManyAttempts with the message `refusal`, whether the code is right or not."""
    if attempts_refused(scope=scope, key=key):
        raise TooManyAttempts(refusal)
    try:
        return call()
    except InvalidInput as error:
        if error.code == "bad_code":
            failure_record(scope=scope, key=key, action=action, target=target, changes=changes)
        raise
