"""Every non-trivial read of the annual evaluation, scoped to the reader.

Who reads what:
- a campaign: anyone working in its district (or above it) once it is open; in draft, the
  district's leadership-group office and auditors;
- results: the group office, review office and auditors once the tally has run; everyone in
  the district once published (the public portal shows published results too);
- ballots: an evaluator reads only their own; nobody reads another evaluator's ballot through
  the interface (the tally's counts are what is published);
- evaluators, token sheets and paper batches: the group office for the whole district, a street
  for itself and its communities, a community for itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Channel,
    Evaluator,
    PaperBatch,
    Target,
    TokenSheet,
)
from jianfu.evaluation.rules import is_group_office_of, may_enrol
from jianfu.evaluation.services import code_hash
from jianfu.org.models import NO_JURISDICTION, Region, RegionLevel, User
from jianfu.org.roles import ADMIN_ROLES, Role

DISTRICT_READERS = (Role.GROUP_SECRETARY, Role.REVIEW_OFFICER, Role.AUDITOR)
# Every business role reads its district's campaigns; the three administrators hold none and
# take no part in the evaluation.
EVALUATION_ROLES = tuple(role for role in Role.values if role not in ADMIN_ROLES)


def _district_prefix(user: User) -> str | None:
    """The region prefix the user reads campaigns in: their district's (or wider, above it)."""
    prefix = user.jurisdiction_prefix
    if prefix is None or prefix == NO_JURISDICTION:
        return prefix
    return prefix[:6]


def _reads_district_office(user: User, campaign: Campaign) -> bool:
    unit = user.unit
    return (
        user.has_role(*DISTRICT_READERS)
        and unit is not None
        and (unit.region_id is None or unit.district_code == campaign.district_id)
    )


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign]:
    if not user.is_authenticated or not user.has_role(*EVALUATION_ROLES):
        return Campaign.objects.none()
    prefix = _district_prefix(user)
    if prefix == NO_JURISDICTION:
        return Campaign.objects.none()
    campaigns = Campaign.objects.select_related("district").annotate(
        target_count=Count("targets", distinct=True)
    )
    if prefix is not None:
        campaigns = campaigns.filter(district__code__startswith=prefix)
    if not user.has_role(Role.GROUP_SECRETARY, Role.AUDITOR):
        campaigns = campaigns.exclude(state=CampaignState.DRAFT)
    return campaigns


def campaign_visible_to(*, user: User, pk: int) -> Campaign | None:
    campaign = campaigns_visible_to(user=user).filter(pk=pk).first()
    if campaign is None:
        return None
    if campaign.state == CampaignState.DRAFT and not _reads_district_office(user, campaign):
        return None
    return campaign


def results_visible(*, user: User, campaign: Campaign) -> bool:
    if campaign.state == CampaignState.PUBLISHED:
        return True
    return campaign.state == CampaignState.CLOSED and _reads_district_office(user, campaign)


def campaign_results(*, campaign: Campaign) -> QuerySet[Target]:
    """Every target with its tally, department and place, in the published order."""
    return (
        campaign.targets.select_related("department", "region", "region__parent", "admission")
        .defer("admission__agreement_pdf")
        .order_by("region_id", "department__sort_key", "admission__number")
    )


def evaluator_of(*, user: User, campaign: Campaign) -> Evaluator | None:
    if not user.is_authenticated:
        return None
    return (
        Evaluator.objects.filter(campaign=campaign, user=user)
        .select_related("group", "region")
        .first()
    )


def evaluator_by_code(*, campaign: Campaign, code: str) -> Evaluator | None:
    return (
        Evaluator.objects.filter(campaign=campaign, code_hash=code_hash(code))
        .select_related("group", "region")
        .first()
    )


def campaigns_taking_codes(*, now: dt.datetime) -> QuerySet[Campaign]:
    """The campaigns of every district whose voting has not ended, for the code page's choice
    (its visitors have no account, so no jurisdiction narrows them)."""
    return (
        Campaign.objects.filter(state=CampaignState.OPEN, closes_at__gt=now)
        .select_related("district")
        .order_by("district_id", "-year")
    )


def campaign_for_code_holders(*, pk: int) -> Campaign | None:
    """A campaign the code page may name: any but a draft, so that a published one answers
    "what became of my vote" for a used code."""
    return (
        Campaign.objects.exclude(state=CampaignState.DRAFT)
        .select_related("district")
        .filter(pk=pk)
        .first()
    )


def targets_to_rate(*, evaluator: Evaluator) -> list[tuple[Target, Ballot | None]]:
    """The targets of the evaluator's street or community, each with their ballot if cast."""
    mine = {b.target_id: b for b in Ballot.objects.filter(evaluator=evaluator)}
    targets = (
        Target.objects.filter(campaign_id=evaluator.campaign_id, region_id=evaluator.region_id)
        .select_related("department", "admission")
        .defer("admission__agreement_pdf")
        .order_by("department__sort_key", "admission__number")
    )
    return [(target, mine.get(target.pk)) for target in targets]


def ballots_of(*, user: User) -> QuerySet[Ballot]:
    """An evaluator's own ballots, every campaign, with what became of each target."""
    if not user.is_authenticated:
        return Ballot.objects.none()
    return (
        Ballot.objects.filter(evaluator__user=user)
        .select_related("campaign", "target", "target__department", "target__region")
        .order_by("-campaign__year", "target__region_id", "target_id")
    )


def ballots_of_evaluator(*, evaluator: Evaluator) -> QuerySet[Ballot]:
    return (
        Ballot.objects.filter(evaluator=evaluator)
        .select_related("campaign", "target", "target__department", "target__region")
        .order_by("target_id")
    )


def regions_managed_by(*, user: User, campaign: Campaign) -> QuerySet[Region]:
    """The streets and communities with targets whose evaluators the user enrols."""
    regions = Region.objects.filter(
        code__in=campaign.targets.values("region_id"),
        level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY],
    ).select_related("parent")
    if is_group_office_of(user, campaign):
        return regions
    unit = user.unit if user.is_authenticated else None
    if unit is None or unit.region_id is None:
        return Region.objects.none()
    candidates = regions.filter(Q(code=unit.region_id) | Q(parent_id=unit.region_id))
    allowed = [region.code for region in candidates if may_enrol(user, region)]
    return regions.filter(code__in=allowed)


def evaluators_visible_to(*, user: User, campaign: Campaign) -> QuerySet[Evaluator]:
    return (
        Evaluator.objects.filter(
            campaign=campaign, region__in=regions_managed_by(user=user, campaign=campaign)
        )
        .select_related("group", "region", "user")
        .annotate(ballot_count=Count("ballots"))
    )


def sheets_visible_to(*, user: User, campaign: Campaign) -> QuerySet[TokenSheet]:
    return (
        TokenSheet.objects.filter(
            campaign=campaign, region__in=regions_managed_by(user=user, campaign=campaign)
        )
        .select_related("region", "group", "issued_by")
        .defer("pdf")
    )


def paper_batches_visible_to(*, user: User, campaign: Campaign) -> QuerySet[PaperBatch]:
    return (
        PaperBatch.objects.filter(
            campaign=campaign, region__in=regions_managed_by(user=user, campaign=campaign)
        )
        .select_related("region", "uploaded_by", "decided_by")
        .defer("content")
    )


def paper_batch_visible_to(*, user: User, pk: int) -> PaperBatch | None:
    batch = PaperBatch.objects.select_related("campaign", "region").filter(pk=pk).first()
    if batch is None or not may_enrol(user, batch.region):
        return None
    return batch


def targets_by_region(*, campaign: Campaign) -> list[dict[str, Any]]:
    """How many targets each street and community has, communities under their street."""
    rows = list(
        campaign.targets.values(
            "region_id", "region__name", "region__level", "region__parent__name"
        )
        .annotate(count=Count("id"))
        .order_by("region_id")
    )
    return [
        {
            "code": row["region_id"],
            "name": row["region__name"],
            "street": row["region__parent__name"]
            if row["region__level"] == RegionLevel.COMMUNITY
            else "",
            "count": row["count"],
        }
        for row in rows
    ]


def campaign_participation(*, campaign: Campaign) -> dict[str, int]:
    """Evaluators and ballots of the whole campaign, counted (never listed by person)."""
    evaluators = campaign.evaluators.aggregate(
        total=Count("id"),
        registered=Count("id", filter=Q(user__isnull=False)),
        codes=Count("id", filter=Q(code_hash__isnull=False)),
        codes_used=Count("id", filter=Q(code_used_at__isnull=False)),
    )
    ballots = Ballot.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        voters=Count("evaluator", distinct=True),
        web=Count("id", filter=Q(channel=Channel.WEB)),
        code=Count("id", filter=Q(channel=Channel.CODE)),
        paper=Count("id", filter=Q(channel=Channel.PAPER)),
    )
    return {**{f"evaluators_{k}": v for k, v in evaluators.items()}, **ballots}


def sheet_visible_to(*, user: User, pk: int) -> TokenSheet | None:
    """A token sheet with its PDF, for whoever may enrol evaluators in its street or community."""
    sheet = TokenSheet.objects.select_related("region", "campaign").filter(pk=pk).first()
    if sheet is None or not may_enrol(user, sheet.region):
        return None
    return sheet


def paper_batch_rows(*, batch: PaperBatch) -> list[dict[str, Any]]:
    """The batch's rows as read from its file, with the target and the evaluator named."""
    rows = batch.rows or []
    targets = (
        Target.objects.filter(pk__in={row["target"] for row in rows})
        .select_related("admission", "department")
        .only("title", "admission__number", "department__name")
        .in_bulk()
    )
    evaluators = (
        Evaluator.objects.filter(pk__in={row["evaluator"] for row in rows})
        .select_related("user")
        .only("serial", "region_id", "code_hash", "user__username", "user__display_name")
        .in_bulk()
    )
    return [
        {
            "target": targets.get(row["target"]),
            "evaluator": evaluators.get(row["evaluator"]),
            "overall": row["overall"],
            "ratings": {int(k): v for k, v in (row.get("ratings") or {}).items()},
            "comment": row.get("comment", ""),
        }
        for row in rows
    ]
