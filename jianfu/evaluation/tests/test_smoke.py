import datetime as dt
import pytest
from jianfu.evaluation import services
from jianfu.evaluation.models import Outcome
from jianfu.evaluation.tests.conftest import AFTER, DURING, ZHONGGULOU, JIANDAOJIE, ballots, target_of
from jianfu.admission.models import AdmissionState

def test_smoke(personas, campaign, admissions, time_machine):
    care, check = admissions
    t1 = target_of(campaign, care, ZHONGGULOU)
    t2 = target_of(campaign, check, ZHONGGULOU)
    t3 = target_of(campaign, care, JIANDAOJIE)
    ballots(t1, satisfied=10, fairly=5, no=15)  # 50% -> revoke
    ballots(t2, satisfied=16, no=15)
    ballots(t3, satisfied=1)
    time_machine.move_to(DURING, tick=False)
    sheet, codes = services.tokens_issue(actor=personas.community_officer, campaign=campaign, region=t1.region, group_kind="residents", count=2)
    services.ballot_cast(actor=None, campaign=campaign, code=codes[0], entries=[{"target": t2.pk, "overall": 2, "ratings": {"1": 2}}])
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    for t in (t1, t2, t3):
        t.refresh_from_db()
        print(t.title, t.region_id, t.valid_ballots, t.rate, t.rate_low, t.rate_high, t.outcome, t.group_counts, t.dimension_counts)
    care.refresh_from_db()
    print(care.state, list(care.scope.values_list("region_id", "revoked_on")))
    assert t1.outcome == Outcome.REVOKED
