"""The evaluation API (requirement 6): campaigns and their lifecycle, ballots by account or by
one-time code without logging in, the caller's own ballots, paper ballots with a second
officer's confirmation, and the results with the formula behind them — each scoped so that
another street or community gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from jianfu.admission.models import AdmissionState
from jianfu.api.services import token_create
from jianfu.evaluation import services
from jianfu.evaluation.guessing import CODE_FAILURE_LIMIT
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    Channel,
    Evaluator,
    GroupKind,
    PaperBatch,
    PaperBatchState,
)
from jianfu.evaluation.tally import wilson_interval
from jianfu.evaluation.tests.conftest import (
    AFTER,
    DISTRICT,
    DURING,
    JIANDAOJIE,
    ZHONGGULOU,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.org.models import Region

CAMPAIGNS = "/api/v1/campaigns"


def post(client: Client, url: str, body: dict | None = None, **extra):
    return client.post(url, body or {}, content_type="application/json", **extra)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def url(campaign: Campaign, tail: str = "") -> str:
    return f"{CAMPAIGNS}/{campaign.pk}{tail}"


def entry(target, overall=2, **extra) -> dict:
    return {"target": target.pk, "overall": overall, **extra}


@pytest.fixture
def voter(personas, campaign):
    """The persona `evaluator` (钟鼓楼社区), enrolled by the community as a residents' rep."""
    return services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )


@pytest.fixture
def codes(personas, campaign) -> list[str]:
    """Two one-time codes printed by 钟鼓楼社区 for residents' representatives."""
    _sheet, printed = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=2,
    )
    return printed


@pytest.fixture
def during(time_machine):
    time_machine.move_to(DURING, tick=False)


@pytest.fixture
def tallied(personas, campaign, admissions, time_machine):
    """The 2026 campaign closed with 高龄津贴协助 at exactly 50 % in 钟鼓楼社区 (revoked),
    低保入户核查 at 16/31 there (kept) and one ballot in 箭道街社区 (below the quorum)."""
    care, check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=10, fairly=5, no=15)
    ballots(target_of(campaign, check, ZHONGGULOU), satisfied=16, no=15)
    ballots(target_of(campaign, care, JIANDAOJIE), satisfied=1)
    time_machine.move_to(AFTER, tick=False)
    return services.campaign_close(actor=personas.group_secretary, campaign=campaign)


def campaign_body(**overrides) -> dict:
    return {
        "district": DISTRICT,
        "year": 2026,
        "title": "市中区2026年度社区工作准入事项评议",
        "opens_at": "2026-03-01T08:00:00+08:00",
        "closes_at": "2026-03-31T18:00:00+08:00",
        **overrides,
    }


# ---------------------------------------------------------------------------------------------
# Campaigns


def test_group_secretary_can_create_a_campaign_with_its_rules(personas, login, admissions):
    response = post(
        login(personas.group_secretary),
        CAMPAIGNS,
        campaign_body(
            groups=[{"kind": "residents", "weight": 60}, {"kind": "party_members", "weight": 40}],
            dimensions=["作用", "工作作风"],
            quorum=20,
            revoke_threshold_percent=50.5,
            automatic_revocation=False,
        ),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["state_label"] == "筹备中"
    assert body["district"] == {"code": DISTRICT, "name": "市中区"}
    assert body["rules"] == {
        "quorum": 20,
        "revoke_threshold_bp": 5050,
        "revoke_threshold_percent": 50.5,
        "automatic_revocation": False,
    }
    assert [(g["kind"], g["weight"]) for g in body["groups"]] == [
        ("residents", 60),
        ("party_members", 40),
    ]
    assert body["dimensions"] == [
        {"position": 1, "name": "作用"},
        {"position": 2, "name": "工作作风"},
    ]
    # 高龄津贴协助 in two communities, 低保入户核查 in one.
    assert (body["target_count"], body["ballot_count"]) == (3, 0)
    assert body["results_available"] is False
    assert dt.datetime.fromisoformat(body["opens_at"]) == dt.datetime(
        2026, 3, 1, 0, 0, tzinfo=dt.UTC
    )


def test_a_campaign_without_rules_takes_the_districts_defaults(personas, login, admissions):
    body = post(login(personas.group_secretary), CAMPAIGNS, campaign_body()).json()
    assert body["rules"]["quorum"] == 30 and body["rules"]["revoke_threshold_bp"] == 5000
    assert [g["kind"] for g in body["groups"]] == [
        "residents",
        "party_members",
        "resident_units",
        "organisations",
        "other_reps",
    ]
    assert len(body["dimensions"]) == 5


@pytest.mark.parametrize("percent", [50.125, 101, -1])
def test_a_threshold_with_more_than_two_decimals_or_out_of_range_is_refused(
    personas, login, admissions, percent
):
    response = post(
        login(personas.group_secretary),
        CAMPAIGNS,
        campaign_body(revoke_threshold_percent=percent),
    )
    assert response.status_code == 422
    assert error(response)["details"][0]["location"][-1] == "revoke_threshold_percent"
    assert not Campaign.objects.exists()


def test_a_window_without_time_zone_is_refused(personas, login, admissions):
    response = post(
        login(personas.group_secretary),
        CAMPAIGNS,
        campaign_body(opens_at="2026-03-01T08:00:00", closes_at="2026-03-31T18:00:00"),
    )
    assert response.status_code == 422 and error(response)["code"] == "invalid_input"
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("persona", ["dept_clerk", "review_officer", "auditor"])
def test_only_the_group_office_can_create_a_campaign(personas, login, admissions, persona):
    response = post(login(getattr(personas, persona)), CAMPAIGNS, campaign_body())
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert not Campaign.objects.exists()


def test_a_street_cannot_name_the_district_above_it(personas, login, admissions):
    response = post(login(personas.street_officer), CAMPAIGNS, campaign_body())
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert not Campaign.objects.exists()


def test_a_second_campaign_for_the_year_is_a_conflict(personas, login, campaign):
    response = post(login(personas.group_secretary), CAMPAIGNS, campaign_body())
    assert response.status_code == 409 and error(response)["code"] == "exists"


def test_an_unknown_district_is_404(personas, login, admissions):
    response = post(
        login(personas.group_secretary), CAMPAIGNS, campaign_body(district="999999000000")
    )
    assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_campaign_detail_shows_window_rules_groups_and_counts(
    personas, login, campaign, admissions
):
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=2, no=1)
    body = login(personas.street_officer).get(url(campaign)).json()
    assert body["id"] == campaign.pk and body["state"] == "open"
    assert (body["target_count"], body["ballot_count"]) == (3, 3)
    assert body["rules"]["revoke_threshold_percent"] == 50.0
    # Counts only: the results wait for /results.
    assert "items" not in body and body["results_available"] is False


def test_campaign_list_is_newest_first_and_filters(personas, login, campaign, admissions):
    older = campaign_create(personas.group_secretary, year=2025, title="2025年度评议")
    client = login(personas.group_secretary)
    items = client.get(CAMPAIGNS).json()["items"]
    assert [c["id"] for c in items] == [older.pk, campaign.pk]
    assert [c["id"] for c in client.get(CAMPAIGNS, {"year": 2026}).json()["items"]] == [campaign.pk]
    assert [c["id"] for c in client.get(CAMPAIGNS, {"state": "draft"}).json()["items"]] == [
        older.pk
    ]


def test_campaign_list_queries_do_not_grow_with_campaigns(
    personas, login, campaign, admissions, django_assert_max_num_queries
):
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=3)
    client = login(personas.group_secretary)
    client.get("/api/v1/me")
    for year in (2025, 2024):
        campaign_create(personas.group_secretary, year=year, title=f"{year}年度评议")
        with django_assert_max_num_queries(8):
            body = client.get(CAMPAIGNS).json()
    assert [c["ballot_count"] for c in body["items"]] == [0, 0, 3]


@pytest.mark.parametrize("persona", ["street_officer", "street_officer2", "community_officer2"])
def test_streets_and_communities_cannot_see_a_draft(personas, login, admissions, persona):
    draft = campaign_create(personas.group_secretary)
    client = login(getattr(personas, persona))
    assert client.get(CAMPAIGNS).json()["items"] == []
    response = client.get(url(draft))
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert post(client, url(draft, "/open")).status_code == 404


def test_group_secretary_can_open_a_draft(personas, login, admissions, time_machine):
    time_machine.move_to(DURING - dt.timedelta(days=10), tick=False)
    draft = campaign_create(personas.group_secretary)
    response = post(login(personas.group_secretary), url(draft, "/open"))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "open" and response.json()["opened_at"]


def test_opening_twice_is_a_conflict(personas, login, campaign):
    response = post(login(personas.group_secretary), url(campaign, "/open"))
    assert response.status_code == 409 and error(response)["code"] == "wrong_state"


@pytest.mark.parametrize("action", ["/close", "/publish"])
@pytest.mark.parametrize("persona", ["street_officer", "street_officer2", "community_officer2"])
def test_streets_cannot_close_or_publish_a_campaign(
    personas, login, campaign, time_machine, action, persona
):
    time_machine.move_to(AFTER, tick=False)
    response = post(login(getattr(personas, persona)), url(campaign, action))
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN


def test_closing_before_the_window_ends_is_a_conflict(personas, login, campaign, during):
    response = post(login(personas.group_secretary), url(campaign, "/close"))
    assert response.status_code == 409 and error(response)["code"] == "window_open"


def test_group_secretary_can_close_after_the_window_and_the_tally_runs(
    personas, login, campaign, admissions, time_machine
):
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=10, fairly=5, no=15)
    time_machine.move_to(AFTER, tick=False)
    response = post(login(personas.group_secretary), url(campaign, "/close"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "closed" and body["results_available"] is True
    care.refresh_from_db()
    assert care.scope.get(region_id=ZHONGGULOU).revoked_on is not None


def test_group_secretary_can_publish_and_everyone_in_the_district_reads_results(
    personas, login, tallied
):
    response = post(
        login(personas.group_secretary), url(tallied, "/publish"), {"notice": "评议结果通报"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "published" and response.json()["notice"] == "评议结果通报"
    assert login(personas.street_officer2).get(url(tallied, "/results")).status_code == 200


# ---------------------------------------------------------------------------------------------
# Ballots


def test_enrolled_evaluator_can_vote_with_their_account(
    personas, login, campaign, admissions, voter, during
):
    care, check = admissions
    t1, t2 = target_of(campaign, care, ZHONGGULOU), target_of(campaign, check, ZHONGGULOU)
    response = post(
        login(personas.evaluator),
        url(campaign, "/ballots"),
        {
            "entries": [
                entry(t1, 2, ratings={"1": 2, "2": None}, comment="服务很及时"),
                entry(t2, 0),
            ]
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["campaign"] == campaign.pk and body["channel"] == "web"
    assert body["targets"] == [t1.pk, t2.pk]
    ballot = Ballot.objects.get(target=t1)
    assert (ballot.evaluator, ballot.overall, ballot.rating_1, ballot.rating_2) == (
        voter,
        2,
        2,
        None,
    )
    assert ballot.comment == "服务很及时"


def test_an_evaluator_cannot_vote_twice_on_a_target(
    personas, login, campaign, admissions, voter, during
):
    care, check = admissions
    t1, t2 = target_of(campaign, care, ZHONGGULOU), target_of(campaign, check, ZHONGGULOU)
    client = login(personas.evaluator)
    assert post(client, url(campaign, "/ballots"), {"entries": [entry(t1)]}).status_code == 201
    response = post(client, url(campaign, "/ballots"), {"entries": [entry(t2), entry(t1, 0)]})
    assert response.status_code == 409 and error(response)["code"] == "already_voted"
    # Nothing of the refused submission was kept, not even its good entry.
    assert list(Ballot.objects.values_list("target_id", "overall")) == [(t1.pk, 2)]


def test_errors_answer_in_the_callers_language(
    personas, login, campaign, admissions, voter, during
):
    care, _check = admissions
    client = login(personas.evaluator)
    body = {"entries": [entry(target_of(campaign, care, ZHONGGULOU))]}
    post(client, url(campaign, "/ballots"), body)
    response = post(client, url(campaign, "/ballots"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    with translation.override("en"):
        assert error(response)["message"] == gettext(
            "您已对其中的评议对象投过票，每人对每个评议对象只能投一票。"
        )


def test_every_bad_entry_is_reported_by_position_and_nothing_is_written(
    personas, login, campaign, admissions, voter, during
):
    care, _check = admissions
    outside = target_of(campaign, care, JIANDAOJIE)  # another community's target
    response = post(
        login(personas.evaluator),
        url(campaign, "/ballots"),
        {"entries": [entry(target_of(campaign, care, ZHONGGULOU), 5), entry(outside)]},
    )
    assert response.status_code == 422
    assert [e["index"] for e in error(response)["details"]["entries"]] == [0, 1]
    assert not Ballot.objects.exists()


def test_a_rating_that_is_not_a_whole_number_is_refused(
    personas, login, campaign, admissions, voter, during
):
    care, _check = admissions
    response = post(
        login(personas.evaluator),
        url(campaign, "/ballots"),
        {"entries": [entry(target_of(campaign, care, ZHONGGULOU), True)]},
    )
    assert response.status_code == 422 and error(response)["code"] == "invalid_input"
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("persona", ["community_officer", "street_officer2", "community_officer2"])
def test_someone_not_enrolled_cannot_vote(personas, login, campaign, admissions, during, persona):
    care, _check = admissions
    response = post(
        login(getattr(personas, persona)),
        url(campaign, "/ballots"),
        {"entries": [entry(target_of(campaign, care, ZHONGGULOU))]},
    )
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert not Ballot.objects.exists()


def test_a_resident_can_vote_with_a_code_without_logging_in(
    personas, campaign, admissions, codes, during
):
    care, check = admissions
    t1, t2 = target_of(campaign, care, ZHONGGULOU), target_of(campaign, check, ZHONGGULOU)
    # A real client: no session, no CSRF cookie, CSRF enforced.
    response = post(
        Client(enforce_csrf_checks=True),
        url(campaign, "/ballots"),
        {"code": codes[0].lower(), "entries": [entry(t1, 1), entry(t2, 2)]},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "code"
    assert set(Ballot.objects.values_list("channel", flat=True)) == {Channel.CODE}
    assert Evaluator.objects.filter(code_used_at__isnull=False, sheet__isnull=False).count() == 1


def test_a_code_can_be_used_once(personas, campaign, admissions, codes, during):
    care, check = admissions
    first = {"code": codes[0], "entries": [entry(target_of(campaign, care, ZHONGGULOU))]}
    assert post(Client(), url(campaign, "/ballots"), first).status_code == 201
    again = {"code": codes[0], "entries": [entry(target_of(campaign, check, ZHONGGULOU))]}
    response = post(Client(), url(campaign, "/ballots"), again)
    assert response.status_code == 409 and error(response)["code"] == "code_used"
    assert Ballot.objects.count() == 1


def test_a_mistyped_code_is_422(personas, campaign, admissions, codes, during):
    care, _check = admissions
    response = post(
        Client(),
        url(campaign, "/ballots"),
        {"code": "2345-6789-ABCD", "entries": [entry(target_of(campaign, care, ZHONGGULOU))]},
    )
    assert response.status_code == 422 and error(response)["code"] == "bad_code"
    assert not Ballot.objects.exists()


def test_an_address_guessing_codes_is_refused_even_with_a_good_code(
    personas, campaign, admissions, codes, during
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    cache.clear()
    for attempt in range(CODE_FAILURE_LIMIT):
        guess = {"code": f"2345-6789-{attempt:04d}", "entries": [entry(target)]}
        assert post(Client(), url(campaign, "/ballots"), guess).status_code == 422
    good = {"code": codes[0], "entries": [entry(target)]}
    response = post(Client(), url(campaign, "/ballots"), good)
    assert response.status_code == 429 and error(response)["code"] == "too_many_attempts"
    headers = {"HTTP_EVALUATION_CODE": codes[0]}
    assert Client().get(url(campaign, "/my-ballots"), **headers).status_code == 429
    assert not Ballot.objects.exists()
    cache.clear()


@pytest.mark.parametrize("csrf", [False, True])
def test_anonymous_without_a_code_gets_401(personas, campaign, admissions, during, csrf):
    care, _check = admissions
    body = {"entries": [entry(target_of(campaign, care, ZHONGGULOU))]}
    for body_code in ({}, {"code": ""}, {"code": "   "}):
        response = post(
            Client(enforce_csrf_checks=csrf), url(campaign, "/ballots"), body | body_code
        )
        assert response.status_code == 401 and error(response)["code"] == "unauthenticated"
    made_up = post(
        Client(enforce_csrf_checks=csrf),
        url(campaign, "/ballots"),
        body,
        HTTP_AUTHORIZATION="Bearer jf_not-a-real-token",
    )
    assert made_up.status_code == 401
    assert not Ballot.objects.exists()


def test_a_logged_in_evaluator_cannot_be_made_to_vote_cross_site(
    personas, campaign, admissions, voter, during
):
    care, _check = admissions
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.evaluator)
    response = post(
        client,
        url(campaign, "/ballots"),
        {"entries": [entry(target_of(campaign, care, ZHONGGULOU))]},
    )
    assert response.status_code == 403
    assert not Ballot.objects.exists()


def test_an_evaluator_can_vote_with_a_bearer_token(personas, campaign, admissions, voter, during):
    care, _check = admissions
    token = token_create(actor=personas.evaluator, name="评议终端").secret
    response = post(
        Client(),
        url(campaign, "/ballots"),
        {"entries": [entry(target_of(campaign, care, ZHONGGULOU))]},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201 and response.json()["channel"] == "web"


def test_ballots_after_the_window_are_refused_with_the_reason(
    personas, login, campaign, admissions, voter, codes, time_machine
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    time_machine.move_to(AFTER, tick=False)
    # The window has ended but nobody has closed the campaign yet: refused all the same.
    late = post(login(personas.evaluator), url(campaign, "/ballots"), {"entries": [entry(target)]})
    assert late.status_code == 409 and error(late)["code"] == "voting_closed"
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    closed = post(
        Client(), url(campaign, "/ballots"), {"code": codes[0], "entries": [entry(target)]}
    )
    assert closed.status_code == 409 and error(closed)["code"] == "voting_closed"
    assert not Ballot.objects.exists()


def test_a_code_for_a_campaign_that_does_not_exist_is_404(db):
    response = post(Client(), f"{CAMPAIGNS}/999999/ballots", {"code": "X", "entries": []})
    assert response.status_code == 404


# ---------------------------------------------------------------------------------------------
# The caller's own ballots


def test_evaluator_sees_only_their_own_ballots(
    personas, login, campaign, admissions, voter, during, django_assert_max_num_queries
):
    care, check = admissions
    t1, t2 = target_of(campaign, care, ZHONGGULOU), target_of(campaign, check, ZHONGGULOU)
    ballots(t2, satisfied=3)  # other evaluators' ballots on a target the voter has not rated
    client = login(personas.evaluator)
    post(client, url(campaign, "/ballots"), {"entries": [entry(t1, 1, ratings={"3": 0})]})
    with django_assert_max_num_queries(11):
        response = client.get(url(campaign, "/my-ballots"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["evaluator"] == {
        "group": "residents",
        "group_label": "居民代表",
        "region": {"code": ZHONGGULOU, "name": "钟鼓楼社区"},
        "code_used": None,
    }
    rows = {row["target"]["id"]: row for row in body["items"]}
    assert set(rows) == {t1.pk, t2.pk}
    assert rows[t1.pk]["ballot"]["overall"] == 1
    assert rows[t1.pk]["ballot"]["overall_label"] == "基本满意"
    assert rows[t1.pk]["ballot"]["ratings"] == {"3": 0}
    assert rows[t2.pk]["ballot"] is None
    assert rows[t1.pk]["outcome"] is None  # nothing published yet


def test_a_code_holder_reads_their_ballots_with_the_code_header(
    personas, campaign, admissions, codes, during
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    client = Client(enforce_csrf_checks=True)
    before = client.get(url(campaign, "/my-ballots"), HTTP_EVALUATION_CODE=codes[1])
    assert before.status_code == 200, before.json()
    assert before.json()["evaluator"]["code_used"] is False
    assert {row["target"]["id"] for row in before.json()["items"]} >= {target.pk}
    post(client, url(campaign, "/ballots"), {"code": codes[1], "entries": [entry(target)]})
    after = client.get(url(campaign, "/my-ballots"), HTTP_EVALUATION_CODE=codes[1]).json()
    assert after["evaluator"]["code_used"] is True
    assert [row["ballot"]["channel"] for row in after["items"] if row["ballot"]] == ["code"]
    bad = client.get(url(campaign, "/my-ballots"), HTTP_EVALUATION_CODE="NOPE-NOPE-NOPE")
    assert bad.status_code == 422 and error(bad)["code"] == "bad_code"
    assert client.get(url(campaign, "/my-ballots")).status_code == 401


def test_an_evaluator_learns_what_became_of_their_vote(
    personas, login, campaign, admissions, voter, time_machine
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(actor=personas.evaluator, campaign=campaign, entries=[entry(target, 0)])
    ballots(target, satisfied=10, fairly=5, no=14)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    services.campaign_publish(actor=personas.group_secretary, campaign=campaign)
    rows = login(personas.evaluator).get(url(campaign, "/my-ballots")).json()["items"]
    mine = next(row for row in rows if row["target"]["id"] == target.pk)
    assert (mine["outcome"], mine["outcome_label"]) == ("revoked", "不过半数，已撤销")
    assert mine["rate_percent"] == pytest.approx(50.0)


@pytest.mark.parametrize("persona", ["community_officer", "street_officer2", "community_officer2"])
def test_someone_not_enrolled_has_no_ballots_to_read(personas, login, campaign, persona):
    response = login(getattr(personas, persona)).get(url(campaign, "/my-ballots"))
    assert response.status_code == 403 and error(response)["code"] == "forbidden"


# ---------------------------------------------------------------------------------------------
# Results


def test_results_give_each_targets_counts_rate_interval_and_outcome(
    personas, login, tallied, admissions
):
    care, check = admissions
    response = login(personas.group_secretary).get(url(tallied, "/results"))
    assert response.status_code == 200, response.json()
    rows = {row["target"]: row for row in response.json()["items"]}
    revoked = rows[target_of(tallied, care, ZHONGGULOU).pk]
    assert revoked["admission"]["number"] == care.number
    assert revoked["region"] == {"code": ZHONGGULOU, "name": "钟鼓楼社区"}
    assert revoked["street"] == {"code": "511002001000", "name": "城东街道"}
    assert revoked["department"]["name"] == "市中区民政局"
    assert (revoked["valid_ballots"], revoked["satisfied_ballots"]) == (30, 15)
    assert (revoked["weighted_satisfied"], revoked["weighted_valid"]) == (15 * 40, 30 * 40)
    assert revoked["rate"] == 0.5 and revoked["rate_percent"] == 50.0
    low, high = wilson_interval(0.5, 30)
    assert revoked["rate_low"] == pytest.approx(low) and revoked["rate_high"] == pytest.approx(high)
    assert revoked["groups"] == [
        {
            "kind": "residents",
            "kind_label": "居民代表",
            "weight": 40,
            "valid": 30,
            "satisfied": 15,
            "very_satisfied": 10,
            "fairly_satisfied": 5,
            "dissatisfied": 15,
        }
    ]
    # The builder rates the first dimension as it rates overall, and leaves the others blank.
    assert revoked["dimensions"][0] == {
        "position": 1,
        "name": "作用",
        "rate": 0.5,
        "rate_percent": 50.0,
    }
    assert revoked["dimensions"][1]["rate"] is None
    assert (revoked["outcome"], revoked["outcome_label"]) == ("revoked", "不过半数，已撤销")
    kept = rows[target_of(tallied, check, ZHONGGULOU).pk]
    assert kept["outcome"] == "kept" and kept["rate"] == pytest.approx(16 / 31)
    assert rows[target_of(tallied, care, JIANDAOJIE).pk]["outcome"] == "below_quorum"


def test_the_results_endpoint_documents_the_formula(db):
    schema = Client().get("/api/v1/openapi.json").json()
    description = schema["paths"]["/api/v1/campaigns/{campaign_id}/results"]["get"]["description"]
    assert "Σ_g w_g × (satisfied_g + fairly_satisfied_g) / Σ_g w_g × valid_g" in description
    assert "Wilson" in description and "不过半数" in description


def test_results_filter_by_region_and_outcome(personas, login, tallied, admissions):
    care, _check = admissions
    client = login(personas.group_secretary)
    street = client.get(url(tallied, "/results"), {"region": "511002001000"}).json()["items"]
    assert len(street) == 3
    jiandaojie = client.get(url(tallied, "/results"), {"region": JIANDAOJIE}).json()["items"]
    assert [row["target"] for row in jiandaojie] == [target_of(tallied, care, JIANDAOJIE).pk]
    revoked = client.get(url(tallied, "/results"), {"outcome": "revoked"}).json()["items"]
    assert [row["outcome"] for row in revoked] == ["revoked"]
    unknown = client.get(url(tallied, "/results"), {"region": "511002009999"})
    assert unknown.status_code == 422


def test_results_page_by_cursor_without_more_queries(
    personas, login, tallied, django_assert_max_num_queries
):
    client = login(personas.group_secretary)
    client.get("/api/v1/me")
    seen, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        with django_assert_max_num_queries(9):
            page = client.get(url(tallied, "/results"), params).json()
        seen += [row["target"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 3
    with django_assert_max_num_queries(9):
        assert len(client.get(url(tallied, "/results")).json()["items"]) == 3


@pytest.mark.parametrize("persona", ["street_officer", "street_officer2", "community_officer2"])
def test_streets_and_communities_cannot_read_results_before_publication(
    personas, login, tallied, persona
):
    response = login(getattr(personas, persona)).get(url(tallied, "/results"))
    assert response.status_code == 404 and error(response)["code"] == "results_not_available"


def test_nobody_reads_results_while_voting(personas, login, campaign, during):
    response = login(personas.group_secretary).get(url(campaign, "/results"))
    assert response.status_code == 404


def test_group_secretary_can_confirm_a_revocation_the_tally_proposed(
    personas, login, admissions, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING - dt.timedelta(days=10), tick=False)
    made = campaign_create(personas.group_secretary, automatic_revocation=False)
    opened = services.campaign_open(actor=personas.group_secretary, campaign=made)
    target = target_of(opened, care, ZHONGGULOU)
    ballots(target, satisfied=10, no=20)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=opened)
    refused = post(
        login(personas.street_officer), url(opened, "/revocations"), {"target": target.pk}
    )
    assert refused.status_code == 403
    publish = post(login(personas.group_secretary), url(opened, "/publish"))
    assert publish.status_code == 409 and error(publish)["code"] == "pending_revocations"
    response = post(
        login(personas.group_secretary), url(opened, "/revocations"), {"target": target.pk}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "revoked"
    care.refresh_from_db()
    assert care.scope.get(region_id=ZHONGGULOU).revoked_on is not None
    assert care.state in (AdmissionState.ACTIVE, AdmissionState.REVOKED)


# ---------------------------------------------------------------------------------------------
# Paper ballots


def paper_file(*rows: str, dimensions: str = "作用") -> SimpleUploadedFile:
    lines = [f"评议码或账号,准入编号,总体评价,{dimensions},意见建议", *rows]
    return SimpleUploadedFile("纸质票.csv", "\n".join(lines).encode(), content_type="text/csv")


def upload(client: Client, campaign: Campaign, file, region: str = ZHONGGULOU):
    return client.post(url(campaign, "/paper-ballots"), {"region": region, "file": file})


def test_community_uploads_paper_ballots_and_the_street_confirms_them(
    personas, login, campaign, admissions, codes, during
):
    care, check = admissions
    file = paper_file(
        f"{codes[0]},{care.number},满意,满意,",
        f"{codes[0]},{check.number},不满意,,入户核查太频繁",
    )
    response = upload(login(personas.community_officer), campaign, file)
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert (batch["rows"], batch["state"], batch["region"]["code"]) == (2, "pending", ZHONGGULOU)
    assert not Ballot.objects.exists()  # nothing counts until a second officer confirms
    street = login(personas.street_officer)
    detail = street.get(f"/api/v1/paper-batches/{batch['id']}").json()
    assert [(e["admission_number"], e["overall"]) for e in detail["entries"]] == [
        (care.number, 2),
        (check.number, 0),
    ]
    assert detail["entries"][0]["evaluator"].startswith(f"{ZHONGGULOU}-")
    confirmed = post(street, f"/api/v1/paper-batches/{batch['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["decided_by"] == personas.street_officer.display_name
    assert set(Ballot.objects.values_list("channel", flat=True)) == {Channel.PAPER}
    assert Ballot.objects.count() == 2


def test_every_bad_paper_row_is_listed_and_nothing_is_entered(
    personas, login, campaign, admissions, codes, during
):
    care, _check = admissions
    file = paper_file(
        f"{codes[0]},{care.number},满意,满意,",
        f"NOT-A-CODE,{care.number},满意,,",
        f"{codes[1]},市中准〔2026〕999号,很好,,",
    )
    response = upload(login(personas.community_officer), campaign, file)
    assert response.status_code == 422
    rows = error(response)["details"]["rows"]
    assert [row["row"] for row in rows] == [3, 4]
    assert len(rows[1]["errors"]) == 2  # unknown admission and an unknown verdict
    assert not PaperBatch.objects.exists()


def test_a_paper_ballot_cannot_duplicate_an_online_one(
    personas, login, campaign, admissions, codes, voter, during
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    post(Client(), url(campaign, "/ballots"), {"code": codes[0], "entries": [entry(target)]})
    post(login(personas.evaluator), url(campaign, "/ballots"), {"entries": [entry(target)]})
    file = paper_file(
        f"{codes[0]},{care.number},不满意,,",
        f"{personas.evaluator.username},{care.number},不满意,,",
    )
    response = upload(login(personas.community_officer), campaign, file)
    assert response.status_code == 422
    assert [row["row"] for row in error(response)["details"]["rows"]] == [2, 3]
    assert Ballot.objects.count() == 2


def test_the_officer_who_entered_a_batch_cannot_confirm_it(
    personas, login, campaign, admissions, codes, during
):
    care, _check = admissions
    client = login(personas.community_officer)
    batch = upload(client, campaign, paper_file(f"{codes[0]},{care.number},满意,,")).json()
    response = post(client, f"/api/v1/paper-batches/{batch['id']}/confirm")
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert not Ballot.objects.exists()


def test_a_pending_batch_can_be_discarded(personas, login, campaign, admissions, codes, during):
    care, _check = admissions
    client = login(personas.community_officer)
    batch = upload(client, campaign, paper_file(f"{codes[0]},{care.number},满意,,")).json()
    response = post(client, f"/api/v1/paper-batches/{batch['id']}/discard")
    assert response.status_code == 200 and response.json()["state"] == "discarded"
    again = post(login(personas.street_officer), f"/api/v1/paper-batches/{batch['id']}/confirm")
    assert again.status_code == 409 and error(again)["code"] == "wrong_state"
    assert PaperBatch.objects.get().state == PaperBatchState.DISCARDED


@pytest.mark.parametrize("persona", ["street_officer2", "community_officer2"])
def test_another_street_or_community_cannot_touch_chengdongs_paper_ballots(
    personas, login, campaign, admissions, codes, during, persona
):
    care, _check = admissions
    batch = upload(
        login(personas.community_officer),
        campaign,
        paper_file(f"{codes[0]},{care.number},满意,,"),
    ).json()
    client = login(getattr(personas, persona))
    refused = upload(client, campaign, paper_file(f"{codes[1]},{care.number},满意,,"))
    assert refused.status_code == 404
    for response in (
        client.get(f"/api/v1/paper-batches/{batch['id']}"),
        post(client, f"/api/v1/paper-batches/{batch['id']}/confirm"),
        post(client, f"/api/v1/paper-batches/{batch['id']}/discard"),
    ):
        assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert PaperBatch.objects.get().state == PaperBatchState.PENDING


def test_a_department_cannot_enter_paper_ballots(
    personas, login, campaign, admissions, codes, during
):
    care, _check = admissions
    response = upload(
        login(personas.dept_clerk), campaign, paper_file(f"{codes[0]},{care.number},满意,,")
    )
    assert response.status_code == 403
    assert not PaperBatch.objects.exists()


def test_paper_ballots_need_the_required_columns(personas, login, campaign, during):
    file = SimpleUploadedFile(
        "纸质票.csv", "姓名,评价\n张三,满意".encode(), content_type="text/csv"
    )
    response = upload(login(personas.community_officer), campaign, file)
    assert response.status_code == 422 and error(response)["details"]["missing_columns"]


# ---------------------------------------------------------------------------------------------
# The API as a whole


def test_the_evaluation_api_needs_authentication_except_to_vote_with_a_code(db):
    for path in (CAMPAIGNS, f"{CAMPAIGNS}/1", f"{CAMPAIGNS}/1/results", "/api/v1/paper-batches/1"):
        response = Client().get(path)
        assert response.status_code == 401 and error(response)["code"] == "unauthenticated"
    assert post(Client(), CAMPAIGNS, campaign_body()).status_code == 401


def test_openapi_document_lists_the_evaluation_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/campaigns": {"get", "post"},
        "/api/v1/campaigns/{campaign_id}": {"get"},
        "/api/v1/campaigns/{campaign_id}/open": {"post"},
        "/api/v1/campaigns/{campaign_id}/close": {"post"},
        "/api/v1/campaigns/{campaign_id}/publish": {"post"},
        "/api/v1/campaigns/{campaign_id}/ballots": {"post"},
        "/api/v1/campaigns/{campaign_id}/my-ballots": {"get"},
        "/api/v1/campaigns/{campaign_id}/results": {"get"},
        "/api/v1/campaigns/{campaign_id}/revocations": {"post"},
        "/api/v1/campaigns/{campaign_id}/paper-ballots": {"post"},
        "/api/v1/paper-batches/{batch_id}": {"get"},
        "/api/v1/paper-batches/{batch_id}/confirm": {"post"},
        "/api/v1/paper-batches/{batch_id}/discard": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    # Voting with a code needs no credentials, which the document says with an empty requirement.
    assert {} in paths["/api/v1/campaigns/{campaign_id}/ballots"]["post"]["security"]
    assert {} not in paths["/api/v1/campaigns"]["post"]["security"]
