"""Every write of the annual evaluation: campaigns, evaluators, ballots, paper ballots, the
close and its tally, revocations and the published notice."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission, AdmissionScope, AdmissionState
from jianfu.catalog.models import ListKind
from jianfu.core.audit import audit_record
from jianfu.core.crypto import sm3_hex
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.notifications import notify, notify_each
from jianfu.core.permissions import require
from jianfu.evaluation.models import (
    MAX_DIMENSIONS,
    Ballot,
    Campaign,
    CampaignState,
    Channel,
    Dimension,
    EvaluationSettings,
    Evaluator,
    EvaluatorGroup,
    GroupKind,
    Outcome,
    PaperBatch,
    PaperBatchState,
    Rating,
    Target,
    TokenSheet,
    rating_field,
)
from jianfu.evaluation.tally import TargetTally, tally_campaign
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import Role

# Seed 000 names who evaluates; residents' representatives weigh most (seed 004: residents'
# satisfaction is the main standard). A district changes these per campaign.
DEFAULT_GROUPS: tuple[tuple[str, int], ...] = (
    (GroupKind.RESIDENTS, 40),
    (GroupKind.PARTY_MEMBERS, 20),
    (GroupKind.RESIDENT_UNITS, 15),
    (GroupKind.ORGANISATIONS, 15),
    (GroupKind.OTHER_REPRESENTATIVES, 10),
)
# Seed 000: 作用、效果、工作作风、经费落实和群众认可. Data, not interface text: a campaign keeps
# the names it was given.
DEFAULT_DIMENSIONS: tuple[str, ...] = ("作用", "效果", "工作作风", "经费落实", "群众认可")
COMMENT_MAX = 500
MAX_CODES_PER_SHEET = 500
# One-time codes: 12 characters of an alphabet without look-alikes (0/O, 1/I/L), 60 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def settings_for(district: Region) -> EvaluationSettings:
    found, _created = EvaluationSettings.objects.get_or_create(district=district)
    return found


@transaction.atomic
def evaluation_settings_update(
    *,
    actor: User,
    district: Region,
    revoke_threshold_bp: int,
    quorum: int,
    automatic_revocation: bool,
    adjustment_below: int,
) -> EvaluationSettings:
    """Set a district's threshold, quorum and how revocations are applied (new campaigns)."""
    require(actor, "evaluation.manage", district)
    _check_rules(revoke_threshold_bp, quorum)
    if not 0 <= adjustment_below <= 100:
        raise InvalidInput(_("“需调整”分数线应在 0 至 100 之间。"))
    found = settings_for(district)
    before = {
        "revoke_threshold_bp": found.revoke_threshold_bp,
        "quorum": found.quorum,
        "automatic_revocation": found.automatic_revocation,
        "adjustment_below": found.adjustment_below,
    }
    found.revoke_threshold_bp, found.quorum = revoke_threshold_bp, quorum
    found.automatic_revocation, found.adjustment_below = automatic_revocation, adjustment_below
    found.save()
    audit_record(
        actor=actor,
        action="evaluation.settings_update",
        target=found,
        changes={"before": before, "after": {key: getattr(found, key) for key in before}},
    )
    return found


def _check_rules(threshold_bp: int, quorum: int) -> None:
    if not 0 <= threshold_bp <= 10000:
        raise InvalidInput(_("撤销线应在 0% 至 100% 之间。"))
    if quorum < 1:
        raise InvalidInput(_("最少有效票数至少为 1。"))


# ---------------------------------------------------------------------------------------------
# Campaigns


def scope_in_force(district: Region, year: int):
    """The scope rows a campaign for `year` evaluates: departments' admitted work (not a
    community's own duties) in force during the year and not revoked there."""
    return (
        AdmissionScope.objects.filter(
            admission__district=district,
            admission__state__in=[AdmissionState.ACTIVE, AdmissionState.SUSPENDED],
            admission__valid_from__lte=dt.date(year, 12, 31),
            admission__valid_until__gte=dt.date(year, 1, 1),
            revoked_on__isnull=True,
        )
        .exclude(admission__list_kind=ListKind.DUTY)
        .select_related("admission")
        .only("admission_id", "region_id", "admission__department_id", "admission__title")
    )


def _clean_groups(groups: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    cleaned: dict[str, int] = {}
    for kind, weight in groups:
        if kind not in GroupKind.values:
            raise InvalidInput(_("未知的评议人类别：%(kind)s") % {"kind": kind})
        if kind in cleaned:
            raise InvalidInput(_("评议人类别重复：%(kind)s") % {"kind": GroupKind(kind).label})
        if not isinstance(weight, int) or not 1 <= weight <= 1000:
            raise InvalidInput(_("权重应为 1 至 1000 的整数。"))
        cleaned[kind] = weight
    if not cleaned:
        raise InvalidInput(_("至少需要一类评议人。"))
    return list(cleaned.items())


def _clean_dimensions(names: Iterable[str]) -> list[str]:
    cleaned = [str(name).strip() for name in names]
    if not 1 <= len(cleaned) <= MAX_DIMENSIONS:
        raise InvalidInput(_("评议维度应为 1 至 %(max)s 个。") % {"max": MAX_DIMENSIONS})
    if any(not name or len(name) > 50 for name in cleaned) or len(set(cleaned)) != len(cleaned):
        raise InvalidInput(_("评议维度名称不能为空、不能重复，且不超过 50 个字。"))
    return cleaned


def _check_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise InvalidInput(_("投票时间须带时区。"))
    if closes_at <= opens_at:
        raise InvalidInput(_("投票截止时间应晚于开始时间。"))


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    district: Region,
    year: int,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    groups: Sequence[tuple[str, int]] = DEFAULT_GROUPS,
    dimensions: Sequence[str] = DEFAULT_DIMENSIONS,
    quorum: int | None = None,
    revoke_threshold_bp: int | None = None,
    automatic_revocation: bool | None = None,
) -> Campaign:
    """Open the year's campaign in draft, its targets picked from the admissions in force."""
    require(actor, "evaluation.manage", district)
    if district.level != RegionLevel.DISTRICT:
        raise InvalidInput(_("评议活动以区/县为单位组织。"))
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("评议年度无效。"))
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("请填写名称（不超过 200 字）。"))
    rules = settings_for(district)
    quorum = rules.quorum if quorum is None else quorum
    threshold = rules.revoke_threshold_bp if revoke_threshold_bp is None else revoke_threshold_bp
    automatic = rules.automatic_revocation if automatic_revocation is None else automatic_revocation
    _check_rules(threshold, quorum)
    _check_window(opens_at, closes_at)
    groups, dimensions = _clean_groups(groups), _clean_dimensions(dimensions)
    if Campaign.objects.filter(district=district, year=year).exists():
        raise Conflict(_("本区 %(year)s 年度的评议活动已经存在。") % {"year": year}, code="exists")
    campaign = Campaign.objects.create(
        district=district,
        year=year,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        quorum=quorum,
        revoke_threshold_bp=threshold,
        automatic_revocation=automatic,
        created_by=actor,
    )
    EvaluatorGroup.objects.bulk_create(
        EvaluatorGroup(campaign=campaign, kind=kind, weight=weight) for kind, weight in groups
    )
    Dimension.objects.bulk_create(
        Dimension(campaign=campaign, position=position, name=name)
        for position, name in enumerate(dimensions, start=1)
    )
    added = _add_targets(campaign)
    audit_record(
        actor=actor,
        action="evaluation.campaign_create",
        target=campaign,
        changes={
            "year": year,
            "groups": dict(groups),
            "dimensions": dimensions,
            "quorum": quorum,
            "threshold_bp": threshold,
            "automatic": automatic,
            "targets": added,
        },
    )
    return campaign


def _add_targets(campaign: Campaign) -> int:
    known = set(Target.objects.filter(campaign=campaign).values_list("admission_id", "region_id"))
    rows = [
        Target(
            campaign=campaign,
            admission_id=row.admission_id,
            region_id=row.region_id,
            department_id=row.admission.department_id,
            title=row.admission.title,
        )
        for row in scope_in_force(campaign.district, campaign.year)
        if (row.admission_id, row.region_id) not in known
    ]
    Target.objects.bulk_create(rows)
    return len(rows)


def _locked(campaign: Campaign, *states: str, lock: bool = True) -> Campaign:
    """The campaign read again, in one of `states`; locked for update unless `lock` is False
    (enrolling and printing codes need no lock, and must not hold voters up while they run)."""
    campaigns = Campaign.objects.select_for_update() if lock else Campaign.objects
    campaign = campaigns.select_related("district").get(pk=campaign.pk)
    if states and campaign.state not in states:
        raise Conflict(
            _("评议活动当前为“%(state)s”，不能执行此操作。")
            % {"state": CampaignState(campaign.state).label},
            code="wrong_state",
        )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    actor: User,
    campaign: Campaign,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    quorum: int,
    revoke_threshold_bp: int,
    automatic_revocation: bool,
    weights: dict[str, int],
) -> Campaign:
    """Change a campaign still in draft: its window, rules and group weights."""
    require(actor, "evaluation.manage", campaign)
    campaign = _locked(campaign, CampaignState.DRAFT)
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("请填写名称（不超过 200 字）。"))
    _check_rules(revoke_threshold_bp, quorum)
    _check_window(opens_at, closes_at)
    groups = {group.kind: group for group in campaign.groups.all()}
    if set(weights) - set(groups):
        raise InvalidInput(_("只能调整本次评议已有类别的权重。"))
    _clean_groups(weights.items())

    # Every rule the update may change, before and after, so the audit trail tells it all.
    def rules_of() -> dict[str, Any]:
        return {
            "title": campaign.title,
            "opens_at": campaign.opens_at.isoformat(),
            "closes_at": campaign.closes_at.isoformat(),
            "quorum": campaign.quorum,
            "threshold_bp": campaign.revoke_threshold_bp,
            "automatic": campaign.automatic_revocation,
            "weights": {kind: group.weight for kind, group in groups.items()},
        }

    before = rules_of()
    campaign.title, campaign.opens_at, campaign.closes_at = title, opens_at, closes_at
    campaign.quorum, campaign.revoke_threshold_bp = quorum, revoke_threshold_bp
    campaign.automatic_revocation = automatic_revocation
    campaign.save()
    for kind, weight in weights.items():
        groups[kind].weight = weight
    EvaluatorGroup.objects.bulk_update(groups.values(), ["weight"])
    audit_record(
        actor=actor,
        action="evaluation.campaign_update",
        target=campaign,
        changes={"before": before, "after": rules_of()},
    )
    return campaign


@transaction.atomic
def campaign_refresh_targets(*, actor: User, campaign: Campaign) -> int:
    """Pick up admissions issued since the draft was made; returns how many targets were added."""
    require(actor, "evaluation.manage", campaign)
    campaign = _locked(campaign, CampaignState.DRAFT)
    added = _add_targets(campaign)
    audit_record(
        actor=actor, action="evaluation.targets_refresh", target=campaign, changes={"added": added}
    )
    return added


@transaction.atomic
def campaign_open(*, actor: User, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Start accepting ballots (from `opens_at` to `closes_at`) and tell who must take part."""
    require(actor, "evaluation.manage", campaign)
    now = now or timezone.now()
    campaign = _locked(campaign, CampaignState.DRAFT)
    if not campaign.targets.exists():
        raise Conflict(_("没有评议对象，不能开始评议。"), code="no_targets")
    if campaign.closes_at <= now:
        raise Conflict(_("投票截止时间已过，请先修改投票时间。"), code="window_past")
    campaign.state, campaign.opened_at = CampaignState.OPEN, now
    campaign.save(update_fields=["state", "opened_at"])
    audit_record(actor=actor, action="evaluation.campaign_open", target=campaign)
    officers = _officers_of(set(campaign.targets.values_list("region_id", flat=True)))
    voters = User.objects.filter(pk__in=campaign.evaluators.values("user_id"))
    notify(
        recipients=[*officers, *voters],
        message=_("%(title)s 开始投票，截止 %(closes)s")
        % {
            "title": campaign.title,
            "closes": timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M"),
        },
        url=reverse("evaluation_campaign", args=[campaign.pk]),
    )
    return campaign


def _officers_of(regions: set[str]):
    """The officers of the streets and communities evaluated, and of the streets those
    communities lie in: a street enrols evaluators and confirms paper ballots for them."""
    streets = set(
        Region.objects.filter(code__in=regions, level=RegionLevel.COMMUNITY).values_list(
            "parent_id", flat=True
        )
    )
    return User.objects.filter(
        is_active=True,
        unit__region_id__in=regions | streets,
        roles__role__in=[Role.STREET_OFFICER, Role.COMMUNITY_OFFICER],
    )


# ---------------------------------------------------------------------------------------------
# Evaluators and one-time codes


def _check_evaluation_region(campaign: Campaign, region: Region) -> None:
    if region.level not in (
        RegionLevel.STREET,
        RegionLevel.COMMUNITY,
    ) or not region.code.startswith(campaign.district.prefix):
        raise InvalidInput(_("评议人须属于本区的街道或社区。"))


@transaction.atomic
def evaluator_enrol(
    *, actor: User, campaign: Campaign, user: User, group_kind: str, region: Region | None = None
) -> Evaluator:
    """Register an account holder (role 评议代表) as an evaluator of their street or community."""
    campaign = _locked(campaign, CampaignState.DRAFT, CampaignState.OPEN, lock=False)
    region = region or (user.unit.region if user.unit_id else None)
    if region is None:
        raise InvalidInput(_("该账号没有所在单位，不能作为评议人。"))
    require(actor, "evaluation.enrol", region)
    _check_evaluation_region(campaign, region)
    if not user.is_active or not user.has_role(Role.EVALUATOR):
        raise InvalidInput(_("只有具有“评议代表”角色的在用账号才能登记为评议人。"))
    group = campaign.groups.filter(kind=group_kind).first()
    if group is None:
        raise InvalidInput(_("本次评议没有该类评议人。"))
    try:
        with transaction.atomic():
            evaluator = Evaluator.objects.create(
                campaign=campaign, group=group, region=region, user=user, enrolled_by=actor
            )
    except IntegrityError:
        raise Conflict(_("该账号已是本次评议的评议人。"), code="already_enrolled") from None
    audit_record(
        actor=actor,
        action="evaluation.evaluator_enrol",
        target=evaluator,
        changes={"user": user.username, "group": group_kind, "region": region.code},
    )
    return evaluator


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return sm3_hex("evaluation-code:" + normalise_code(code))


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def tokens_issue(
    *,
    actor: User,
    campaign: Campaign,
    region: Region,
    group_kind: str,
    count: int,
    site_url: str = "",
) -> tuple[TokenSheet, list[str]]:
    """Print a sheet of one-time codes for residents' representatives without accounts; the
    codes are returned this once (and kept in the sheet's PDF), never stored in clear."""
    from jianfu.evaluation.sheets import token_sheet_pdf

    require(actor, "evaluation.enrol", region)
    campaign = _locked(campaign, CampaignState.DRAFT, CampaignState.OPEN, lock=False)
    _check_evaluation_region(campaign, region)
    if not 1 <= count <= MAX_CODES_PER_SHEET:
        raise InvalidInput(
            _("每张评议码表可印 1 至 %(max)s 个评议码。") % {"max": MAX_CODES_PER_SHEET}
        )
    group = campaign.groups.filter(kind=group_kind).first()
    if group is None:
        raise InvalidInput(_("本次评议没有该类评议人。"))
    if not campaign.targets.filter(region=region).exists():
        raise InvalidInput(_("%(region)s 没有评议对象。") % {"region": region.name})
    sheet = TokenSheet.objects.create(
        campaign=campaign, region=region, group=group, count=count, issued_by=actor
    )
    # Sheets for one region are numbered one after another: the region's row, locked without
    # blocking the rows that refer to it, makes two sheets printed at once take turns.
    Region.objects.select_for_update(no_key=True).filter(pk=region.pk).first()
    first = Evaluator.objects.filter(campaign=campaign, region=region, user__isnull=True).count()
    codes = [_new_code() for _ in range(count)]
    Evaluator.objects.bulk_create(
        Evaluator(
            campaign=campaign,
            group=group,
            region=region,
            code_hash=code_hash(code),
            sheet=sheet,
            serial=first + number,
            enrolled_by=actor,
        )
        for number, code in enumerate(codes, start=1)
    )
    printed = [format_code(code) for code in codes]
    sheet.pdf = token_sheet_pdf(
        campaign=campaign,
        sheet=sheet,
        site_url=site_url,
        codes=[(first + number, code) for number, code in enumerate(printed, start=1)],
    )
    sheet.save(update_fields=["pdf"])
    audit_record(
        actor=actor,
        action="evaluation.tokens_issue",
        target=sheet,
        changes={"region": region.code, "group": group_kind, "count": count},
    )
    return sheet, printed


def evaluator_for_code(campaign: Campaign, code: str) -> Evaluator | None:
    return (
        Evaluator.objects.filter(campaign=campaign, code_hash=code_hash(code))
        .select_related("group", "region")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Ballots


def _open_for_voting(campaign: Campaign, now: dt.datetime) -> Campaign:
    """The campaign, read under a shared lock, if it accepts ballots at `now`.

    On PostgreSQL the shared row lock lets any number of voters through at once but waits for
    a close in progress (which takes the row exclusively), and reads the campaign as the close
    left it: no ballot is written after a close commits. SQLite writes one transaction at a
    time, which gives the same guarantee.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM evaluation_campaign WHERE id = %s FOR SHARE", [campaign.pk]
            )
    campaign = Campaign.objects.select_related("district").get(pk=campaign.pk)
    if campaign.state != CampaignState.OPEN or not campaign.opens_at <= now < campaign.closes_at:
        # A campaign still in draft has not started, whatever its window says: telling its
        # evaluators that voting has ended would send them away for good.
        if campaign.state == CampaignState.DRAFT or (
            campaign.state == CampaignState.OPEN and now < campaign.opens_at
        ):
            message = _("投票尚未开始（%(opens)s 开始）。") % {
                "opens": timezone.localtime(campaign.opens_at).strftime("%Y-%m-%d %H:%M")
            }
            raise Conflict(message, code="voting_not_started")
        raise Conflict(_("投票已截止，选票无效。"), code="voting_closed")
    return campaign


@dataclass(frozen=True)
class BallotEntry:
    target_id: int
    overall: int
    ratings: dict[int, int]
    comment: str


def _rating(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in Rating.values:
        return value
    return None


def clean_entries(
    campaign: Campaign, region_id: str, entries: Iterable[dict[str, Any]]
) -> list[BallotEntry]:
    """Each entry checked against the targets of the evaluator's street or community and the
    campaign's dimensions; every problem reported at once, keyed by the entry's position."""
    targets = set(
        Target.objects.filter(campaign=campaign, region_id=region_id).values_list("pk", flat=True)
    )
    positions = set(campaign.dimensions.values_list("position", flat=True))
    cleaned, problems, seen = [], {}, set()
    for index, entry in enumerate(entries):
        errors = []
        target = entry.get("target")
        if target not in targets:
            errors.append(_("该评议对象不在您的评议范围内。"))
        elif target in seen:
            errors.append(_("同一评议对象只能评一次。"))
        overall = _rating(entry.get("overall"))
        if overall is None:
            errors.append(_("请选择总体评价：满意、基本满意或不满意。"))
        ratings: dict[int, int] = {}
        for key, value in (entry.get("ratings") or {}).items():
            position = int(key) if str(key).isdigit() else None
            rating = _rating(value)
            if position not in positions or rating is None:
                errors.append(_("评议维度的评价无效。"))
                break
            ratings[position] = rating
        comment = str(entry.get("comment") or "").strip()
        if len(comment) > COMMENT_MAX:
            errors.append(_("意见建议不超过 %(max)s 字。") % {"max": COMMENT_MAX})
        if errors:
            problems[index] = errors
            continue
        seen.add(target)
        cleaned.append(BallotEntry(target, overall, ratings, comment))
    if problems:
        raise InvalidInput(
            _("选票有误，未保存任何评价。"),
            details={"entries": [{"index": i, "errors": e} for i, e in problems.items()]},
        )
    if not cleaned:
        raise InvalidInput(_("请至少评议一个对象。"))
    return cleaned


def _ballot(
    evaluator: Evaluator,
    entry: BallotEntry,
    channel: str,
    now: dt.datetime,
    batch=None,
    *,
    campaign: Campaign,
) -> Ballot:
    ballot = Ballot(
        campaign_id=evaluator.campaign_id,
        # Given, so the ballot need not look its campaign up to copy the year.
        year=campaign.year,
        target_id=entry.target_id,
        evaluator=evaluator,
        group_id=evaluator.group_id,
        channel=channel,
        overall=entry.overall,
        comment=entry.comment,
        paper_batch=batch,
        cast_at=now,
    )
    for position, rating in entry.ratings.items():
        setattr(ballot, rating_field(position), rating)
    return ballot


def _write_ballots(ballots: list[Ballot]) -> None:
    try:
        # A savepoint, so a duplicate is refused without spoiling the caller's transaction.
        with transaction.atomic():
            Ballot.objects.bulk_create(ballots)
    except IntegrityError:
        raise Conflict(
            _("您已对其中的评议对象投过票，每人对每个评议对象只能投一票。"), code="already_voted"
        ) from None


@transaction.atomic
def ballot_cast(
    *,
    actor: User | None,
    campaign: Campaign,
    entries: Iterable[dict[str, Any]],
    code: str | None = None,
    now: dt.datetime | None = None,
) -> list[Ballot]:
    """Cast one evaluator's ballots: a registered evaluator (`actor`) or the holder of a
    one-time code, which is spent by this one submission."""
    now = now or timezone.now()
    campaign = _open_for_voting(campaign, now)
    if code is not None:
        evaluator = evaluator_for_code(campaign, code)
        if evaluator is None:
            raise InvalidInput(_("评议码无效，请核对后重新输入。"), code="bad_code")
        channel = Channel.CODE
    else:
        if actor is None or not actor.is_authenticated:
            raise Forbidden()
        evaluator = (
            Evaluator.objects.filter(campaign=campaign, user=actor)
            .select_related("group", "region")
            .first()
        )
        if evaluator is None:
            raise Forbidden(_("您不是本次评议的评议人。"))
        channel = Channel.WEB
    cleaned = clean_entries(campaign, evaluator.region_id, entries)
    if code is not None:
        # Spent atomically: of two submissions of one code at once, one updates the row and
        # the other finds it used.
        spent = Evaluator.objects.filter(pk=evaluator.pk, code_used_at__isnull=True).update(
            code_used_at=now
        )
        if not spent:
            raise Conflict(_("该评议码已经使用过，每个评议码只能使用一次。"), code="code_used")
    ballots = [_ballot(evaluator, entry, channel, now, campaign=campaign) for entry in cleaned]
    _write_ballots(ballots)
    audit_record(
        actor=actor if code is None else None,
        username="" if code is None else f"code:{evaluator.region_id}-{evaluator.serial}",
        action="evaluation.ballot_cast",
        target=campaign,
        changes={
            "evaluator": evaluator.pk,
            "channel": channel,
            "targets": [entry.target_id for entry in cleaned],
        },
    )
    return ballots


# ---------------------------------------------------------------------------------------------
# Paper ballots


@dataclass(frozen=True)
class PaperRow:
    """One line of a paper-ballot spreadsheet, as read: who, which admission, what verdicts."""

    number: int
    identity: str
    admission_number: str
    overall: str
    ratings: dict[int, str]
    comment: str


RATING_WORDS = {"满意": 2, "基本满意": 1, "不满意": 0, "2": 2, "1": 1, "0": 0}


def _paper_problems(
    campaign: Campaign, region: Region, rows: Sequence[PaperRow]
) -> tuple[list[dict], list[dict]]:
    """(cleaned rows, problems): every bad row with all its reasons."""
    targets = dict(
        Target.objects.filter(campaign=campaign, region=region).values_list(
            "admission__number", "pk"
        )
    )
    positions = set(campaign.dimensions.values_list("position", flat=True))
    by_code = {
        row.code_hash: row
        for row in Evaluator.objects.filter(
            campaign=campaign, code_hash__in=[code_hash(r.identity) for r in rows]
        )
    }
    by_user = {
        row.user.username: row
        for row in Evaluator.objects.filter(
            campaign=campaign, user__username__in=[r.identity for r in rows]
        ).select_related("user")
    }
    evaluators = [by_user.get(r.identity) or by_code.get(code_hash(r.identity)) for r in rows]
    cast = set(
        Ballot.objects.filter(evaluator__in=[e for e in evaluators if e]).values_list(
            "evaluator_id", "target_id"
        )
    )
    cleaned, problems, seen = [], [], set()
    for row, evaluator in zip(rows, evaluators, strict=True):
        errors = []
        target = targets.get(row.admission_number.strip())
        if evaluator is None:
            errors.append(_("评议码或账号“%(id)s”不是本次评议的评议人。") % {"id": row.identity})
        elif evaluator.region_id != region.code:
            errors.append(_("该评议人不属于本社区（街道）。"))
        elif evaluator.code_hash and evaluator.code_used_at is not None:
            errors.append(_("该评议码已经使用过（网上或纸质票）。"))
        if target is None:
            errors.append(
                _("准入编号“%(number)s”不是本社区（街道）的评议对象。")
                % {"number": row.admission_number}
            )
        elif evaluator is not None and (evaluator.pk, target) in cast:
            errors.append(_("该评议人已对此评议对象投过票（网上或纸质票）。"))
        elif evaluator is not None and (evaluator.pk, target) in seen:
            errors.append(_("表中同一评议人对同一评议对象有重复的票。"))
        overall = RATING_WORDS.get(row.overall.strip())
        if overall is None:
            errors.append(_("总体评价应为满意、基本满意或不满意。"))
        ratings = {}
        for position, word in row.ratings.items():
            if not word.strip():
                continue
            if position not in positions or word.strip() not in RATING_WORDS:
                errors.append(_("评议维度的评价应为满意、基本满意或不满意。"))
                break
            ratings[position] = RATING_WORDS[word.strip()]
        if len(row.comment) > COMMENT_MAX:
            errors.append(_("意见建议不超过 %(max)s 字。") % {"max": COMMENT_MAX})
        if errors:
            problems.append({"row": row.number, "errors": errors})
            continue
        seen.add((evaluator.pk, target))
        cleaned.append(
            {
                "evaluator": evaluator.pk,
                "target": target,
                "overall": overall,
                "ratings": ratings,
                "comment": row.comment.strip(),
            }
        )
    return cleaned, problems


@transaction.atomic
def paper_batch_upload(
    *,
    actor: User,
    campaign: Campaign,
    region: Region,
    file_name: str,
    content: bytes,
    now: dt.datetime | None = None,
) -> PaperBatch:
    """Enter a spreadsheet of paper ballots for one community; every row must be good, and the
    ballots are written only when a second officer confirms the batch."""
    from jianfu.evaluation.paper import read_paper_rows

    require(actor, "evaluation.enter_paper", region)
    now = now or timezone.now()
    campaign = _open_for_voting(campaign, now)
    rows = read_paper_rows(campaign, content, file_name)
    cleaned, problems = _paper_problems(campaign, region, rows)
    if problems:
        raise InvalidInput(
            _("纸质票有 %(count)s 行有误，未录入任何选票。") % {"count": len(problems)},
            details={"rows": problems},
        )
    if not cleaned:
        raise InvalidInput(_("文件中没有选票。"))
    batch = PaperBatch.objects.create(
        campaign=campaign,
        region=region,
        file_name=file_name[:200],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=cleaned,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="evaluation.paper_upload",
        target=batch,
        changes={"rows": len(cleaned), "sha256": batch.sha256},
    )
    confirmers = User.objects.filter(
        is_active=True, unit__region_id__in=[region.code, region.parent_id]
    ).exclude(pk=actor.pk)
    notify(
        recipients=[u for u in confirmers if u.has_perm("evaluation.enter_paper", region)],
        message=_("%(region)s 录入了 %(count)s 张纸质票，待您确认")
        % {"region": region.name, "count": len(cleaned)},
        url=reverse("evaluation_paper_batch", args=[batch.pk]),
    )
    return batch


def _locked_batch(batch: PaperBatch) -> PaperBatch:
    batch = PaperBatch.objects.select_for_update().select_related("region").get(pk=batch.pk)
    if batch.state != PaperBatchState.PENDING:
        raise Conflict(_("这批纸质票已经处理过。"), code="wrong_state")
    return batch


@transaction.atomic
def paper_batch_confirm(
    *, actor: User, batch: PaperBatch, now: dt.datetime | None = None
) -> list[Ballot]:
    """A second officer confirms a batch: its ballots are written, its codes spent."""
    now = now or timezone.now()
    require(actor, "evaluation.enter_paper", batch.region)
    campaign = _open_for_voting(batch.campaign, now)
    batch = _locked_batch(batch)
    if batch.uploaded_by_id == actor.pk:
        raise Forbidden(_("纸质票须由录入人以外的工作人员确认。"))
    evaluators = Evaluator.objects.in_bulk({row["evaluator"] for row in batch.rows})
    codes = [e.pk for e in evaluators.values() if e.code_hash]
    # The codes on these ballots are spent now; one used online meanwhile spoils the batch.
    spent = Evaluator.objects.filter(pk__in=codes, code_used_at__isnull=True).update(
        code_used_at=now
    )
    if spent != len(codes):
        raise Conflict(
            _("其中有评议码在录入后已被使用，请作废这批纸质票后重新录入。"), code="code_used"
        )
    ballots = [
        _ballot(
            evaluators[row["evaluator"]],
            BallotEntry(
                row["target"],
                row["overall"],
                {int(k): v for k, v in row["ratings"].items()},
                row["comment"],
            ),
            Channel.PAPER,
            now,
            batch,
            campaign=campaign,
        )
        for row in batch.rows
    ]
    _write_ballots(ballots)
    batch.state, batch.decided_by, batch.decided_at = PaperBatchState.CONFIRMED, actor, now
    batch.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="evaluation.paper_confirm",
        target=batch,
        changes={"campaign": campaign.pk, "ballots": len(ballots)},
    )
    return ballots


@transaction.atomic
def paper_batch_discard(*, actor: User, batch: PaperBatch) -> PaperBatch:
    """Throw away a batch nobody should confirm (e.g. a wrong file); nothing was written."""
    require(actor, "evaluation.enter_paper", batch.region)
    batch = _locked_batch(batch)
    batch.state, batch.decided_by = PaperBatchState.DISCARDED, actor
    batch.decided_at = timezone.now()
    batch.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(actor=actor, action="evaluation.paper_discard", target=batch)
    return batch


# ---------------------------------------------------------------------------------------------
# Close, tally, revocation and publication


def revocation_reason(campaign: Campaign, target: Target) -> str:
    # Not translated: the reason is written into the admission register, a Chinese record.
    return (
        f"{campaign.title}：群众满意率 {target.rate_percent:.1f}%，不过半数"
        f"（有效票 {target.valid_ballots} 张），依照评议结果撤销。"
    )


def _revocation_reason_of(campaign: Campaign, failed: list[Target]) -> str:
    """One admission's reason; failing in several places at once, one reason is written to each
    of them, so it names every place with its own rate."""
    if len(failed) == 1:
        return revocation_reason(campaign, failed[0])
    places = "；".join(
        f"{t.region.name}群众满意率 {t.rate_percent:.1f}%（有效票 {t.valid_ballots} 张）"
        for t in sorted(failed, key=lambda t: t.region_id)
    )
    return f"{campaign.title}：{places}，均不过半数，依照评议结果撤销。"


def _revoke(actor: User | None, campaign: Campaign, targets: list[Target]) -> None:
    """Revoke each admission in the regions where its targets failed, one call per admission."""
    from jianfu.admission.services import admission_revoke_regions

    by_admission: dict[int, list[Target]] = defaultdict(list)
    for target in targets:
        by_admission[target.admission_id].append(target)
    admissions = Admission.objects.in_bulk(list(by_admission))
    for pk, failed in by_admission.items():
        admission = admissions[pk]
        if admission.state in (AdmissionState.ACTIVE, AdmissionState.SUSPENDED):
            admission_revoke_regions(
                actor=actor,
                admission=admission,
                regions=[t.region_id for t in failed],
                reason=_revocation_reason_of(campaign, failed),
                reference=campaign.title[:100],
            )


def _apply_outcomes(
    actor: User | None, campaign: Campaign, tallies: dict[int, TargetTally], now: dt.datetime
) -> None:
    targets = list(campaign.targets.select_related("region"))
    failed = []
    for target in targets:
        tally = tallies.get(target.pk) or TargetTally.empty()
        tally.write_to(target)
        if not tally.has_quorum(campaign.quorum):
            target.outcome = Outcome.BELOW_QUORUM
        elif tally.revokes(campaign.revoke_threshold_bp):
            target.outcome = Outcome.REVOKED if campaign.automatic_revocation else Outcome.TO_REVOKE
            if campaign.automatic_revocation:
                target.decided_at, target.decided_by = now, actor
                failed.append(target)
        else:
            target.outcome = Outcome.KEPT
    Target.objects.bulk_update(
        targets,
        [
            "valid_ballots",
            "satisfied_ballots",
            "weighted_satisfied",
            "weighted_valid",
            "rate",
            "rate_low",
            "rate_high",
            "group_counts",
            "dimension_counts",
            "outcome",
            "decided_at",
            "decided_by",
        ],
        batch_size=500,
    )
    _revoke(actor, campaign, failed)


@transaction.atomic
def campaign_close(
    *, actor: User | None, campaign: Campaign, now: dt.datetime | None = None
) -> Campaign:
    """End the voting once its window has passed, tally every target and apply the outcomes
    (revocation at or below the threshold with a quorum; below the quorum, only a flag)."""
    require(actor, "evaluation.manage", campaign)
    now = now or timezone.now()
    campaign = _locked(campaign, CampaignState.OPEN)
    if now < campaign.closes_at:
        raise Conflict(
            _("投票截止时间（%(closes)s）未到，不能结束评议。")
            % {"closes": timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M")},
            code="window_open",
        )
    # Paper ballots count only once confirmed before the window ended.
    pending = list(campaign.paper_batches.filter(state=PaperBatchState.PENDING))
    PaperBatch.objects.filter(pk__in=[b.pk for b in pending]).update(
        state=PaperBatchState.DISCARDED, decided_at=now
    )
    campaign.state, campaign.closed_at = CampaignState.CLOSED, now
    campaign.save(update_fields=["state", "closed_at"])
    tallies = tally_campaign(campaign)
    _apply_outcomes(actor, campaign, tallies, now)
    audit_record(
        actor=actor,
        action="evaluation.campaign_close",
        target=campaign,
        changes={
            "targets": len(tallies),
            "ballots": sum(t.valid for t in tallies.values()),
            "discarded_paper_batches": [b.pk for b in pending],
        },
    )
    secretaries = User.objects.filter(
        is_active=True,
        roles__role=Role.GROUP_SECRETARY,
        unit__district_code=campaign.district_id,
    )
    notify(
        recipients=secretaries,
        message=_("%(title)s 已截止并完成计票") % {"title": campaign.title},
        url=reverse("evaluation_results", args=[campaign.pk]),
    )
    notify(
        recipients=User.objects.filter(pk__in=[b.uploaded_by_id for b in pending]),
        message=_("%(title)s 已截止，未确认的纸质票未计入") % {"title": campaign.title},
        url=reverse("evaluation_campaign", args=[campaign.pk]),
    )
    return campaign


def campaigns_close_due(*, now: dt.datetime | None = None) -> int:
    """Close every open campaign whose window has ended (the worker's minute poll); returns
    how many this call closed."""
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.filter(state=CampaignState.OPEN, closes_at__lte=now):
        try:
            campaign_close(actor=None, campaign=campaign, now=now)
        except Conflict:
            continue  # another worker closed it first
        closed += 1
    return closed


@transaction.atomic
def target_revocation_confirm(*, actor: User, target: Target) -> Target:
    """The group secretary confirms a revocation the tally proposed (districts that confirm)."""
    require(actor, "evaluation.manage", target.campaign)
    target = Target.objects.select_for_update().select_related("campaign").get(pk=target.pk)
    if target.outcome != Outcome.TO_REVOKE:
        raise Conflict(_("该评议对象没有待确认的撤销。"), code="wrong_state")
    target.outcome, target.decided_at, target.decided_by = Outcome.REVOKED, timezone.now(), actor
    target.save(update_fields=["outcome", "decided_at", "decided_by"])
    _revoke(actor, target.campaign, [target])
    audit_record(
        actor=actor,
        action="evaluation.revocation_confirm",
        target=target,
        changes={"admission": target.admission_id, "region": target.region_id},
    )
    return target


@transaction.atomic
def campaign_publish(*, actor: User, campaign: Campaign, notice: str = "") -> Campaign:
    """Publish the results (通报) and tell everyone concerned, every evaluator who took part
    included."""
    require(actor, "evaluation.manage", campaign)
    campaign = _locked(campaign, CampaignState.CLOSED)
    if campaign.targets.filter(outcome=Outcome.TO_REVOKE).exists():
        raise Conflict(_("尚有待确认撤销的评议对象，请先确认。"), code="pending_revocations")
    campaign.state, campaign.published_at = CampaignState.PUBLISHED, timezone.now()
    campaign.notice = notice.strip()[:5000]
    campaign.save(update_fields=["state", "published_at", "notice"])
    audit_record(actor=actor, action="evaluation.campaign_publish", target=campaign)
    _tell_everyone(campaign)
    return campaign


def _tell_everyone(campaign: Campaign) -> None:
    results = reverse("evaluation_results", args=[campaign.pk])
    mine = reverse("evaluation_my_ballots")
    message = _("%(title)s 结果已通报") % {"title": campaign.title}
    targets = campaign.targets.all()
    departments = set(targets.values_list("department_id", flat=True))
    regions = set(targets.values_list("region_id", flat=True))
    concerned = User.objects.filter(is_active=True).filter(
        unit_id__in=departments, roles__role__in=[Role.DEPT_CLERK, Role.DEPT_HEAD]
    ) | _officers_of(regions)
    voters = set(
        Ballot.objects.filter(campaign=campaign, evaluator__user__isnull=False)
        .values_list("evaluator__user_id", flat=True)
        .distinct()
    )
    staff = set(concerned.values_list("pk", flat=True)) - voters
    active_voters = set(
        User.objects.filter(pk__in=voters, is_active=True).values_list("pk", flat=True)
    )
    notify_each(
        messages=[
            *((pk, message, results) for pk in sorted(staff)),
            # "What became of my vote": each evaluator is sent to their own ballots and outcomes.
            *(
                (
                    pk,
                    _("您参与的%(title)s 结果已通报，点击查看您所评对象的结论")
                    % {"title": campaign.title},
                    mine,
                )
                for pk in sorted(active_voters)
            ),
        ]
    )
