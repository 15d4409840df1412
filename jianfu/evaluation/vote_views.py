"""The voting pages: a registered evaluator's ballot, the one-time code page for residents'
representatives without an account (the QR codes of the token sheets open it), and "my
ballots", which tells each evaluator what became of their votes once the results are published.

Reads go through evaluation.selectors, ballots through services.ballot_cast; the pages only
turn the form into ballot entries and show what the service answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from jianfu.core.errors import DomainError
from jianfu.core.requests import client_ip
from jianfu.evaluation import selectors, services
from jianfu.evaluation.guessing import code_attempts_refused, code_failure_record
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Dimension,
    Evaluator,
    Rating,
    Target,
    rating_field,
)
from jianfu.org.models import User

# The buttons of every question, in the order a ballot paper prints them.
CHOICES = (Rating.SATISFIED, Rating.FAIRLY_SATISFIED, Rating.DISSATISFIED)


# The questions of a ballot ---------------------------------------------------------------------


@dataclass
class Question:
    name: str
    label: str
    value: int | None = None
    overall: bool = False


@dataclass
class Card:
    """One target on the page: its questions to answer, or the ballot already cast."""

    target: Target
    ballot: Ballot | None
    questions: list[Question]
    comment: str = ""
    errors: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)


def rating_choices() -> list[dict[str, Any]]:
    return [{"value": choice.value, "label": choice.label} for choice in CHOICES]


def _prefix(target: Target) -> str:
    return f"t{target.pk}-"


def _choice(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def verdicts_of(ballot: Ballot, dimensions: Iterable[Dimension]) -> list[dict[str, Any]]:
    """A ballot's answers, overall first, then each dimension rated: question, verdict, value."""
    answers = [(_("总体评价"), ballot.overall)]
    answers += [(d.name, getattr(ballot, rating_field(d.position))) for d in dimensions]
    return [
        {"question": question, "verdict": Rating(value).label, "value": value}
        for question, value in answers
        if value is not None
    ]


def _cards(
    pairs: list[tuple[Target, Ballot | None]],
    dimensions: list[Dimension],
    posted: QueryDict | None = None,
    errors: dict[int, list[str]] | None = None,
) -> list[Card]:
    """The page's cards, with what was posted kept when the form comes back with errors."""
    posted, errors = posted or QueryDict(), errors or {}
    cards = []
    for target, ballot in pairs:
        prefix = _prefix(target)
        questions = [Question(prefix + "overall", _("总体评价"), overall=True)]
        questions += [Question(f"{prefix}d{d.position}", d.name) for d in dimensions]
        for question in questions:
            question.value = _choice(posted.get(question.name))
        cards.append(
            Card(
                target=target,
                ballot=ballot,
                questions=questions,
                comment=posted.get(prefix + "comment", ""),
                errors=errors.get(target.pk, []),
                verdicts=verdicts_of(ballot, dimensions) if ballot else [],
            )
        )
    return cards


def _entries(
    posted: QueryDict, pairs: list[tuple[Target, Ballot | None]], dimensions: list[Dimension]
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """The ballot entries of the targets the voter filled in (a target left blank is skipped),
    and the targets filled in without an overall verdict."""
    entries, errors = [], {}
    for target, ballot in pairs:
        if ballot is not None:
            continue
        prefix = _prefix(target)
        overall = _choice(posted.get(prefix + "overall"))
        ratings = {
            str(d.position): value
            for d in dimensions
            if (value := _choice(posted.get(f"{prefix}d{d.position}"))) is not None
        }
        comment = posted.get(prefix + "comment", "").strip()
        if overall is None and not ratings and not comment:
            continue
        if overall is None:
            errors[target.pk] = [
                _("请选择总体评价（满意、基本满意或不满意）；不评此项请点“清空本项”。")
            ]
            continue
        entries.append(
            {"target": target.pk, "overall": overall, "ratings": ratings, "comment": comment}
        )
    return entries, errors


def cleared(posted: QueryDict) -> QueryDict | None:
    """The form without one target's answers when the voter pressed that card's 清空本项 (a
    chosen radio button cannot be unchosen otherwise); None for any other submission."""
    target = posted.get("clear", "")
    if not target.isdigit():
        return None
    kept = posted.copy()
    for key in [key for key in kept if key.startswith(f"t{target}-")]:
        del kept[key]
    return kept


def _service_errors(error: DomainError, entries: list[dict[str, Any]]) -> dict[int, list[str]]:
    """The service's per-entry problems, keyed by target instead of position."""
    details = error.details if isinstance(error.details, dict) else {}
    return {
        entries[problem["index"]]["target"]: problem["errors"]
        for problem in details.get("entries", [])
        if 0 <= problem["index"] < len(entries)
    }


def _window(campaign: Campaign) -> dict[str, str]:
    return {
        "opens": timezone.localtime(campaign.opens_at).strftime("%Y-%m-%d %H:%M"),
        "closes": timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M"),
    }


def voting_closed_message(campaign: Campaign, now) -> str | None:
    """Why the campaign takes no ballot now, with its window; None while it takes them."""
    if campaign.state == CampaignState.OPEN and campaign.opens_at <= now < campaign.closes_at:
        return None
    if campaign.state == CampaignState.DRAFT or now < campaign.opens_at:
        return _("投票尚未开始。投票时间：%(opens)s 至 %(closes)s。") % _window(campaign)
    if campaign.state == CampaignState.PUBLISHED:
        return _("投票已于 %(closes)s 截止，结果已通报。") % _window(campaign)
    return _("投票已于 %(closes)s 截止。") % _window(campaign)


def _cast(
    request: HttpRequest,
    campaign: Campaign,
    pairs: list[tuple[Target, Ballot | None]],
    dimensions: list[Dimension],
    *,
    actor: User | None,
    code: str | None = None,
) -> tuple[list[Ballot] | None, dict[str, Any]]:
    """Cast the posted ballot: (the ballots written, {}) or (None, what to show again)."""
    entries, errors = _entries(request.POST, pairs, dimensions)
    problem, refusal = "", ""
    if errors:
        problem = _("有评议对象只选了分项、没有选总体评价，未保存任何评价。")
    else:
        try:
            ballots = services.ballot_cast(
                actor=actor, campaign=campaign, entries=entries, code=code
            )
        except DomainError as error:
            problem, refusal = str(error.message), error.code
            errors = _service_errors(error, entries)
        else:
            return ballots, {}
    cards = _cards(pairs, dimensions, request.POST, errors)
    return None, {"problem": problem, "refusal": refusal, "cards": cards}


# The registered evaluator's page ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_visible_to(user=request.user, pk=pk)
    if campaign is None:
        raise Http404
    context: dict[str, Any] = {"campaign": campaign, "choices": rating_choices()}
    evaluator = selectors.evaluator_of(user=request.user, campaign=campaign)
    if evaluator is None:
        # Only the street or community enrols its evaluators; everyone else reads why not.
        return render(
            request, "evaluation/vote.html", {**context, "not_enrolled": True}, status=403
        )
    context["evaluator"] = evaluator
    closed = voting_closed_message(campaign, timezone.now())
    if closed:
        return render(request, "evaluation/vote.html", {**context, "closed": closed})
    dimensions = list(campaign.dimensions.all())
    pairs = selectors.targets_to_rate(evaluator=evaluator)
    if request.method == "POST" and (kept := cleared(request.POST)) is not None:
        context["cards"] = _cards(pairs, dimensions, kept)
    elif request.method == "POST":
        cast, again = _cast(request, campaign, pairs, dimensions, actor=request.user)
        if cast is not None:
            messages.success(
                request,
                ngettext(
                    "已提交 %(count)d 个评议对象的评价，谢谢您！",
                    "已提交 %(count)d 个评议对象的评价，谢谢您！",
                    len(cast),
                )
                % {"count": len(cast)},
            )
            return redirect("evaluation_vote", pk=campaign.pk)
        context.update(again)
    context.setdefault("cards", _cards(pairs, dimensions))
    context["to_rate"] = sum(1 for _target, ballot in pairs if ballot is None)
    return render(request, "evaluation/vote.html", context)


# The one-time code page -------------------------------------------------------------------------


def _code_outcomes(campaign: Campaign, evaluator: Evaluator) -> list[dict[str, Any]]:
    """The ballots cast with a code and what became of each target, once published."""
    if campaign.state != CampaignState.PUBLISHED:
        return []
    dimensions = list(campaign.dimensions.all())
    return [
        {"ballot": ballot, "verdicts": verdicts_of(ballot, dimensions)}
        for ballot in selectors.ballots_of_evaluator(evaluator=evaluator)
    ]


def _code_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "evaluation/vote_code.html", context, status=status)


@require_http_methods(["GET", "POST"])
def vote_with_code(request: HttpRequest) -> HttpResponse:
    """Step 1: the campaign and the code (the QR code fills both in); step 2: the ballot of the
    code's street or community; a used code shows what became of its ballots."""
    data = request.POST if request.method == "POST" else request.GET
    code = data.get("code", "").strip()[:40]
    campaign_id = data.get("campaign", "").strip()
    now = timezone.now()
    # A number too long for the key column is no campaign (and must not reach the database).
    known = campaign_id.isdigit() and len(campaign_id) <= 12
    campaign = selectors.campaign_for_code_holders(pk=int(campaign_id)) if known else None
    context: dict[str, Any] = {
        "campaigns": list(selectors.campaigns_taking_codes(now=now)),
        "campaign": campaign,
        "campaign_id": campaign_id,
        "code": code,
        "choices": rating_choices(),
    }
    if not code or campaign is None:
        if campaign_id and campaign is None:
            context["problem"] = _("未找到该评议活动，或该评议尚未开始。")
        elif code:
            context["problem"] = _("请选择评议活动。")
        elif request.method == "POST":
            context["problem"] = _("请输入评议码（印在评议码表上，如 ABCD-EFGH-JKMN）。")
        return _code_page(request, context)
    ip = client_ip(request)
    if code_attempts_refused(ip):
        context["problem"] = _("评议码输入错误次数过多，请 15 分钟后再试。")
        context["locked"] = True
        return _code_page(request, context, status=429)
    evaluator = selectors.evaluator_by_code(campaign=campaign, code=code)
    if evaluator is None:
        code_failure_record(ip, campaign)
        context["problem"] = _("评议码无效，请核对评议码和所选的评议活动后重新输入。")
        return _code_page(request, context)
    context["evaluator"] = evaluator
    context["code"] = services.format_code(services.normalise_code(code))
    if evaluator.code_used_at is not None:
        context.update(used=True, outcomes=_code_outcomes(campaign, evaluator))
        return _code_page(request, context)
    closed = voting_closed_message(campaign, now)
    if closed:
        return _code_page(request, {**context, "closed": closed})
    dimensions = list(campaign.dimensions.all())
    pairs = selectors.targets_to_rate(evaluator=evaluator)
    if request.method == "POST" and (kept := cleared(request.POST)) is not None:
        context["cards"] = _cards(pairs, dimensions, kept)
    elif request.method == "POST" and "cast" in request.POST:
        cast, again = _cast(request, campaign, pairs, dimensions, actor=None, code=code)
        if cast is not None:
            return _code_page(request, {**context, "done": len(cast)})
        if again["refusal"] == "code_used":
            # Spent by another submission meanwhile (a second tab, a paper ballot confirmed).
            return _code_page(request, {**context, "used": True})
        context.update(again)
    context.setdefault("cards", _cards(pairs, dimensions))
    return _code_page(request, context)


# My ballots -------------------------------------------------------------------------------------


@login_required
@require_GET
def my_ballots(request: HttpRequest) -> HttpResponse:
    """The user's own ballots by campaign, with what became of each target once published."""
    ballots = list(selectors.ballots_of(user=request.user))
    dimensions: dict[int, list[Dimension]] = {}
    for dimension in Dimension.objects.filter(campaign_id__in={b.campaign_id for b in ballots}):
        dimensions.setdefault(dimension.campaign_id, []).append(dimension)
    campaigns: dict[int, dict[str, Any]] = {}
    for ballot in ballots:
        group = campaigns.setdefault(
            ballot.campaign_id,
            {
                "campaign": ballot.campaign,
                "published": ballot.campaign.state == CampaignState.PUBLISHED,
                "rows": [],
            },
        )
        verdicts = verdicts_of(ballot, dimensions.get(ballot.campaign_id, []))
        group["rows"].append({"ballot": ballot, "verdicts": verdicts})
    return render(request, "evaluation/my_ballots.html", {"campaigns": list(campaigns.values())})
