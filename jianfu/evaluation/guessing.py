"""Guessing one-time codes: wrong codes are counted per address, in the cache every process
shares, and an address past the limit is refused for a while (the pages and the API alike)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_record
from jianfu.core.errors import InvalidInput, TooManyAttempts
from jianfu.core.models import AuditResult
from jianfu.evaluation.models import Campaign

T = TypeVar("T")

# Guessing codes: an address that has entered this many wrong codes within the window is
# refused until the window has passed. A code has 60 random bits, so the limit is a second line
# of defence; it is per address because a code holder has no account to lock.
CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = 15 * 60


def _failure_keys(ip: str) -> tuple[str, str]:
    # Fixed windows, the current one and the one before: a count over both is never below the
    # failures of the last CODE_FAILURE_WINDOW seconds, so no span of that length lets more
    # than CODE_FAILURE_LIMIT wrong codes through.
    window = int(time.time() // CODE_FAILURE_WINDOW)
    return (
        f"evaluation:code-failures:{ip}:{window}",
        f"evaluation:code-failures:{ip}:{window - 1}",
    )


def code_attempts_refused(ip: str) -> bool:
    """Whether the address has entered too many wrong codes lately."""
    return sum(cache.get_many(_failure_keys(ip)).values()) >= CODE_FAILURE_LIMIT


def code_failure_record(ip: str, campaign: Campaign) -> None:
    """Count one wrong code against the address (and keep it in the audit trail)."""
    key, _previous = _failure_keys(ip)
    keep = 2 * CODE_FAILURE_WINDOW
    cache.add(key, 0, keep)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, keep)
    # Some cache backends reset the expiry on incr; the window must last its full length.
    cache.touch(key, keep)
    audit_record(
        action="evaluation.code_rejected",
        target=campaign,
        result=AuditResult.FAILURE,
        username="code",
    )
    # Success never resets the count: one valid code must not buy an address more guesses.


def code_guarded(ip: str, campaign: Campaign, call: Callable[[], T]) -> T:
    """Run `call` (which looks a code up) for an address not past the limit, counting a wrong
    code against it: the API's guard, as the code page's."""
    if code_attempts_refused(ip):
        raise TooManyAttempts(_("评议码输入错误次数过多，请 15 分钟后再试。"))
    try:
        return call()
    except InvalidInput as error:
        if error.code == "bad_code":
            code_failure_record(ip, campaign)
        raise
