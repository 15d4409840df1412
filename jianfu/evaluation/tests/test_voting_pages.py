"""The voting pages: a registered evaluator rates the targets of their community on a phone-sized
page; a resident's representative votes with a one-time code from the QR code of a token sheet
(once, and never by guessing); and everyone learns what became of their vote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from jianfu.core.models import AuditRecord
from jianfu.evaluation import services
from jianfu.evaluation.guessing import CODE_FAILURE_LIMIT
from jianfu.evaluation.models import Ballot, Channel, GroupKind, Outcome, Target
from jianfu.evaluation.tests.conftest import (
    AFTER,
    DURING,
    JIANDAOJIE,
    OPENS,
    ZHONGGULOU,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.funds.tests.conftest import admission_row, person
from jianfu.org.models import Region
from jianfu.org.roles import Role

XILIN = "511002002001"


@pytest.fixture(autouse=True)
def _forget_code_failures():
    # The failure counts live in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def voting(time_machine, campaign):
    time_machine.move_to(DURING, tick=False)
    return campaign


@pytest.fixture
def voter(personas, campaign):
    """The persona `evaluator` (钟鼓楼社区), enrolled by the community as a residents' rep."""
    return services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )


def codes_for(personas, campaign, region=ZHONGGULOU, count=2) -> list[str]:
    _sheet, codes = services.tokens_issue(
        actor=personas.community_officer if region == ZHONGGULOU else personas.street_officer,
        campaign=campaign,
        region=Region.objects.get(code=region),
        group_kind=GroupKind.RESIDENTS,
        count=count,
    )
    return codes


def vote_url(campaign) -> str:
    return reverse("evaluation_vote", args=[campaign.pk])


def code_url(campaign, code: str) -> str:
    return f"{reverse('evaluation_vote_code')}?campaign={campaign.pk}&code={code}"


def cards(response) -> int:
    return response.content.decode().count('data-testid="target-card"')


def queries_of(client: Client, url: str) -> tuple[int, str]:
    """How many queries a page takes, and the page."""
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    # Counted at once: the next request empties the connection's query log.
    return len(captured.captured_queries), page


def more_targets(personas, campaign, count: int) -> None:
    """More admitted work in 钟鼓楼社区, put straight on the campaign's ballot."""
    for number in range(count):
        admission = admission_row(personas, scope={ZHONGGULOU: 1000}, title=f"协助事项{number}")
        Target.objects.create(
            campaign=campaign,
            admission=admission,
            region_id=ZHONGGULOU,
            department=admission.department,
            title=admission.title,
        )


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


# The registered evaluator's page ----------------------------------------------------------------


def test_enrolled_evaluator_sees_each_target_of_their_community_with_three_choices(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    check.content = "每季度入户核查低保家庭的收入和财产变化，填报核查表。"
    check.save(update_fields=["content"])
    response = login(personas.evaluator).get(vote_url(voting))
    assert response.status_code == 200
    page = response.content.decode()
    # 钟鼓楼社区 has both admissions; 箭道街社区's target of 高龄津贴协助 is not theirs.
    assert cards(response) == 2
    assert "高龄津贴协助" in page and "低保入户核查" in page
    assert care.number in page and check.number in page and "市中区民政局" in page
    assert "每季度入户核查低保家庭" in page
    t1 = target_of(voting, care, ZHONGGULOU)
    for value in (2, 1, 0):
        assert f'name="t{t1.pk}-overall" value="{value}"' in page
    assert "满意" in page and "基本满意" in page and "不满意" in page
    assert f'name="t{t1.pk}-d5"' in page and "经费落实" in page
    assert f'name="t{t1.pk}-comment"' in page
    assert 'name="viewport"' in page


def test_evaluator_casts_ballots_only_for_the_targets_they_filled(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    client = login(personas.evaluator)
    response = client.post(
        vote_url(voting),
        {f"t{t1.pk}-overall": "2", f"t{t1.pk}-d1": "1", f"t{t1.pk}-comment": " 很好 "},
    )
    assert response.status_code == 302 and response["Location"] == vote_url(voting)
    ballot = Ballot.objects.get(evaluator=voter)
    assert (ballot.target_id, ballot.overall, ballot.rating_1, ballot.rating_2) == (
        t1.pk,
        2,
        1,
        None,
    )
    assert ballot.comment == "很好" and ballot.channel == Channel.WEB
    page = client.get(vote_url(voting)).content.decode()
    assert "已提交 1 个评议对象的评价" in page
    # The rated target is read-only; the other one can still be rated.
    assert page.count('data-testid="rated"') == 1
    assert f'name="t{t1.pk}-overall"' not in page and f'name="t{t2.pk}-overall"' in page


def test_a_rated_target_cannot_be_rated_again_from_the_page(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    client = login(personas.evaluator)
    client.post(vote_url(voting), {f"t{t1.pk}-overall": "2"})
    client.post(vote_url(voting), {f"t{t1.pk}-overall": "0", f"t{t2.pk}-overall": "1"})
    assert sorted(Ballot.objects.filter(evaluator=voter).values_list("target_id", "overall")) == [
        (t1.pk, 2),
        (t2.pk, 1),
    ]


def test_dimension_ratings_without_an_overall_verdict_are_refused_next_to_the_target(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    response = login(personas.evaluator).post(
        vote_url(voting), {f"t{t1.pk}-d1": "2", f"t{t1.pk}-d3": "0", f"t{t2.pk}-overall": "2"}
    )
    assert response.status_code == 200
    assert not Ballot.objects.exists()
    page = response.content.decode()
    card = page[page.index(f'id="target-{t1.pk}"') : page.index(f'id="target-{t2.pk}"')]
    assert 'data-testid="card-errors"' in card and "请选择总体评价" in card
    # What was chosen comes back checked, so nothing has to be tapped again.
    assert f'name="t{t1.pk}-d1" value="2" checked' in page
    assert f'name="t{t2.pk}-overall" value="2" checked' in page
    assert 'data-testid="vote-problem"' in page


def test_clearing_a_card_forgets_its_answers_and_casts_nothing(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    response = login(personas.evaluator).post(
        vote_url(voting),
        {
            f"t{t1.pk}-d1": "2",
            f"t{t1.pk}-comment": "点错了",
            f"t{t2.pk}-overall": "1",
            "clear": str(t1.pk),
        },
    )
    assert response.status_code == 200 and not Ballot.objects.exists()
    page = response.content.decode()
    assert f'name="t{t1.pk}-d1" value="2" checked' not in page and "点错了" not in page
    assert f'name="t{t2.pk}-overall" value="1" checked' in page
    assert 'data-testid="card-errors"' not in page


def test_a_code_holder_clearing_a_card_keeps_the_code_unspent(personas, voting, admissions):
    care, _check = admissions
    t1 = target_of(voting, care, ZHONGGULOU)
    code = codes_for(personas, voting)[0]
    response = Client().post(
        reverse("evaluation_vote_code"),
        {
            "campaign": voting.pk,
            "code": code,
            "cast": "1",
            f"t{t1.pk}-overall": "0",
            "clear": str(t1.pk),
        },
    )
    assert cards(response) == 2 and f'name="t{t1.pk}-overall" value="0" checked' not in (
        response.content.decode()
    )
    assert not Ballot.objects.exists()
    assert cards(Client().get(code_url(voting, code))) == 2


def test_a_refusal_of_the_service_is_shown_and_nothing_is_saved(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    response = login(personas.evaluator).post(
        vote_url(voting),
        {f"t{t1.pk}-overall": "2", f"t{t2.pk}-overall": "1", f"t{t2.pk}-comment": "长" * 501},
    )
    assert response.status_code == 200 and not Ballot.objects.exists()
    page = response.content.decode()
    assert "选票有误，未保存任何评价" in page
    card = page[page.index(f'id="target-{t2.pk}"') :]
    assert "意见建议不超过 500 字" in card


def test_an_empty_ballot_asks_for_at_least_one_target(personas, login, voting, voter):
    response = login(personas.evaluator).post(vote_url(voting), {})
    assert response.status_code == 200 and not Ballot.objects.exists()
    assert "请至少评议一个对象" in response.content.decode()


@pytest.mark.parametrize("who", ["community_officer", "dept_clerk", "group_secretary"])
def test_someone_not_enrolled_sees_why_and_no_form(personas, login, voting, admissions, who):
    response = login(getattr(personas, who)).get(vote_url(voting))
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="not-enrolled"' in page and "您不是本次评议的评议人" in page
    assert cards(response) == 0 and "高龄津贴协助" not in page


def test_another_communitys_evaluator_gets_none_of_zhonggulous_targets(
    personas, login, voting, admissions
):
    neighbour = person("xilin_rep", "西林社区居民委员会", Role.EVALUATOR)
    services.evaluator_enrol(
        actor=personas.community_officer2,
        campaign=voting,
        user=neighbour,
        group_kind=GroupKind.RESIDENTS,
    )
    care, _check = admissions
    t1 = target_of(voting, care, ZHONGGULOU)
    client = login(neighbour)
    response = client.get(vote_url(voting))
    assert response.status_code == 200 and cards(response) == 0
    assert "高龄津贴协助" not in response.content.decode()
    # A target of another community posted by hand is not on their ballot: nothing is written.
    client.post(vote_url(voting), {f"t{t1.pk}-overall": "0"})
    assert not Ballot.objects.exists()
    # Nor do the other street's officers read anything.
    for officer in (personas.community_officer2, personas.street_officer2):
        response = login(officer).get(vote_url(voting))
        assert response.status_code == 403 and "高龄津贴协助" not in response.content.decode()


def test_a_campaign_of_another_district_or_in_draft_is_not_found(
    personas, login, time_machine, admissions
):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary)
    assert login(personas.evaluator).get(vote_url(draft)).status_code == 404
    assert login(personas.evaluator).get("/evaluation/999999/vote/").status_code == 404


def test_before_the_window_the_page_says_when_voting_opens(personas, login, campaign, voter):
    response = login(personas.evaluator).get(vote_url(campaign))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="closed"' in page
    # 08:00 UTC is 16:00 in Beijing.
    assert "投票尚未开始" in page and "2026-03-01 16:00" in page and "2026-03-31 18:00" in page
    assert cards(response) == 0


def test_after_the_window_the_page_says_voting_has_ended(
    personas, login, campaign, voter, time_machine
):
    time_machine.move_to(AFTER, tick=False)
    client = login(personas.evaluator)
    response = client.get(vote_url(campaign))
    assert "投票已于 2026-03-31 18:00 截止" in response.content.decode()
    assert cards(response) == 0
    care_target = Target.objects.filter(campaign=campaign, region_id=ZHONGGULOU).first()
    client.post(vote_url(campaign), {f"t{care_target.pk}-overall": "2"})
    assert not Ballot.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(voting):
    response = Client().get(vote_url(voting))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = Client().get(reverse("evaluation_my_ballots"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_vote_page_keeps_csrf_protection(personas, voting, voter, admissions):
    care, _check = admissions
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.evaluator)
    t1 = target_of(voting, care, ZHONGGULOU)
    response = client.post(vote_url(voting), {f"t{t1.pk}-overall": "2"})
    assert response.status_code == 403 and not Ballot.objects.exists()


def test_the_vote_page_works_in_english(personas, login, voting, voter, admissions):
    care, _check = admissions
    t1 = target_of(voting, care, ZHONGGULOU)
    client = english(login(personas.evaluator))
    response = client.get(vote_url(voting))
    page = response.content.decode()
    assert response.status_code == 200 and '<html lang="en">' in page and cards(response) == 2
    with translation.override("en"):
        assert gettext("提交评价") in page and gettext("总体评价") in page
        satisfied = gettext("满意")
    assert f"<span>{satisfied}</span>" in page
    response = client.post(vote_url(voting), {f"t{t1.pk}-d1": "2"})
    with translation.override("en"):
        assert gettext("有评议对象只选了分项、没有选总体评价，未保存任何评价。") in (
            response.content.decode()
        )


def test_the_vote_page_queries_do_not_grow_with_targets(personas, login, voting, voter):
    client = login(personas.evaluator)
    client.get(vote_url(voting))
    few, page = queries_of(client, vote_url(voting))
    assert page.count('data-testid="target-card"') == 2
    more_targets(personas, voting, 6)
    many, page = queries_of(client, vote_url(voting))
    assert page.count('data-testid="target-card"') == 8
    # Session, user, unit, region and roles; campaign, evaluator, dimensions, ballots and
    # targets; the navigation's permissions and unread notifications.
    assert many <= few <= 13


# The one-time code page -----------------------------------------------------------------------


def test_the_qr_link_opens_the_ballot_of_the_codes_community(personas, voting, admissions):
    code = codes_for(personas, voting)[0]
    response = Client().get(code_url(voting, code))
    page = response.content.decode()
    assert response.status_code == 200 and cards(response) == 2
    assert "钟鼓楼社区" in page and "居民代表" in page and code in page
    assert f'name="code" value="{code}"' in page and 'name="csrfmiddlewaretoken"' in page


def test_a_code_holder_votes_once_through_the_page(personas, voting, admissions):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    code = codes_for(personas, voting)[0]
    client = Client()
    # Typed by hand: lower case and without the hyphens still finds the code.
    typed = code.replace("-", "").lower()
    response = client.post(
        reverse("evaluation_vote_code"),
        {
            "campaign": voting.pk,
            "code": typed,
            "cast": "1",
            f"t{t1.pk}-overall": "1",
            f"t{t1.pk}-d2": "0",
            f"t{t2.pk}-overall": "2",
        },
    )
    assert response.status_code == 200 and 'data-testid="vote-done"' in response.content.decode()
    assert "已提交 2 个评议对象的评价" in response.content.decode()
    cast = Ballot.objects.filter(channel=Channel.CODE)
    assert {b.target_id: (b.overall, b.rating_2) for b in cast} == {t1.pk: (1, 0), t2.pk: (2, None)}
    assert cast.count() == 2


def test_code_reuse_is_refused_on_the_page(personas, voting, admissions):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    code = codes_for(personas, voting)[0]
    client = Client()
    post = {"campaign": voting.pk, "code": code, "cast": "1"}
    client.post(reverse("evaluation_vote_code"), {**post, f"t{t1.pk}-overall": "2"})
    # The rest of the ballot cannot be cast later with the same code …
    again = client.post(reverse("evaluation_vote_code"), {**post, f"t{t2.pk}-overall": "0"})
    assert "该评议码已使用" in again.content.decode() and cards(again) == 0
    assert list(Ballot.objects.values_list("target_id", flat=True)) == [t1.pk]
    # … and the QR link shows the code as used, not a new ballot.
    response = Client().get(code_url(voting, code))
    assert 'data-testid="code-used"' in response.content.decode() and cards(response) == 0
    # A used code is a real code: it never counts as a guess.
    assert not AuditRecord.objects.filter(action="evaluation.code_rejected").exists()


def test_a_code_spent_meanwhile_shows_it_was_used(personas, voting, admissions):
    care, _check = admissions
    t1 = target_of(voting, care, ZHONGGULOU)
    code = codes_for(personas, voting)[0]
    client = Client()
    page = client.get(code_url(voting, code))
    assert cards(page) == 2
    # Another phone uses the code between this one opening the ballot and sending it.
    services.ballot_cast(
        actor=None, campaign=voting, code=code, entries=[{"target": t1.pk, "overall": 0}]
    )
    response = client.post(
        reverse("evaluation_vote_code"),
        {"campaign": voting.pk, "code": code, "cast": "1", f"t{t1.pk}-overall": "2"},
    )
    assert "该评议码已使用" in response.content.decode()
    assert list(Ballot.objects.values_list("overall", flat=True)) == [0]


def test_a_code_holder_rates_only_their_communitys_targets(personas, voting, admissions):
    care, check = admissions
    mine = target_of(voting, care, JIANDAOJIE)
    theirs = target_of(voting, check, ZHONGGULOU)
    code = codes_for(personas, voting, region=JIANDAOJIE)[0]
    response = Client().get(code_url(voting, code))
    assert cards(response) == 1 and f'id="target-{mine.pk}"' in response.content.decode()
    Client().post(
        reverse("evaluation_vote_code"),
        {
            "campaign": voting.pk,
            "code": code,
            "cast": "1",
            f"t{theirs.pk}-overall": "0",
            f"t{mine.pk}-overall": "2",
        },
    )
    assert list(Ballot.objects.values_list("target_id", flat=True)) == [mine.pk]


def test_a_used_code_shows_what_became_of_its_ballots_once_published(
    personas, voting, admissions, time_machine
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    code = codes_for(personas, voting)[0]
    Client().post(
        reverse("evaluation_vote_code"),
        {
            "campaign": voting.pk,
            "code": code,
            "cast": "1",
            f"t{t1.pk}-overall": "2",
            f"t{t1.pk}-comment": "服务到位",
            f"t{t2.pk}-overall": "0",
        },
    )
    ballots(t1, satisfied=40)
    before = Client().get(code_url(voting, code)).content.decode()
    assert "该评议码已使用" in before and 'data-testid="outcomes"' not in before
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=voting)
    closed = Client().get(code_url(voting, code)).content.decode()
    assert "该评议码已使用" in closed and 'data-testid="outcomes"' not in closed
    services.campaign_publish(actor=personas.group_secretary, campaign=voting)
    response = Client().get(code_url(voting, code))
    page = response.content.decode()
    assert "该评议码已使用" in page and "您的选票的去向" in page
    assert page.count('data-testid="outcome-row"') == 2
    t1.refresh_from_db()
    assert t1.outcome == Outcome.KEPT
    assert "保留" in page and f"满意率 {t1.rate_percent:.1f}%" in page and "服务到位" in page
    assert "有效票不足，不作结论" in page


def test_ten_wrong_codes_lock_the_address_out_for_a_while(
    personas, voting, admissions, time_machine
):
    code = codes_for(personas, voting)[0]
    client = Client()
    for attempt in range(CODE_FAILURE_LIMIT):
        response = client.get(code_url(voting, f"AAAA-BBBB-{attempt:04d}"))
        assert response.status_code == 200 and "评议码无效" in response.content.decode()
    assert AuditRecord.objects.filter(action="evaluation.code_rejected").count() == 10
    # The eleventh try is refused even with a good code, so a guess cannot be confirmed.
    locked = client.get(code_url(voting, code))
    assert locked.status_code == 429 and "错误次数过多" in locked.content.decode()
    assert cards(locked) == 0
    locked = client.post(
        reverse("evaluation_vote_code"), {"campaign": voting.pk, "code": code, "cast": "1"}
    )
    assert locked.status_code == 429
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3").get(code_url(voting, code))
    assert elsewhere.status_code == 200 and cards(elsewhere) == 2
    time_machine.move_to(DURING + dt.timedelta(minutes=31), tick=False)
    assert cards(client.get(code_url(voting, code))) == 2


def test_wrong_codes_spread_over_two_windows_still_count(personas, voting, time_machine):
    client = Client()
    start = DURING.replace(minute=14, second=0)
    time_machine.move_to(start, tick=False)
    for attempt in range(5):
        client.get(code_url(voting, f"AAAA-BBBB-{attempt:04d}"))
    time_machine.move_to(start + dt.timedelta(minutes=2), tick=False)
    for attempt in range(5):
        client.get(code_url(voting, f"CCCC-DDDD-{attempt:04d}"))
    assert client.get(code_url(voting, "EEEE-FFFF-GGGG")).status_code == 429


def test_a_campaign_that_does_not_exist_is_not_found(personas, voting, admissions):
    code = codes_for(personas, voting)[0]
    response = Client().post(
        reverse("evaluation_vote_code"), {"campaign": voting.pk + 1000, "code": code}
    )
    assert "未找到该评议活动" in response.content.decode() and cards(response) == 0
    for nonsense in ("9" * 30, "-1", "abc"):
        response = Client().get(code_url(voting, code).replace(f"={voting.pk}&", f"={nonsense}&"))
        assert response.status_code == 200 and "未找到该评议活动" in response.content.decode()


def test_the_code_form_lists_open_campaigns_and_preselects_the_qr_codes(personas, voting):
    client = Client()
    page = client.get(reverse("evaluation_vote_code")).content.decode()
    assert 'data-testid="code-form"' in page and voting.title in page
    assert f'<option value="{voting.pk}" selected>' not in page
    page = client.get(f"{reverse('evaluation_vote_code')}?campaign={voting.pk}").content.decode()
    assert f'<option value="{voting.pk}" selected>' in page
    response = client.post(reverse("evaluation_vote_code"), {"campaign": voting.pk, "code": ""})
    assert "请输入评议码" in response.content.decode()


def test_a_draft_campaign_is_not_offered_to_code_holders(personas, admissions, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=1), tick=False)
    draft = campaign_create(personas.group_secretary)
    code = codes_for(personas, draft)[0]
    client = Client()
    assert draft.title not in client.get(reverse("evaluation_vote_code")).content.decode()
    response = client.get(code_url(draft, code))
    assert "未找到该评议活动" in response.content.decode() and cards(response) == 0


def test_a_code_before_the_window_shows_when_voting_opens(personas, campaign, admissions):
    code = codes_for(personas, campaign)[0]
    page = Client().get(code_url(campaign, code)).content.decode()
    assert "投票尚未开始" in page and "2026-03-01 16:00" in page
    assert 'data-testid="target-card"' not in page


def test_the_code_page_keeps_csrf_protection(personas, voting, admissions):
    care, _check = admissions
    code = codes_for(personas, voting)[0]
    t1 = target_of(voting, care, ZHONGGULOU)
    response = Client(enforce_csrf_checks=True).post(
        reverse("evaluation_vote_code"),
        {"campaign": voting.pk, "code": code, "cast": "1", f"t{t1.pk}-overall": "2"},
    )
    assert response.status_code == 403 and not Ballot.objects.exists()


def test_the_code_page_works_in_english(personas, voting, admissions):
    code = codes_for(personas, voting)[0]
    client = english(Client())
    response = client.get(code_url(voting, code))
    page = response.content.decode()
    assert '<html lang="en">' in page and cards(response) == 2
    with translation.override("en"):
        assert gettext("评议码只能提交一次：") in page
    response = client.get(code_url(voting, "AAAA-BBBB-CCCC"))
    with translation.override("en"):
        assert gettext("评议码无效，请核对评议码和所选的评议活动后重新输入。") in (
            response.content.decode()
        )


def test_the_code_page_queries_do_not_grow_with_targets(personas, voting, admissions):
    code = codes_for(personas, voting)[0]
    client = Client()
    client.get(code_url(voting, code))
    few, page = queries_of(client, code_url(voting, code))
    assert page.count('data-testid="target-card"') == 2
    more_targets(personas, voting, 5)
    many, page = queries_of(client, code_url(voting, code))
    assert page.count('data-testid="target-card"') == 7
    # The open campaigns, the campaign, the code's evaluator, dimensions, ballots, targets.
    assert many <= few <= 7


# My ballots -------------------------------------------------------------------------------------


def test_evaluator_sees_own_ballots_and_after_publication_what_became_of_them(
    personas, login, voting, voter, admissions, time_machine
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    client = login(personas.evaluator)
    client.post(
        vote_url(voting),
        {f"t{t1.pk}-overall": "2", f"t{t1.pk}-d4": "1", f"t{t2.pk}-overall": "0"},
    )
    page = client.get(reverse("evaluation_my_ballots")).content.decode()
    assert page.count('data-testid="outcome-row"') == 2 and voting.title in page
    assert "经费落实" in page and "结果尚未通报" in page and 'data-testid="outcome"' not in page
    ballots(t1, satisfied=10, no=25)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=voting)
    services.campaign_publish(actor=personas.group_secretary, campaign=voting)
    # A month later the old session has long timed out: the evaluator logs in again.
    page = login(personas.evaluator).get(reverse("evaluation_my_ballots")).content.decode()
    t1.refresh_from_db()
    assert t1.outcome == Outcome.REVOKED
    assert page.count('data-testid="outcome"') == 2
    assert "不过半数，已撤销" in page and f"{t1.rate_percent:.1f}%" in page
    assert reverse("evaluation_results", args=[voting.pk]) in page


def test_an_evaluator_never_sees_another_evaluators_ballots(
    personas, login, voting, voter, admissions
):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    neighbour = person("zhonggulou_rep2", "钟鼓楼社区居民委员会", Role.EVALUATOR)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=voting,
        user=neighbour,
        group_kind=GroupKind.PARTY_MEMBERS,
    )
    login(neighbour).post(
        vote_url(voting), {f"t{t1.pk}-overall": "0", f"t{t1.pk}-comment": "邻居的秘密意见"}
    )
    code = codes_for(personas, voting)[0]
    Client().post(
        reverse("evaluation_vote_code"),
        {
            "campaign": voting.pk,
            "code": code,
            "cast": "1",
            f"t{t2.pk}-overall": "1",
            f"t{t2.pk}-comment": "评议码持有人的意见",
        },
    )
    client = login(personas.evaluator)
    client.post(vote_url(voting), {f"t{t2.pk}-overall": "2", f"t{t2.pk}-comment": "我的意见"})
    mine = client.get(reverse("evaluation_my_ballots")).content.decode()
    assert mine.count('data-testid="outcome-row"') == 1 and "我的意见" in mine
    assert "邻居的秘密意见" not in mine and "评议码持有人的意见" not in mine
    # The vote page shows only their own ballot as rated, not the neighbour's.
    page = client.get(vote_url(voting)).content.decode()
    assert page.count('data-testid="rated"') == 1 and "邻居的秘密意见" not in page
    # And someone without ballots has none.
    empty = login(personas.community_officer2).get(reverse("evaluation_my_ballots"))
    assert 'data-testid="no-ballots"' in empty.content.decode()


def test_my_ballots_queries_do_not_grow_with_ballots(personas, login, voting, voter, admissions):
    care, check = admissions
    t1, t2 = target_of(voting, care, ZHONGGULOU), target_of(voting, check, ZHONGGULOU)
    client = login(personas.evaluator)
    client.post(vote_url(voting), {f"t{t1.pk}-overall": "2"})
    client.get(reverse("evaluation_my_ballots"))
    few, page = queries_of(client, reverse("evaluation_my_ballots"))
    assert page.count('data-testid="outcome-row"') == 1
    client.post(vote_url(voting), {f"t{t2.pk}-overall": "1"})
    client.get(reverse("evaluation_my_ballots"))
    many, page = queries_of(client, reverse("evaluation_my_ballots"))
    assert page.count('data-testid="outcome-row"') == 2
    assert many <= few <= 10
