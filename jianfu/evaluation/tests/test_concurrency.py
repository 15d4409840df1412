"""Ballots racing each other and the close on PostgreSQL (requirement 2): one evaluator sending
the same ballot from several devices at once writes one; one code typed on several phones at
once is spent once; a close and ballots arriving together leave no ballot outside the tally.
SQLite admits one writer at a time, so there is no race to test there and the file is skipped.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from jianfu.core.errors import Conflict
from jianfu.evaluation import services
from jianfu.evaluation.models import Ballot, Campaign, CampaignState, Evaluator, GroupKind, Target
from jianfu.evaluation.tests.conftest import CLOSES, DURING, ZHONGGULOU, target_of
from jianfu.org.models import Region, User

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: SQLite admits one writer at a time, so there is no race to test",
)

# Fewer connections than the pool's ten: the test's own connection is one of them.
WORKERS = 8
LAST_SECOND = CLOSES - dt.timedelta(seconds=1)


def race(work, workers: int = WORKERS) -> list[str]:
    """Run `work(worker)` in threads released together; each returns an outcome."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(worker)
            with lock:
                outcomes.extend(result if isinstance(result, list) else [result])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a voter hung"
    return outcomes


def cast(campaign_pk: int, entries, *, actor=None, code=None, now=DURING) -> str:
    try:
        services.ballot_cast(
            actor=actor,
            campaign=Campaign(pk=campaign_pk),
            entries=entries,
            code=code,
            now=now,
        )
    except Conflict as error:
        return error.code
    return "ok"


def codes_for(personas, campaign, count: int) -> list[str]:
    _sheet, codes = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=count,
    )
    return codes


def test_concurrent_duplicate_ballots_write_one(live_db, personas, campaign, admissions):
    care, _check = admissions
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    target = target_of(campaign, care, ZHONGGULOU).pk

    def work(worker: int) -> str:
        actor = User.objects.select_related("unit").get(pk=personas.evaluator.pk)
        return cast(campaign.pk, [{"target": target, "overall": worker % 3}], actor=actor)

    outcomes = race(work)
    assert sorted(outcomes) == ["already_voted"] * (WORKERS - 1) + ["ok"]
    assert Ballot.objects.filter(target_id=target).count() == 1


def test_concurrent_code_use_writes_once(live_db, personas, campaign, admissions):
    """The same code on eight phones, each rating a different mix of the targets: one wins."""
    care, check = admissions
    [code] = codes_for(personas, campaign, 1)
    targets = [target_of(campaign, care, ZHONGGULOU).pk, target_of(campaign, check, ZHONGGULOU).pk]

    def work(worker: int) -> str:
        entries = [{"target": t, "overall": 2} for t in targets[: 1 + worker % 2]]
        return cast(campaign.pk, entries, code=code)

    outcomes = race(work)
    assert sorted(outcomes) == ["code_used"] * (WORKERS - 1) + ["ok"]
    holder = Evaluator.objects.get(code_hash=services.code_hash(code))
    assert holder.code_used_at is not None
    assert 1 <= Ballot.objects.filter(evaluator=holder).count() <= 2
    assert Ballot.objects.count() == Ballot.objects.filter(evaluator=holder).count()


def test_no_ballot_lands_after_close_commits(live_db, personas, campaign, admissions):
    """Code holders vote in the last second while the worker closes the campaign: every ballot
    accepted is in the tally, every other one was refused as late, and its code is unspent."""
    care, check = admissions
    per_worker = 6
    codes = codes_for(personas, campaign, (WORKERS - 1) * per_worker)
    targets = [target_of(campaign, care, ZHONGGULOU).pk, target_of(campaign, check, ZHONGGULOU).pk]

    def work(worker: int) -> list[str]:
        if worker == 0:
            time.sleep(0.03)  # let the first ballots through, then close in their midst
            services.campaigns_close_due(now=CLOSES)
            return []
        results = []
        for code in codes[(worker - 1) * per_worker : worker * per_worker]:
            entries = [{"target": t, "overall": 2} for t in targets]
            results.append(cast(campaign.pk, entries, code=code, now=LAST_SECOND))
            # Voters arrive one after another, as they do at a deadline. The close waits until
            # no ballot holds the campaign's shared lock, so it lands between two of them.
            time.sleep(0.01)
        return results

    outcomes = race(work)
    assert len(outcomes) == len(codes)
    assert set(outcomes) <= {"ok", "voting_closed"}
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.CLOSED
    accepted = outcomes.count("ok")
    assert Ballot.objects.count() == accepted * 2
    tallied = {t.pk: t.valid_ballots for t in Target.objects.filter(campaign=campaign)}
    assert tallied[targets[0]] == tallied[targets[1]] == accepted
    spent = Evaluator.objects.filter(code_hash__isnull=False, code_used_at__isnull=False).count()
    assert spent == accepted
    # Once closed, nothing more gets in.
    late = [
        c for c in codes if not Evaluator.objects.get(code_hash=services.code_hash(c)).code_used_at
    ]
    if late:
        assert (
            cast(campaign.pk, [{"target": targets[0], "overall": 2}], code=late[0], now=LAST_SECOND)
            == "voting_closed"
        )


def test_a_ballot_in_flight_is_counted_by_the_close_that_waited_for_it(
    live_db, personas, campaign, admissions
):
    """A ballot still being written when the close begins: the close waits for it and counts
    it; a ballot arriving after the close has begun is refused once the close commits."""
    care, _check = admissions
    first, second = codes_for(personas, campaign, 2)
    target = target_of(campaign, care, ZHONGGULOU).pk
    written, closing = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def slow_voter() -> None:
        try:
            with transaction.atomic():
                outcomes["slow"] = cast(
                    campaign.pk, [{"target": target, "overall": 2}], code=first, now=LAST_SECOND
                )
                written.set()
                closing.wait(timeout=30)
                time.sleep(0.5)  # the close is now waiting for this transaction
        finally:
            connection.close()

    def closer() -> None:
        try:
            written.wait(timeout=30)
            closing.set()
            services.campaign_close(actor=None, campaign=Campaign(pk=campaign.pk), now=CLOSES)
            outcomes["close"] = "ok"
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_voter), threading.Thread(target=closer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes == {"slow": "ok", "close": "ok"}
    assert Target.objects.get(pk=target).valid_ballots == 1
    assert (
        cast(campaign.pk, [{"target": target, "overall": 0}], code=second, now=LAST_SECOND)
        == "voting_closed"
    )
    assert Ballot.objects.count() == 1
