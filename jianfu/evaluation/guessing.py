"""Guessing one-time ballot codes: the evaluation's scope of the shared limit on wrong codes
(jianfu.core.guessing), with its own audit action and wording."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import gettext as _

from jianfu.core import guessing
from jianfu.core.guessing import CODE_FAILURE_LIMIT, CODE_FAILURE_WINDOW
from jianfu.evaluation.models import Campaign

__all__ = [
    "CODE_FAILURE_LIMIT",
    "CODE_FAILURE_WINDOW",
    "code_attempts_refused",
    "code_failure_record",
    "code_guarded",
]

T = TypeVar("T")

SCOPE = "evaluation"
REJECTED = "evaluation.code_rejected"


def code_attempts_refused(ip: str) -> bool:
    """Whether the address has entered too many wrong ballot codes lately."""
    return guessing.attempts_refused(scope=SCOPE, key=ip)


def code_failure_record(ip: str, campaign: Campaign) -> None:
    """Count one wrong ballot code against the address (and keep it in the audit trail)."""
    guessing.failure_record(scope=SCOPE, key=ip, action=REJECTED, target=campaign)


def code_guarded(ip: str, campaign: Campaign, call: Callable[[], T]) -> T:
    """Run `call` (which looks a code up) for an address not past the limit, counting a wrong
    code against it: the API's guard, as the code page's."""
    return guessing.guarded(
        scope=SCOPE,
        key=ip,
        call=call,
        refusal=_("评议码输入错误次数过多，请 15 分钟后再试。"),
        action=REJECTED,
        target=campaign,
    )
