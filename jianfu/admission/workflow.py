"""The application workflow as a table: (state, action) → (next state, who may). See docs/admission.md.

`services.application_transition` is the only code that changes an application's state, and it
does so only through this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import ApplicationState as S
from jianfu.org.roles import Role


class Party:
    """Which side of the procedure an action belongs to; decides the jurisdiction check."""

    DEPARTMENT = "department"  # the applying department's own staff
    REVIEW = "review"  # the review office (编办/准入办) of the application's district
    GROUP = "group"  # the leadership group's office of the application's district


@dataclass(frozen=True)
class Transition:
    target: str
    roles: frozenset[str]
    party: str


ACTION_LABELS = {
    "send_for_signoff": _("提交负责人签批"),
    "sign_off": _("签批并报送"),
    "send_back": _("退回经办人"),
    "start_review": _("开始初审"),
    "return": _("退回补正"),
    "accept": _("初审通过"),
    "open_consultation": _("征求街道社区意见"),
    "close_consultation": _("结束征求意见"),
    "decide": _("记录联席会议决定"),
    "withdraw": _("撤回申请"),
}

_CLERK = frozenset({Role.DEPT_CLERK})
_HEAD = frozenset({Role.DEPT_HEAD})
_DEPARTMENT = frozenset({Role.DEPT_CLERK, Role.DEPT_HEAD})
_REVIEWER = frozenset({Role.REVIEW_OFFICER})
_SECRETARY = frozenset({Role.GROUP_SECRETARY})

TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.DRAFT, "send_for_signoff"): Transition(S.AWAITING_SIGNOFF, _CLERK, Party.DEPARTMENT),
    (S.RETURNED, "send_for_signoff"): Transition(S.AWAITING_SIGNOFF, _CLERK, Party.DEPARTMENT),
    (S.AWAITING_SIGNOFF, "sign_off"): Transition(S.SUBMITTED, _HEAD, Party.DEPARTMENT),
    (S.AWAITING_SIGNOFF, "send_back"): Transition(S.DRAFT, _HEAD, Party.DEPARTMENT),
    (S.SUBMITTED, "start_review"): Transition(S.IN_REVIEW, _REVIEWER, Party.REVIEW),
    (S.IN_REVIEW, "return"): Transition(S.RETURNED, _REVIEWER, Party.REVIEW),
    (S.IN_REVIEW, "accept"): Transition(S.AWAITING_DECISION, _REVIEWER, Party.REVIEW),
    (S.AWAITING_DECISION, "open_consultation"): Transition(
        S.IN_CONSULTATION, _SECRETARY, Party.GROUP
    ),
    (S.IN_CONSULTATION, "close_consultation"): Transition(
        S.AWAITING_DECISION, _SECRETARY, Party.GROUP
    ),
    # The decision's outcome picks approved or rejected (see services.DECIDED_STATE).
    (S.AWAITING_DECISION, "decide"): Transition(S.APPROVED, _SECRETARY, Party.GROUP),
    **{
        (state, "withdraw"): Transition(S.WITHDRAWN, _DEPARTMENT, Party.DEPARTMENT)
        for state in (
            S.DRAFT,
            S.AWAITING_SIGNOFF,
            S.SUBMITTED,
            S.IN_REVIEW,
            S.RETURNED,
            S.IN_CONSULTATION,
            S.AWAITING_DECISION,
        )
    },
}

ACTIONS = sorted({action for _state, action in TRANSITIONS})
# The states in which the department may still change what it applies for.
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})


def actions_from(state: str) -> list[str]:
    return [action for (source, action) in TRANSITIONS if source == state]
