"""A campaign for the personas: 市中区's 2026 evaluation, run by the group office.

Two admissions of 市中区民政局 are in force all of 2026: 高龄津贴协助 in 钟鼓楼社区 and
箭道街社区, and 低保入户核查 in 钟鼓楼社区 alone. Voting runs through March 2026; the tests
move the clock with time_machine.
"""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from jianfu.admission.tests.conftest import JIANDAOJIE, ZHONGGULOU
from jianfu.evaluation import services
from jianfu.evaluation.models import Ballot, Campaign, Evaluator, GroupKind, Target
from jianfu.funds.tests.conftest import admission_row
from jianfu.org.models import Region

DISTRICT = "511002000000"
OPENS = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)
DURING = OPENS + dt.timedelta(days=3)
AFTER = CLOSES + dt.timedelta(hours=1)
_serials = itertools.count(1)


@pytest.fixture
def admissions(personas):
    care = admission_row(
        personas, scope={ZHONGGULOU: 1_000_000, JIANDAOJIE: 800_000}, title="高龄津贴协助"
    )
    check = admission_row(personas, scope={ZHONGGULOU: 500_000}, title="低保入户核查")
    return care, check


def campaign_create(actor, **overrides) -> Campaign:
    values = {
        "district": Region.objects.get(code=DISTRICT),
        "year": 2026,
        "title": "市中区2026年度社区工作准入事项评议",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        **overrides,
    }
    return services.campaign_create(actor=actor, **values)


@pytest.fixture
def campaign(personas, admissions, time_machine) -> Campaign:
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    made = campaign_create(personas.group_secretary)
    return services.campaign_open(actor=personas.group_secretary, campaign=made)


def target_of(campaign: Campaign, admission, region: str) -> Target:
    return Target.objects.get(campaign=campaign, admission=admission, region_id=region)


def ballots(target: Target, kind: str = GroupKind.RESIDENTS, **counts: int) -> None:
    """Ballots written straight into the table for the tally: satisfied=, fairly=, no= counts,
    each from a new evaluator of group `kind` holding a (spent) code."""
    group = target.campaign.groups.get(kind=kind)
    verdicts = [2] * counts.get("satisfied", 0) + [1] * counts.get("fairly", 0)
    verdicts += [0] * counts.get("no", 0)
    evaluators = Evaluator.objects.bulk_create(
        Evaluator(
            campaign=target.campaign,
            group=group,
            region_id=target.region_id,
            code_hash=f"test-{next(_serials)}",
            code_used_at=timezone.now(),
        )
        for _ in verdicts
    )
    Ballot.objects.bulk_create(
        Ballot(
            campaign=target.campaign,
            target=target,
            evaluator=evaluator,
            group=group,
            channel="code",
            overall=verdict,
            rating_1=verdict,
            cast_at=timezone.now(),
        )
        for evaluator, verdict in zip(evaluators, verdicts, strict=True)
    )
