"""The evaluation's management pages: campaigns and their actions, evaluators, token sheets,
paper ballots and the district's settings, and who may see and do what on each.

The results pages are in test_results_pages.py."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from jianfu.admission.tests.conftest import JIANDAOJIE, XILIN, ZHONGGULOU
from jianfu.core.models import AuditRecord
from jianfu.evaluation import services
from jianfu.evaluation.models import (
    Ballot,
    Campaign,
    CampaignState,
    EvaluationSettings,
    Evaluator,
    GroupKind,
    PaperBatch,
    PaperBatchState,
    Target,
    TokenSheet,
)
from jianfu.evaluation.tests.conftest import (
    AFTER,
    CLOSES,
    DURING,
    OPENS,
    ballots,
    campaign_create,
    target_of,
)
from jianfu.funds.tests.conftest import admission_row, page, person
from jianfu.org.models import Region
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def other_district_secretary():
    """The leadership-group office of another district (云龙区), which reads none of 市中区's."""
    return person("yunlong_secretary", "云龙区社区减负工作领导小组办公室", Role.GROUP_SECRETARY)


@pytest.fixture
def draft(personas, admissions, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=2), tick=False)
    return campaign_create(personas.group_secretary)


@pytest.fixture
def xilin_target(personas, campaign):
    """A target in 西林社区 too, so community_officer2 has evaluators of their own to manage."""
    admitted = admission_row(personas, scope={XILIN: 300_000}, title="城西养老服务协助")
    return Target.objects.create(
        campaign=campaign,
        admission=admitted,
        region_id=XILIN,
        department=admitted.department,
        title=admitted.title,
    )


def campaign_form(**overrides):
    values = {
        "title": "市中区2027年度社区工作准入事项评议",
        "year": "2027",
        "opens_at": "2027-03-01T08:00",
        "closes_at": "2027-03-31T18:00",
        "quorum": "30",
        "threshold": "50",
        "automatic_revocation": "yes",
        "dimensions": "作用\n效果\n\n工作作风\n",
        "weight_residents": "40",
        "weight_party_members": "20",
        "weight_resident_units": "0",
        "weight_organisations": "",
        "weight_other_reps": "10",
    }
    values.update(overrides)
    return values


# The index and the navigation ---------------------------------------------------------------------


def test_group_office_sees_its_campaigns_and_may_start_a_new_one(personas, login, draft):
    text = page(login(personas.group_secretary).get(reverse("evaluation_index")))
    assert draft.title in text and "筹备中" in text
    assert reverse("evaluation_campaign_new") in text
    assert reverse("evaluation_settings") in text


def test_street_officer_sees_open_campaigns_but_not_drafts_or_new_button(personas, login, campaign):
    client = login(personas.street_officer)
    text = page(client.get(reverse("evaluation_index")))
    assert campaign.title in text
    assert reverse("evaluation_campaign_new") not in text
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.DRAFT)
    text = page(client.get(reverse("evaluation_index")))
    assert campaign.title not in text


def test_other_districts_office_sees_none_of_the_district_campaigns(personas, login, campaign):
    client = login(other_district_secretary())
    text = page(client.get(reverse("evaluation_index")))
    assert campaign.title not in text
    assert client.get(reverse("evaluation_campaign", args=[campaign.pk])).status_code == 404


def test_enrolled_evaluator_is_offered_the_vote_from_the_index(
    personas, login, campaign, time_machine
):
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    time_machine.move_to(DURING, tick=False)
    text = page(login(personas.evaluator).get(reverse("evaluation_index")))
    assert reverse("evaluation_vote", args=[campaign.pk]) in text
    text = page(login(personas.street_officer).get(reverse("evaluation_index")))
    assert reverse("evaluation_vote", args=[campaign.pk]) not in text


def test_index_queries_do_not_grow_with_campaigns(
    personas, login, campaign, django_assert_max_num_queries
):
    client = login(personas.group_secretary)
    few = queries(client, reverse("evaluation_index"))
    for year in (2024, 2025):
        campaign_create(
            personas.group_secretary,
            year=year,
            title=f"{year}年度评议",
            opens_at=OPENS.replace(year=year),
            closes_at=CLOSES.replace(year=year),
        )
    with django_assert_max_num_queries(few):
        text = page(client.get(reverse("evaluation_index")))
    assert text.count('data-testid="campaign-row"') == 3


def test_navigation_offers_the_evaluation_to_business_roles_not_administrators(personas, login):
    link = f'href="{reverse("evaluation_index")}"'
    for user in (personas.group_secretary, personas.community_officer, personas.evaluator):
        assert link in page(login(user).get(reverse("home")))
    assert link not in page(login(personas.system_admin).get(reverse("home")))


# New campaign, edit -------------------------------------------------------------------------------


def test_group_office_creates_a_campaign_in_local_time_with_threshold_in_basis_points(
    personas, login, admissions
):
    client = login(personas.group_secretary)
    form = page(client.get(reverse("evaluation_campaign_new")))
    assert "作用\n效果\n工作作风\n经费落实\n群众认可" in form
    response = client.post(
        reverse("evaluation_campaign_new"), campaign_form(threshold="50.5", quorum="12")
    )
    campaign = Campaign.objects.get(year=2027)
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation_campaign", args=[campaign.pk])
    assert campaign.revoke_threshold_bp == 5050 and campaign.quorum == 12
    assert campaign.automatic_revocation is True
    # 08:00 in Asia/Shanghai is midnight UTC.
    assert campaign.opens_at == dt.datetime(2027, 3, 1, 0, 0, tzinfo=dt.UTC)
    weights = dict(campaign.groups.values_list("kind", "weight"))
    assert weights == {"residents": 40, "party_members": 20, "other_reps": 10}
    assert list(campaign.dimensions.values_list("name", flat=True)) == ["作用", "效果", "工作作风"]


def test_refused_campaign_shows_the_reason_and_writes_nothing(personas, login, campaign):
    client = login(personas.group_secretary)
    # The year already has a campaign: the service refuses, the form says why.
    text = page(client.post(reverse("evaluation_campaign_new"), campaign_form(year="2026")))
    assert 'data-testid="form-errors"' in text and "已经存在" in text
    text = page(
        client.post(
            reverse("evaluation_campaign_new"),
            campaign_form(closes_at="2027-02-01T08:00", threshold="120"),
        )
    )
    assert "投票截止时间应晚于开始时间" in text
    text = page(
        client.post(
            reverse("evaluation_campaign_new"),
            campaign_form(
                weight_residents="0",
                weight_party_members="",
                weight_other_reps="0",
            ),
        )
    )
    assert "至少需要一类评议人" in text
    assert Campaign.objects.count() == 1


def test_only_the_group_office_may_create_campaigns(personas, login, admissions):
    for user in (personas.street_officer, personas.auditor, personas.evaluator):
        client = login(user)
        assert client.get(reverse("evaluation_campaign_new")).status_code == 403
        assert client.post(reverse("evaluation_campaign_new"), campaign_form()).status_code == 403
    assert not Campaign.objects.exists()


def test_group_office_edits_a_draft_and_its_weights(personas, login, draft):
    client = login(personas.group_secretary)
    url = reverse("evaluation_campaign_edit", args=[draft.pk])
    text = page(client.get(url))
    assert 'value="2026-03-01T16:00"' in text  # 08:00 UTC shown in local time
    values = campaign_form(title="改过的名称", threshold="40", automatic_revocation="no")
    values.update(
        {
            "weight_resident_units": "15",
            "weight_organisations": "15",
            "opens_at": "2026-03-02T08:00",
            "closes_at": "2026-03-30T18:00",
        }
    )
    response = client.post(url, values)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "改过的名称" and draft.revoke_threshold_bp == 4000
    assert draft.automatic_revocation is False
    assert draft.groups.get(kind="residents").weight == 40
    assert draft.groups.get(kind="party_members").weight == 20


def test_draft_weights_may_not_be_zero(personas, login, draft):
    client = login(personas.group_secretary)
    values = campaign_form(opens_at="2026-03-02T08:00", closes_at="2026-03-30T18:00")
    values.update({"weight_resident_units": "15", "weight_organisations": "0"})
    text = page(client.post(reverse("evaluation_campaign_edit", args=[draft.pk]), values))
    assert 'data-testid="form-errors"' in text
    assert draft.groups.get(kind="organisations").weight == 15


def test_an_open_campaign_cannot_be_edited(personas, login, campaign):
    client = login(personas.group_secretary)
    response = client.post(
        reverse("evaluation_campaign_edit", args=[campaign.pk]), campaign_form(title="改")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title != "改"


def test_street_officer_cannot_see_or_edit_a_draft(personas, login, draft):
    client = login(personas.street_officer)
    assert client.get(reverse("evaluation_campaign", args=[draft.pk])).status_code == 404
    assert client.get(reverse("evaluation_campaign_edit", args=[draft.pk])).status_code == 404


# The campaign page and its actions ----------------------------------------------------------------


def test_campaign_page_shows_rules_groups_dimensions_and_counts(
    personas, login, campaign, admissions, time_machine
):
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=3, no=1)
    text = page(
        login(personas.street_officer).get(reverse("evaluation_campaign", args=[campaign.pk]))
    )
    assert "投票中" in text
    assert "2026-03-01 16:00" in text  # the window in local time
    assert "群众满意率 ≤ 50%" in text and "每个评议对象 30 张" in text
    assert "计票后自动撤销" in text
    assert text.count('data-testid="group-row"') == 5 and "居民代表" in text
    assert text.count('data-testid="dimension"') == 5 and "经费落实" in text
    assert 'data-testid="target-count">3<' in text
    assert text.count('data-testid="region-row"') == 2 and "钟鼓楼社区" in text
    assert 'data-testid="ballot-count">4<' in text and 'data-testid="voter-count">4<' in text
    # The street manages its evaluators; it runs no part of the campaign itself.
    assert reverse("evaluation_evaluators", args=[campaign.pk]) in text
    assert 'data-testid="close"' not in text and 'data-testid="close-later"' not in text


def test_group_office_opens_refreshes_and_sees_draft_actions(personas, login, draft, admissions):
    client = login(personas.group_secretary)
    text = page(client.get(reverse("evaluation_campaign", args=[draft.pk])))
    assert 'data-testid="open"' in text and 'data-testid="refresh"' in text
    admission_row(personas, scope={JIANDAOJIE: 100_000}, title="新生效的事项")
    client.post(reverse("evaluation_campaign_action", args=[draft.pk, "refresh"]))
    assert draft.targets.count() == 4
    response = client.post(reverse("evaluation_campaign_action", args=[draft.pk, "open"]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == CampaignState.OPEN


def test_close_is_offered_only_after_the_window_and_runs_the_tally(
    personas, login, campaign, admissions, time_machine
):
    time_machine.move_to(DURING, tick=False)
    client = login(personas.group_secretary)
    url = reverse("evaluation_campaign", args=[campaign.pk])
    text = page(client.get(url))
    assert 'data-testid="close-later"' in text and 'data-testid="close"' not in text
    client.post(reverse("evaluation_campaign_action", args=[campaign.pk, "close"]))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN
    assert "未到" in page(client.get(url))
    time_machine.move_to(AFTER, tick=False)
    # A new login: the idle-session timeout ends a session left for weeks.
    client = login(personas.group_secretary)
    assert 'data-testid="close"' in page(client.get(url))
    response = client.post(reverse("evaluation_campaign_action", args=[campaign.pk, "close"]))
    assert response["Location"] == reverse("evaluation_results", args=[campaign.pk])
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED


def test_group_office_publishes_with_a_notice(
    personas, login, campaign, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    client = login(personas.group_secretary)
    assert 'data-testid="publish-form"' in page(
        client.get(reverse("evaluation_campaign", args=[campaign.pk]))
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("evaluation_campaign_action", args=[campaign.pk, "publish"]),
            {"notice": "请各部门按评议结果整改。"},
        )
    campaign.refresh_from_db()
    assert (
        campaign.state == CampaignState.PUBLISHED and campaign.notice == "请各部门按评议结果整改。"
    )
    text = page(login(personas.dept_clerk).get(reverse("evaluation_campaign", args=[campaign.pk])))
    assert "请各部门按评议结果整改。" in text


def test_publish_waits_for_pending_revocations(personas, login, campaign, admissions, time_machine):
    care, _check = admissions
    Campaign.objects.filter(pk=campaign.pk).update(automatic_revocation=False)
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=10, no=25)
    time_machine.move_to(AFTER, tick=False)
    services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    client = login(personas.group_secretary)
    text = page(client.get(reverse("evaluation_campaign", args=[campaign.pk])))
    assert 'data-testid="pending-revocations"' in text and 'data-testid="publish"' not in text
    client.post(reverse("evaluation_campaign_action", args=[campaign.pk, "publish"]))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED


def test_only_the_group_office_may_run_campaign_actions(personas, login, draft):
    for user in (personas.street_officer, personas.auditor, personas.review_officer):
        response = login(user).post(reverse("evaluation_campaign_action", args=[draft.pk, "open"]))
        assert response.status_code in (403, 404)
    response = login(other_district_secretary()).post(
        reverse("evaluation_campaign_action", args=[draft.pk, "open"])
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == CampaignState.DRAFT


def test_campaign_actions_are_posts_only(personas, login, draft):
    client = login(personas.group_secretary)
    assert (
        client.get(reverse("evaluation_campaign_action", args=[draft.pk, "open"])).status_code
        == 405
    )
    assert (
        client.post(reverse("evaluation_campaign_action", args=[draft.pk, "delete"])).status_code
        == 404
    )


# Evaluators ---------------------------------------------------------------------------------------


def test_community_officer_enrols_an_evaluator_of_their_community(personas, login, campaign):
    client = login(personas.community_officer)
    url = reverse("evaluation_evaluators", args=[campaign.pk])
    text = page(client.get(url))
    assert personas.evaluator.username in text
    response = client.post(url, {"user": personas.evaluator.pk, "group": GroupKind.RESIDENTS})
    assert response.status_code == 302
    evaluator = Evaluator.objects.get(campaign=campaign, user=personas.evaluator)
    assert evaluator.region_id == ZHONGGULOU and evaluator.group.kind == GroupKind.RESIDENTS
    text = page(client.get(url))
    assert text.count('data-testid="evaluator-row"') == 1 and "未投票" in text
    # Once enrolled, the account is no longer offered.
    assert f'value="{personas.evaluator.pk}"' not in text


def test_evaluators_list_shows_how_many_targets_each_has_voted_on(
    personas, login, campaign, admissions
):
    care, check = admissions
    evaluator = services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    for target in (target_of(campaign, care, ZHONGGULOU), target_of(campaign, check, ZHONGGULOU)):
        Ballot.objects.create(
            campaign=campaign,
            target=target,
            evaluator=evaluator,
            group=evaluator.group,
            channel="web",
            overall=2,
            cast_at=DURING,
        )
    text = page(
        login(personas.street_officer).get(reverse("evaluation_evaluators", args=[campaign.pk]))
    )
    assert 'data-testid="voted">1<' in text
    assert '<span class="ok">2</span>' in text


def test_community_officer2_cannot_see_or_enrol_zhonggulous_evaluators(
    personas, login, campaign, xilin_target
):
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.RESIDENTS,
    )
    client = login(personas.community_officer2)
    url = reverse("evaluation_evaluators", args=[campaign.pk])
    text = page(client.get(url))
    assert 'data-testid="evaluator-row"' not in text
    assert "评议代表（演示）" not in text
    # Posting another community's account is refused as a bad choice; nothing is written.
    other = person("xilin_rep", "钟鼓楼社区居民委员会", Role.EVALUATOR)
    client.post(url, {"user": other.pk, "group": GroupKind.RESIDENTS})
    assert not Evaluator.objects.filter(user=other).exists()


def test_those_without_evaluators_to_manage_get_404(personas, login, campaign):
    url = reverse("evaluation_evaluators", args=[campaign.pk])
    # 西林 has no targets in this campaign; 城西 neither; the evaluator and a department none.
    for user in (
        personas.community_officer2,
        personas.street_officer2,
        personas.evaluator,
        personas.dept_clerk,
    ):
        assert login(user).get(url).status_code == 404
    assert login(other_district_secretary()).get(url).status_code == 404


def test_evaluators_page_queries_do_not_grow_with_evaluators(
    personas, login, campaign, admissions, django_assert_max_num_queries
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    ballots(target, satisfied=1)
    client = login(personas.community_officer)
    url = reverse("evaluation_evaluators", args=[campaign.pk])
    few = queries(client, url)
    ballots(target, satisfied=5, no=5)
    services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.PARTY_MEMBERS,
    )
    with django_assert_max_num_queries(few):
        text = page(client.get(url))
    assert text.count('data-testid="evaluator-row"') == 12


# Token sheets -------------------------------------------------------------------------------------


def test_community_officer_issues_a_sheet_and_downloads_its_pdf_audited(personas, login, campaign):
    client = login(personas.community_officer)
    url = reverse("evaluation_sheets", args=[campaign.pk])
    response = client.post(url, {"region": ZHONGGULOU, "group": GroupKind.RESIDENTS, "count": 3})
    assert response.status_code == 302
    sheet = TokenSheet.objects.get(campaign=campaign)
    assert sheet.count == 3 and sheet.evaluators.count() == 3
    text = page(client.get(url))
    pdf_url = reverse("evaluation_sheet_pdf", args=[sheet.pk])
    assert text.count('data-testid="sheet-row"') == 1 and pdf_url in text
    download = client.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content == bytes(sheet.pdf)
    record = AuditRecord.objects.get(action="evaluation.sheet_download")
    assert record.actor == personas.community_officer and record.object_id == str(sheet.pk)


def test_bad_sheet_request_shows_the_reason(personas, login, campaign):
    client = login(personas.community_officer)
    text = page(
        client.post(
            reverse("evaluation_sheets", args=[campaign.pk]),
            {"region": ZHONGGULOU, "group": GroupKind.RESIDENTS, "count": 501},
        )
    )
    assert 'data-testid="form-errors"' in text
    assert not TokenSheet.objects.exists()


def test_other_communities_cannot_see_or_download_a_sheet(personas, login, campaign, xilin_target):
    sheet, _codes = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=2,
    )
    pdf_url = reverse("evaluation_sheet_pdf", args=[sheet.pk])
    client = login(personas.community_officer2)
    text = page(client.get(reverse("evaluation_sheets", args=[campaign.pk])))
    assert 'data-testid="sheet-row"' not in text
    for user in (personas.community_officer2, personas.street_officer2, personas.evaluator):
        assert login(user).get(pdf_url).status_code == 404
    # 城西 reads its own communities' sheets (西林 has a target), not 钟鼓楼's.
    text = page(
        login(personas.street_officer2).get(reverse("evaluation_sheets", args=[campaign.pk]))
    )
    assert 'data-testid="sheet-row"' not in text
    assert not AuditRecord.objects.filter(action="evaluation.sheet_download").exists()
    # The street above the community and the group office may print it again.
    assert login(personas.street_officer).get(pdf_url).status_code == 200
    assert login(personas.group_secretary).get(pdf_url).status_code == 200


# Paper ballots ------------------------------------------------------------------------------------


def paper_file(rows, headers=("评议码或账号", "准入编号", "总体评价", "作用", "意见建议")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, campaign, content, region=ZHONGGULOU):
    return client.post(
        reverse("evaluation_paper", args=[campaign.pk]),
        {"region": region, "file": SimpleUploadedFile("纸质票.xlsx", content)},
    )


@pytest.fixture
def codes(personas, campaign):
    _sheet, printed = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=3,
    )
    return printed


def test_paper_upload_reports_every_bad_row_and_writes_nothing(
    personas, login, campaign, admissions, codes, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    content = paper_file(
        [
            (codes[0], care.number, "满意", "满意", ""),
            ("NOPE-NOPE-NOPE", care.number, "很好", "", ""),
            (codes[1], "不存在的编号", "不满意", "", ""),
        ]
    )
    text = page(upload(login(personas.community_officer), campaign, content))
    assert 'data-testid="bad-rows"' in text
    assert text.count('data-testid="bad-row"') == 2
    assert "不是本次评议的评议人" in text and "总体评价应为满意" in text
    assert "不是本社区（街道）的评议对象" in text
    assert not PaperBatch.objects.exists() and not Ballot.objects.exists()


def test_paper_batch_is_confirmed_by_another_officer_only(
    personas, login, campaign, admissions, codes, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    content = paper_file(
        [
            (codes[0], care.number, "满意", "基本满意", "办得好"),
            (codes[0], check.number, "不满意", "", ""),
        ]
    )
    uploader = login(personas.community_officer)
    response = upload(uploader, campaign, content)
    batch = PaperBatch.objects.get()
    assert response["Location"] == reverse("evaluation_paper_batch", args=[batch.pk])
    url = reverse("evaluation_paper_batch", args=[batch.pk])
    text = page(uploader.get(url))
    assert text.count('data-testid="ballot-row"') == 2 and "办得好" in text
    assert care.number in text and "评议码第 1 号" in text
    assert 'data-testid="other-officer"' in text and 'data-testid="confirm"' not in text
    uploader.post(url, {"action": "confirm"})
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.PENDING and not Ballot.objects.exists()
    confirmer = login(personas.street_officer)
    assert 'data-testid="confirm"' in page(confirmer.get(url))
    confirmer.post(url, {"action": "confirm"})
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.CONFIRMED
    assert Ballot.objects.filter(paper_batch=batch).count() == 2
    listing = page(uploader.get(reverse("evaluation_paper", args=[campaign.pk])))
    assert listing.count('data-testid="batch-row"') == 1 and "已确认录入" in listing


def test_uploader_may_discard_their_own_batch(
    personas, login, campaign, admissions, codes, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    client = login(personas.community_officer)
    upload(client, campaign, paper_file([(codes[2], care.number, "满意", "", "")]))
    batch = PaperBatch.objects.get()
    client.post(reverse("evaluation_paper_batch", args=[batch.pk]), {"action": "discard"})
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.DISCARDED and not Ballot.objects.exists()


def test_other_communities_cannot_see_or_decide_a_batch(
    personas, login, campaign, admissions, codes, time_machine, xilin_target
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    upload(
        login(personas.community_officer),
        campaign,
        paper_file([(codes[0], care.number, "满意", "", "")]),
    )
    batch = PaperBatch.objects.get()
    url = reverse("evaluation_paper_batch", args=[batch.pk])
    for user in (personas.community_officer2, personas.street_officer2, personas.evaluator):
        client = login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "confirm"}).status_code == 404
    text = page(
        login(personas.community_officer2).get(reverse("evaluation_paper", args=[campaign.pk]))
    )
    assert 'data-testid="batch-row"' not in text
    # The group office reads the batch but enters and confirms no paper.
    office = login(personas.group_secretary)
    assert 'data-testid="confirm"' not in page(office.get(url))
    assert office.post(url, {"action": "confirm"}).status_code == 403
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.PENDING


def test_paper_template_downloads_for_the_community_only(personas, login, campaign, admissions):
    care, check = admissions
    client = login(personas.community_officer)
    url = reverse("evaluation_paper_template", args=[campaign.pk])
    response = client.get(url, {"region": ZHONGGULOU})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook["纸质票"][1]][:3] == ["评议码或账号", "准入编号", "总体评价"]
    guide = {row[0] for row in workbook["评议对象"].iter_rows(min_row=2, values_only=True)}
    assert guide == {care.number, check.number}
    assert client.get(url, {"region": JIANDAOJIE}).status_code == 404
    assert login(personas.community_officer2).get(url, {"region": ZHONGGULOU}).status_code == 404


# Settings -----------------------------------------------------------------------------------------


def test_group_office_changes_the_districts_rules(personas, login):
    client = login(personas.group_secretary)
    text = page(client.get(reverse("evaluation_settings")))
    assert 'value="50"' in text and 'value="30"' in text
    # Showing the form writes nothing.
    assert not EvaluationSettings.objects.exists()
    response = client.post(
        reverse("evaluation_settings"),
        {
            "threshold": "50.5",
            "quorum": "20",
            "automatic_revocation": "no",
            "adjustment_below": "70",
        },
    )
    assert response.status_code == 302
    rules = EvaluationSettings.objects.get(district_id="511002000000")
    assert (rules.revoke_threshold_bp, rules.quorum) == (5050, 20)
    assert rules.automatic_revocation is False and rules.adjustment_below == 70


def test_bad_settings_are_refused_in_the_form(personas, login):
    client = login(personas.group_secretary)
    text = page(
        client.post(
            reverse("evaluation_settings"),
            {
                "threshold": "101",
                "quorum": "0",
                "automatic_revocation": "yes",
                "adjustment_below": "5",
            },
        )
    )
    assert 'data-testid="form-errors"' in text
    assert not EvaluationSettings.objects.exists()


def test_only_the_group_office_changes_settings(personas, login):
    for user in (personas.street_officer, personas.auditor, personas.review_officer):
        client = login(user)
        assert client.get(reverse("evaluation_settings")).status_code == 403
        assert client.post(reverse("evaluation_settings"), {"threshold": "10"}).status_code == 403
    assert not EvaluationSettings.objects.exists()


def test_new_campaign_form_offers_the_first_year_without_a_campaign(personas, login, campaign):
    # The clock stands in February 2026 and 2026 has its campaign: 2027 is offered, in December.
    text = page(login(personas.group_secretary).get(reverse("evaluation_campaign_new")))
    assert 'name="year" value="2027"' in text
    assert 'value="2027-12-01T08:00"' in text and "市中区2027年度" in text
