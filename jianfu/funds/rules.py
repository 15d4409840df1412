"""Who may move money: the district's finance office funds budget lines; a department (or the
finance office) transfers from its own lines; a street records its communities' spending."""

from __future__ import annotations

import rules

from jianfu.funds.models import Account, AccountKind, LedgerTransaction, TransactionKind
from jianfu.org.models import User
from jianfu.org.roles import Role
from jianfu.org.rules import active_unit


def _finance_office_of(user: User, account: Account) -> bool:
    """A finance officer of the account's district (the district's own finance office)."""
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.FINANCE_OFFICER)
        and unit.region_id == unit.district_code == account.district_code
    )


@rules.predicate
def may_appropriate(user: User, account: Account) -> bool:
    return account.kind == AccountKind.BUDGET and _finance_office_of(user, account)


@rules.predicate
def may_transfer(user: User, account: Account) -> bool:
    """From a budget line: its own department's clerk or head, or the district finance office."""
    if account.kind != AccountKind.BUDGET:
        return False
    unit = active_unit(user)
    own = (
        unit is not None
        and unit.pk == account.unit_id
        and user.has_role(Role.DEPT_CLERK, Role.DEPT_HEAD)
    )
    return own or _finance_office_of(user, account)


@rules.predicate
def may_spend(user: User, account: Account) -> bool:
    """The street keeps its communities' accounts (居财街管) and records their spending."""
    if account.kind not in (AccountKind.COMMUNITY, AccountKind.BASE) or account.parent is None:
        return False
    unit = active_unit(user)
    return (
        unit is not None
        and user.has_role(Role.STREET_OFFICER)
        and unit.region_id == account.parent.region_id
    )


# Who may reverse a transaction: whoever may write one of its kind, judged on the account
# whose owner wrote it (the budget line, or the community's account for a spend).
REVERSAL_PERMISSIONS = {
    TransactionKind.APPROPRIATION: ("funds.appropriate", {AccountKind.BUDGET}),
    TransactionKind.TRANSFER: ("funds.transfer", {AccountKind.BUDGET}),
    TransactionKind.BASE_ALLOCATION: ("funds.transfer", {AccountKind.BUDGET}),
    TransactionKind.SPEND: ("funds.spend", {AccountKind.COMMUNITY, AccountKind.BASE}),
}


@rules.predicate
def may_reverse(user: User, entry: LedgerTransaction) -> bool:
    """Judged on every posting of the transaction, not just those the user reads; a reversal is
    judged as its original (whether it may itself be reversed is the service's business)."""
    original = entry.reverses if entry.kind == TransactionKind.REVERSAL else entry
    permission, kinds = REVERSAL_PERMISSIONS[TransactionKind(original.kind)]
    owner = (
        Account.objects.filter(postings__transaction=entry, kind__in=kinds)
        .select_related("parent")
        .first()
    )
    return owner is not None and user.has_perm(permission, owner)


rules.add_perm("funds.appropriate", may_appropriate)
rules.add_perm("funds.transfer", may_transfer)
rules.add_perm("funds.spend", may_spend)
rules.add_perm("funds.reverse", may_reverse)
