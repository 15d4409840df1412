"""The annual evaluation (一年一评议) over the REST API: campaigns and their lifecycle, voting by
account or one-time code, paper ballots with a second officer's confirmation, the caller's own
ballots and the published results.

The ballot route is the one write in the API open to callers without an account: a resident's
representative holding a one-time code votes with it alone (see `OneTimeCodeAuth`).
"""

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, Query, Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.files import UploadedFile
from pydantic import ConfigDict, StrictInt

from jianfu.api.auth import ActiveSessionAuth, BearerTokenAuth
from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.core.errors import Forbidden, InvalidInput, NotFound
from jianfu.core.requests import client_ip
from jianfu.evaluation import selectors, services
from jianfu.evaluation.guessing import code_guarded
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Channel,
    Evaluator,
    GroupKind,
    Outcome,
    PaperBatch,
    PaperBatchState,
    Rating,
    Target,
    rating_field,
)
from jianfu.org.models import Region, RegionLevel, User

router = Router(tags=["evaluation"])

# A paper-ballot sheet holds at most 20,000 rows (paper.MAX_ROWS); 20 MB is far more than that.
PAPER_MAX_BYTES = 20 * 1024 * 1024
CODE_HEADER = "Evaluation-Code"

RESULTS_FORMULA = (
    "满意率 = Σ_g 权重_g ×（满意_g + 基本满意_g）÷ Σ_g 权重_g × 有效票_g，g 为该评议对象有选票的各类"
    "评议人；有效票达到最少有效票数且满意率不高于撤销线（默认 50%，不过半数）即撤销，以整数精确比较，"
    "恰为 50% 撤销；有效票不足则只标记、不作结论。95% 区间为 Wilson 区间，样本量取 Kish 有效票数 "
    "(Σw)²/Σw²。各维度满意率同样加权，只计评了该维度的选票。\n\n"
    "rate = Σ_g w_g × (satisfied_g + fairly_satisfied_g) / Σ_g w_g × valid_g over the groups g "
    "with ballots for the target. With at least the quorum of valid ballots, a rate at or below "
    "the threshold (default 50 %, 不过半数) revokes — compared exactly in integers, so exactly "
    "50 % revokes; below the quorum the target is only flagged. The 95 % interval is Wilson's "
    "with Kish's effective number of ballots (Σw)²/Σw². Each dimension's rate is weighted the "
    "same way over the ballots that rated it."
)


# ---------------------------------------------------------------------------------------------
# Authentication of the ballot routes


class CodeHolder:
    """`request.auth` of a caller who presents a one-time code instead of an account."""

    is_authenticated = False

    def __bool__(self) -> bool:
        return True


CODE_HOLDER = CodeHolder()


def _body_code(request: HttpRequest) -> str | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code.strip() else None


def _header_code(request: HttpRequest) -> str | None:
    code = request.headers.get(CODE_HEADER, "")
    return code if code.strip() else None


class OneTimeCodeAuth:
    """Lets a caller without an account through when they present a one-time code (in the JSON
    body of a POST, in the `Evaluation-Code` header of a GET); the route then acts for the
    code's evaluator and nobody else."""

    def __call__(self, request: HttpRequest) -> CodeHolder | None:
        code = _body_code(request) if request.method == "POST" else _header_code(request)
        return CODE_HOLDER if code is not None else None


def _no_session_no_entry(request: HttpRequest) -> None:
    """Refuses with 401 a caller left with no way in: no code, no valid token, no session.

    The session authenticator checks CSRF before it looks for a session, so without this a
    cookie-less client (a kiosk, a script) that forgot its code would get a puzzling 403.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        raise AuthenticationError()


# Anonymous callers are allowed (with a code), which the OpenAPI document shows as the empty
# security requirement beside the usual two.
CODE_OR_USER = [OneTimeCodeAuth(), BearerTokenAuth(), _no_session_no_entry, ActiveSessionAuth()]
CODE_OR_USER_SECURITY = {
    "security": [{"BearerTokenAuth": []}, {"ActiveSessionAuth": []}, {}],
}


def _user(request: HttpRequest) -> User:
    if not isinstance(request.auth, User):
        raise AuthenticationError()
    return request.auth


# ---------------------------------------------------------------------------------------------
# Output


class RegionBrief(Schema):
    code: str
    name: str


class UnitBrief(Schema):
    id: int
    name: str


class GroupOut(Schema):
    id: int
    kind: GroupKind
    kind_label: str
    weight: int

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(GroupKind(obj.kind).label)


class DimensionOut(Schema):
    position: int = Field(description="选票上的第几个维度（ratings 的键）· the key in `ratings`")
    name: str


class RulesOut(Schema):
    quorum: int = Field(description="每个评议对象最少有效票数 · valid ballots a decision needs")
    revoke_threshold_bp: int = Field(description="撤销线（万分比）· threshold in basis points")
    revoke_threshold_percent: float = Field(description="满意率不高于此值即撤销 · in percent")
    automatic_revocation: bool = Field(
        description="计票后自动撤销；否则由领导小组办公室逐个确认 · or confirmed one by one"
    )


class CampaignOut(Schema):
    id: int
    district: RegionBrief
    year: int
    title: str
    state: CampaignState
    state_label: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    notice: str = Field(description="通报正文（已通报时）· the published notice")
    rules: RulesOut
    groups: list[GroupOut] = Field(description="评议人类别及权重 · evaluator groups and weights")
    dimensions: list[DimensionOut]
    target_count: int = Field(description="评议对象数 · number of targets")
    ballot_count: int = Field(description="已投选票数（各渠道合计）· ballots cast, all channels")
    results_available: bool = Field(
        description="您现在可读取 /results · whether /results answers you now"
    )

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(CampaignState(obj.state).label)

    @staticmethod
    def resolve_rules(obj) -> dict:
        return {
            "quorum": obj.quorum,
            "revoke_threshold_bp": obj.revoke_threshold_bp,
            "revoke_threshold_percent": obj.threshold_percent,
            "automatic_revocation": obj.automatic_revocation,
        }

    @staticmethod
    def resolve_groups(obj) -> list:
        return list(obj.groups.all())

    @staticmethod
    def resolve_dimensions(obj) -> list:
        return list(obj.dimensions.all())

    @staticmethod
    def resolve_results_available(obj, context) -> bool:
        return selectors.results_visible(user=context["request"].auth, campaign=obj)


class CampaignPage(PageMeta):
    items: list[CampaignOut]


class TargetBrief(Schema):
    id: int
    title: str
    admission_number: str
    department: UnitBrief
    region: RegionBrief


class BallotOut(Schema):
    overall: int = Field(description="0 不满意 · 1 基本满意 · 2 满意")
    overall_label: str
    ratings: dict[str, int] = Field(description="维度位置 → 评价 · dimension position → rating")
    comment: str
    channel: Channel
    cast_at: dt.datetime


class MyTargetOut(Schema):
    target: TargetBrief
    ballot: BallotOut | None = Field(description="您的选票；null：尚未评 · null: not yet rated")
    outcome: Outcome | None = Field(description="结论（结果可见时）· once results are visible")
    outcome_label: str | None
    rate_percent: float | None


class EvaluatorOut(Schema):
    group: GroupKind
    group_label: str
    region: RegionBrief
    code_used: bool | None = Field(description="评议码是否已用（账号评议人为 null）")


class MyBallotsOut(Schema):
    campaign: int
    evaluator: EvaluatorOut
    items: list[MyTargetOut] = Field(
        description="您所在街道或社区的全部评议对象，各附您的选票 · every target you rate"
    )


class CastOut(Schema):
    campaign: int
    channel: Channel
    cast_at: dt.datetime
    targets: list[int] = Field(description="已写入选票的评议对象 · targets now holding your ballot")


class GroupCountOut(Schema):
    kind: GroupKind
    kind_label: str
    weight: int
    valid: int
    satisfied: int = Field(description="满意 + 基本满意")
    very_satisfied: int = Field(description="满意")
    fairly_satisfied: int = Field(description="基本满意")
    dissatisfied: int = Field(description="不满意")


class DimensionRateOut(Schema):
    position: int
    name: str
    rate: float | None
    rate_percent: float | None


class ResultOut(Schema):
    target: int
    title: str
    admission: dict = Field(description="{id, number}")
    region: RegionBrief
    street: RegionBrief | None = Field(description="社区所在街道 · the community's street")
    department: UnitBrief
    valid_ballots: int
    satisfied_ballots: int = Field(description="满意与基本满意票 · satisfied + fairly satisfied")
    weighted_satisfied: int
    weighted_valid: int
    rate: float | None = Field(description="加权满意率（0–1）；无票为 null · weighted rate")
    rate_percent: float | None
    rate_low: float | None = Field(description="95% Wilson 区间下限 · interval, low")
    rate_high: float | None = Field(description="95% Wilson 区间上限 · interval, high")
    groups: list[GroupCountOut]
    dimensions: list[DimensionRateOut]
    outcome: Outcome
    outcome_label: str
    decided_at: dt.datetime | None


class ResultPage(PageMeta):
    items: list[ResultOut]


class PaperBatchOut(Schema):
    id: int
    campaign: int
    region: RegionBrief
    file_name: str
    sha256: str
    state: PaperBatchState
    state_label: str
    rows: int = Field(description="选票行数 · ballot rows in the file")
    uploaded_by: str
    uploaded_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_campaign(obj) -> int:
        return obj.campaign_id

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(PaperBatchState(obj.state).label)

    @staticmethod
    def resolve_rows(obj) -> int:
        return len(obj.rows)

    @staticmethod
    def resolve_uploaded_by(obj) -> str:
        return obj.uploaded_by.display_name

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return obj.decided_by.display_name if obj.decided_by_id else None


class PaperEntryOut(Schema):
    row: int
    evaluator: str = Field(description="账号，或评议码的序号（区划-序号）· account or code serial")
    target: int
    admission_number: str
    title: str
    overall: int
    ratings: dict[str, int]
    comment: str


def _identity(evaluator: Evaluator) -> str:
    # The code itself is never stored: a code holder is named by their card's serial.
    if evaluator.user_id:
        return evaluator.user.username
    return f"{evaluator.region_id}-{evaluator.serial}"


class PaperBatchDetailOut(PaperBatchOut):
    entries: list[PaperEntryOut] = Field(description="这批纸质票的选票 · the ballots it holds")

    @staticmethod
    def resolve_entries(obj) -> list[dict]:
        return [
            {
                "row": number,
                "evaluator": _identity(row["evaluator"]),
                "target": row["target"].pk,
                "admission_number": row["target"].admission.number,
                "title": row["target"].title,
                "overall": row["overall"],
                "ratings": {str(k): v for k, v in row["ratings"].items()},
                "comment": row["comment"],
            }
            for number, row in enumerate(selectors.paper_batch_rows(batch=obj), start=1)
        ]


# ---------------------------------------------------------------------------------------------
# Lookups


def _campaigns(user: User) -> QuerySet[Campaign]:
    """The campaigns the user sees, with what their answer shows, in a fixed number of queries."""
    ballots = (
        Ballot.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        selectors.campaigns_visible_to(user=user)
        .annotate(ballot_count=Coalesce(Subquery(ballots), Value(0)))
        .prefetch_related("groups", "dimensions")
    )


def _campaign_or_404(request: HttpRequest, campaign_id: int) -> Campaign:
    user = _user(request)
    campaign = _campaigns(user).filter(pk=campaign_id).first()
    # A draft is shown to the district's offices alone, which the one-campaign selector knows.
    if campaign is None or (
        campaign.state == CampaignState.DRAFT
        and selectors.campaign_visible_to(user=user, pk=campaign_id) is None
    ):
        raise NotFound()
    return campaign


def _district(request: HttpRequest, code: str) -> Region:
    found = (
        Region.objects.within(_user(request).jurisdiction_prefix)
        .filter(code=code.strip(), level=RegionLevel.DISTRICT)
        .first()
    )
    if found is None:
        raise NotFound(_("未找到区县“%(code)s”，或它不在您的辖区内。") % {"code": code})
    return found


def _batch_or_404(request: HttpRequest, batch_id: int) -> PaperBatch:
    batch = selectors.paper_batch_visible_to(user=_user(request), pk=batch_id)
    if batch is None:
        raise NotFound(_("未找到这批纸质票，或您无权查看。"))
    return (
        PaperBatch.objects.select_related("campaign", "region", "uploaded_by", "decided_by")
        .defer("content")
        .get(pk=batch.pk)
    )


# ---------------------------------------------------------------------------------------------
# Campaigns


class GroupIn(Schema):
    model_config = ConfigDict(use_enum_values=True)

    kind: GroupKind
    weight: int = Field(description="1–1000")


class CampaignIn(Schema):
    district: str = Field(description="区县区划代码 · the district's division code")
    year: int
    title: str
    opens_at: dt.datetime = Field(description="投票开始（带时区）· with a time zone")
    closes_at: dt.datetime = Field(description="投票截止（带时区）· with a time zone")
    groups: list[GroupIn] | None = Field(
        None,
        description="评议人类别及权重；不填为默认（居民代表 40、党员代表 20、驻区单位 15、社会组织 "
        "15、各类组织代表 10）· default weights when absent",
    )
    dimensions: list[str] | None = Field(
        None, description="1–8 个评议维度；不填为 作用、效果、工作作风、经费落实、群众认可"
    )
    quorum: int | None = Field(None, description="最少有效票数；不填取本区设置（默认 30）")
    revoke_threshold_percent: Decimal | None = Field(
        None,
        ge=0,
        le=100,
        decimal_places=2,
        description="撤销线（百分数，至多两位小数，如 50 即不过半数）；不填取本区设置 · "
        "e.g. 50; at most 2 decimals",
    )
    automatic_revocation: bool | None = Field(
        None, description="计票后自动撤销；不填取本区设置 · default: the district's setting"
    )


@router.post(
    "/campaigns",
    response={201: CampaignOut},
    summary="创建评议活动 · Draft the year's campaign; its targets come from the admissions in force",
)
def campaign_create(request: HttpRequest, body: CampaignIn):
    extra: dict[str, Any] = {}
    if body.groups is not None:
        extra["groups"] = [(group.kind, group.weight) for group in body.groups]
    if body.dimensions is not None:
        extra["dimensions"] = body.dimensions
    if body.revoke_threshold_percent is not None:
        # Exact: at most two decimals of a percent are a whole number of basis points.
        extra["revoke_threshold_bp"] = int(body.revoke_threshold_percent * 100)
    campaign = services.campaign_create(
        actor=_user(request),
        district=_district(request, body.district),
        year=body.year,
        title=body.title,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        quorum=body.quorum,
        automatic_revocation=body.automatic_revocation,
        **extra,
    )
    return Status(201, _campaign_or_404(request, campaign.pk))


class CampaignFilters(Schema):
    year: int | None = None
    state: CampaignState | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/campaigns",
    response=CampaignPage,
    summary="评议活动 · Campaigns you may see (your district's), newest first",
)
def campaign_list(request: HttpRequest, filters: Query[CampaignFilters]) -> dict:
    campaigns = _campaigns(_user(request))
    if filters.year is not None:
        campaigns = campaigns.filter(year=filters.year)
    if filters.state:
        campaigns = campaigns.filter(state=filters.state)
    return cursor_page(
        campaigns, key="id", cursor=filters.cursor, limit=filters.limit, descending=True
    )


@router.get(
    "/campaigns/{campaign_id}",
    response=CampaignOut,
    summary="评议活动 · One campaign: state, window, rules, groups, dimensions and counts",
)
def campaign_detail(request: HttpRequest, campaign_id: int):
    return _campaign_or_404(request, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/open",
    response=CampaignOut,
    summary="开始评议 · Open the campaign for voting (the leadership-group office)",
)
def campaign_open(request: HttpRequest, campaign_id: int):
    campaign = _campaign_or_404(request, campaign_id)
    services.campaign_open(actor=_user(request), campaign=campaign)
    return _campaign_or_404(request, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/close",
    response=CampaignOut,
    summary="结束评议并计票 · Close after the window and tally; outcomes are applied",
)
def campaign_close(request: HttpRequest, campaign_id: int):
    campaign = _campaign_or_404(request, campaign_id)
    services.campaign_close(actor=_user(request), campaign=campaign)
    return _campaign_or_404(request, campaign_id)


class PublishIn(Schema):
    notice: str = Field("", description="通报正文，可不填 · the notice, optional")


@router.post(
    "/campaigns/{campaign_id}/publish",
    response=CampaignOut,
    summary="通报结果 · Publish the results; everyone concerned and every evaluator is told",
)
def campaign_publish(request: HttpRequest, campaign_id: int, body: PublishIn | None = None):
    campaign = _campaign_or_404(request, campaign_id)
    services.campaign_publish(
        actor=_user(request), campaign=campaign, notice=body.notice if body else ""
    )
    return _campaign_or_404(request, campaign_id)


# ---------------------------------------------------------------------------------------------
# Ballots


class EntryIn(Schema):
    target: StrictInt = Field(description="评议对象 id · the target's id")
    overall: StrictInt = Field(description="0 不满意 · 1 基本满意 · 2 满意")
    ratings: dict[str, StrictInt | None] = Field(
        default_factory=dict,
        description='各维度评价，键为维度位置，如 {"1": 2}；不评可省略或为 null · per dimension',
    )
    comment: str = ""


class BallotsIn(Schema):
    code: str | None = Field(
        None,
        description="评议码（无账号的居民代表）；有则不需登录，并只以该评议码投票 · a one-time "
        "code: no login needed, and the ballots are the code's",
    )
    entries: list[EntryIn]


@router.post(
    "/campaigns/{campaign_id}/ballots",
    response={201: CastOut},
    auth=CODE_OR_USER,
    openapi_extra=CODE_OR_USER_SECURITY,
    summary="投票 · Cast your ballots: as the logged-in evaluator, or with a one-time code",
    description=(
        "登录的评议人直接提交；无账号的居民代表在请求体中附 `code`（评议码），无需登录，提交一次后评议码"
        "即失效。每人对每个评议对象只能投一票：重复为 409 `already_voted`，评议码已用为 409 "
        "`code_used`，评议码无效为 422 `bad_code`，不在投票时间内为 409 `voting_closed` 或 "
        "`voting_not_started`。任一条有误则一条也不保存。\n\n"
        "A registered evaluator posts as themselves; a residents' representative without an "
        "account adds `code` and needs no login — the code is spent by this one submission. "
        "Nothing is saved unless every entry is good."
    ),
)
def ballot_cast(request: HttpRequest, campaign_id: int, body: BallotsIn):
    entries = [
        {
            **entry.model_dump(exclude={"ratings"}),
            # A dimension sent as null is one left blank, as if it were absent.
            "ratings": {k: v for k, v in entry.ratings.items() if v is not None},
        }
        for entry in body.entries
    ]
    if body.code is not None and body.code.strip():
        campaign = selectors.campaign_for_code_holders(pk=campaign_id)
        if campaign is None:
            raise NotFound()
        ballots = code_guarded(
            client_ip(request),
            campaign,
            lambda: services.ballot_cast(
                actor=None, campaign=campaign, entries=entries, code=body.code
            ),
        )
    else:
        campaign = _campaign_or_404(request, campaign_id)
        ballots = services.ballot_cast(actor=_user(request), campaign=campaign, entries=entries)
    return Status(
        201,
        {
            "campaign": campaign.pk,
            "channel": ballots[0].channel,
            "cast_at": ballots[0].cast_at,
            "targets": [ballot.target_id for ballot in ballots],
        },
    )


def _ballot(ballot: Ballot | None, positions: list[int]) -> dict | None:
    if ballot is None:
        return None
    ratings = {
        str(p): getattr(ballot, rating_field(p))
        for p in positions
        if getattr(ballot, rating_field(p)) is not None
    }
    return {
        "overall": ballot.overall,
        "overall_label": str(Rating(ballot.overall).label),
        "ratings": ratings,
        "comment": ballot.comment,
        "channel": ballot.channel,
        "cast_at": ballot.cast_at,
    }


def _code_holder(campaign: Campaign, code: str) -> Evaluator:
    evaluator = selectors.evaluator_by_code(campaign=campaign, code=code)
    if evaluator is None:
        raise InvalidInput(_("评议码无效，请核对后重新输入。"), code="bad_code")
    return evaluator


def _evaluator_of(request: HttpRequest, campaign_id: int) -> tuple[Campaign, Evaluator, bool]:
    """The caller's evaluator record (by account or by code) and whether they see results."""
    if request.auth is CODE_HOLDER:
        campaign = selectors.campaign_for_code_holders(pk=campaign_id)
        if campaign is None:
            raise NotFound()
        evaluator = code_guarded(
            client_ip(request), campaign, lambda: _code_holder(campaign, _header_code(request))
        )
        return campaign, evaluator, campaign.state == CampaignState.PUBLISHED
    user = _user(request)
    campaign = _campaign_or_404(request, campaign_id)
    evaluator = selectors.evaluator_of(user=user, campaign=campaign)
    if evaluator is None:
        raise Forbidden(_("您不是本次评议的评议人。"))
    return campaign, evaluator, selectors.results_visible(user=user, campaign=campaign)


@router.get(
    "/campaigns/{campaign_id}/my-ballots",
    response=MyBallotsOut,
    auth=CODE_OR_USER,
    openapi_extra=CODE_OR_USER_SECURITY,
    summary="我的选票 · The targets you rate, each with your ballot and, once published, its "
    "outcome",
    description=(
        "登录的评议人，或在 `Evaluation-Code` 请求头中附评议码的居民代表：列出您所在街道或社区的全部"
        "评议对象（投票要用它们的 id）、您的选票，以及结果可见后的结论。别人的选票任何人都看不到。\n\n"
        "A registered evaluator, or a code holder sending the code in the `Evaluation-Code` "
        "header: every target of your street or community (their ids are what you vote on), "
        "your ballot on each, and each outcome once results are visible. Nobody reads anyone "
        "else's ballots."
    ),
)
def my_ballots(
    request: HttpRequest,
    campaign_id: int,
    evaluation_code: Annotated[
        str | None,
        Header(alias=CODE_HEADER, description="评议码（无账号时）· a one-time code, without login"),
    ] = None,
) -> dict:
    campaign, evaluator, results = _evaluator_of(request, campaign_id)
    positions = [dimension.position for dimension in campaign.dimensions.all()]
    items = []
    for target, ballot in selectors.targets_to_rate(evaluator=evaluator):
        items.append(
            {
                "target": {
                    "id": target.pk,
                    "title": target.title,
                    "admission_number": target.admission.number,
                    "department": target.department,
                    "region": evaluator.region,
                },
                "ballot": _ballot(ballot, positions),
                "outcome": target.outcome if results else None,
                "outcome_label": str(Outcome(target.outcome).label) if results else None,
                "rate_percent": target.rate_percent if results else None,
            }
        )
    return {
        "campaign": campaign.pk,
        "evaluator": {
            "group": evaluator.group.kind,
            "group_label": str(GroupKind(evaluator.group.kind).label),
            "region": evaluator.region,
            "code_used": evaluator.code_used_at is not None if evaluator.code_hash else None,
        },
        "items": items,
    }


# ---------------------------------------------------------------------------------------------
# Results


class ResultFilters(Schema):
    region: str | None = Field(None, description="区划代码：该街道或社区的评议对象")
    outcome: Outcome | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _result(target: Target, groups: dict, dimensions: dict) -> dict:
    region = target.region
    street = region.parent if region.level == RegionLevel.COMMUNITY else None
    group_rows = []
    for group_id, counts in sorted(target.group_counts.items(), key=lambda kv: int(kv[0])):
        group = groups[int(group_id)]
        valid, satisfied, very, fairly, dissatisfied = counts
        group_rows.append(
            {
                "kind": group.kind,
                "kind_label": str(GroupKind(group.kind).label),
                "weight": group.weight,
                "valid": valid,
                "satisfied": satisfied,
                "very_satisfied": very,
                "fairly_satisfied": fairly,
                "dissatisfied": dissatisfied,
            }
        )
    dimension_rows = []
    for position, name in dimensions.items():
        weighted_satisfied, weighted_rated = target.dimension_counts.get(str(position), [0, 0])
        rate = weighted_satisfied / weighted_rated if weighted_rated else None
        dimension_rows.append(
            {
                "position": position,
                "name": name,
                "rate": rate,
                "rate_percent": None if rate is None else rate * 100,
            }
        )
    return {
        "target": target.pk,
        "title": target.title,
        "admission": {"id": target.admission_id, "number": target.admission.number},
        "region": region,
        "street": street,
        "department": target.department,
        "valid_ballots": target.valid_ballots,
        "satisfied_ballots": target.satisfied_ballots,
        "weighted_satisfied": target.weighted_satisfied,
        "weighted_valid": target.weighted_valid,
        "rate": target.rate,
        "rate_percent": target.rate_percent,
        "rate_low": target.rate_low,
        "rate_high": target.rate_high,
        "groups": group_rows,
        "dimensions": dimension_rows,
        "outcome": target.outcome,
        "outcome_label": str(Outcome(target.outcome).label),
        "decided_at": target.decided_at,
    }


@router.get(
    "/campaigns/{campaign_id}/results",
    response=ResultPage,
    summary="评议结果 · Per target: ballots per group, weighted rate, Wilson interval, outcome",
    description=(
        "计票后领导小组办公室、准入办和审计可读；通报后本区所有人可读。按评议对象 id 分页。\n\n"
        "After the close: the leadership-group office, review office and auditors; once "
        "published: everyone in the district. Paged by target id.\n\n" + RESULTS_FORMULA
    ),
)
def campaign_results(request: HttpRequest, campaign_id: int, filters: Query[ResultFilters]):
    user = _user(request)
    campaign = _campaign_or_404(request, campaign_id)
    if not selectors.results_visible(user=user, campaign=campaign):
        raise NotFound(_("评议结果尚未公布，或您无权查看。"), code="results_not_available")
    targets = selectors.campaign_results(campaign=campaign)
    if filters.region:
        region = Region.objects.filter(code=filters.region.strip()).first()
        if region is None:
            raise InvalidInput(_("区划代码“%(code)s”不存在。") % {"code": filters.region})
        targets = targets.filter(region__code__startswith=region.prefix)
    if filters.outcome:
        targets = targets.filter(outcome=filters.outcome)
    page = cursor_page(targets, key="id", cursor=filters.cursor, limit=filters.limit)
    # The campaign's groups and dimensions were prefetched with it: no query per target.
    groups = {group.pk: group for group in campaign.groups.all()}
    dimensions = {d.position: d.name for d in campaign.dimensions.all()}
    page["items"] = [_result(target, groups, dimensions) for target in page["items"]]
    return page


class RevocationConfirmIn(Schema):
    target: int = Field(description="待确认撤销的评议对象 id · the target to revoke")


@router.post(
    "/campaigns/{campaign_id}/revocations",
    response=ResultOut,
    summary="确认撤销 · Confirm a revocation the tally proposed (districts that confirm)",
)
def revocation_confirm(request: HttpRequest, campaign_id: int, body: RevocationConfirmIn):
    campaign = _campaign_or_404(request, campaign_id)
    target = selectors.campaign_results(campaign=campaign).filter(pk=body.target).first()
    if target is None:
        raise NotFound(_("本次评议没有这个评议对象。"))
    services.target_revocation_confirm(actor=_user(request), target=target)
    target = selectors.campaign_results(campaign=campaign).get(pk=target.pk)
    groups = {group.pk: group for group in campaign.groups.all()}
    dimensions = {d.position: d.name for d in campaign.dimensions.all()}
    return _result(target, groups, dimensions)


# ---------------------------------------------------------------------------------------------
# Paper ballots


@router.post(
    "/campaigns/{campaign_id}/paper-ballots",
    response={201: PaperBatchOut},
    summary="录入纸质票 · Upload a community's paper ballots (multipart: file, region); a second "
    "officer confirms",
    description=(
        "XLSX 或 CSV，每行一名评议人对一个评议对象：评议码或账号、准入编号、总体评价（满意／基本满意／"
        "不满意）、各维度、意见建议。任一行有误则整批不录入，422 的 `details.rows` 列出每个有误的行及"
        "原因。录入后须由本社区或所在街道的另一名工作人员确认（/paper-batches/{id}/confirm）才写入选票。"
        "\n\nXLSX or CSV, one row per evaluator and target. If any row is bad nothing is entered "
        "and the 422 lists every bad row in `details.rows`. The ballots are written only when "
        "another officer of the community or its street confirms the batch."
    ),
)
def paper_upload(
    request: HttpRequest,
    campaign_id: int,
    region: Form[str],
    file: Annotated[UploadedFile, File(description="XLSX/CSV，最大 20 MB · at most 20 MB")],
):
    user = _user(request)
    campaign = _campaign_or_404(request, campaign_id)
    place = (
        Region.objects.within(user.jurisdiction_prefix)
        .filter(code=region.strip(), level__in=[RegionLevel.STREET, RegionLevel.COMMUNITY])
        .first()
    )
    if place is None:
        raise NotFound(_("未找到街道或社区“%(code)s”，或它不在您的辖区内。") % {"code": region})
    if file.size is not None and file.size > PAPER_MAX_BYTES:
        raise InvalidInput(_("文件不能超过 20 MB。"), code="file_too_large")
    batch = services.paper_batch_upload(
        actor=user,
        campaign=campaign,
        region=place,
        file_name=file.name or "paper.xlsx",
        content=file.read(),
    )
    return Status(201, _batch_or_404(request, batch.pk))


@router.get(
    "/paper-batches/{batch_id}",
    response=PaperBatchDetailOut,
    summary="纸质票批次 · A batch of paper ballots and the ballots it holds",
)
def paper_batch_detail(request: HttpRequest, batch_id: int):
    return _batch_or_404(request, batch_id)


@router.post(
    "/paper-batches/{batch_id}/confirm",
    response=PaperBatchOut,
    summary="确认纸质票 · Confirm a batch (an officer other than who entered it): its ballots "
    "are written",
)
def paper_batch_confirm(request: HttpRequest, batch_id: int):
    batch = _batch_or_404(request, batch_id)
    services.paper_batch_confirm(actor=_user(request), batch=batch)
    return _batch_or_404(request, batch_id)


@router.post(
    "/paper-batches/{batch_id}/discard",
    response=PaperBatchOut,
    summary="作废纸质票批次 · Discard a pending batch (a wrong file, say); nothing was written",
)
def paper_batch_discard(request: HttpRequest, batch_id: int):
    batch = _batch_or_404(request, batch_id)
    services.paper_batch_discard(actor=_user(request), batch=batch)
    return _batch_or_404(request, batch_id)
