"""Paper ballots (requirement 2): a community enters a spreadsheet of them, a second officer
confirms it, and only then are the ballots written; every bad row is reported and a file with
one bad row writes nothing; a paper ballot never duplicates an online one from the same person;
batches nobody confirmed before the window ended are discarded at the close."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import Notification
from jianfu.evaluation import paper, services
from jianfu.evaluation.models import (
    Ballot,
    Channel,
    Evaluator,
    GroupKind,
    PaperBatch,
    PaperBatchState,
)
from jianfu.evaluation.tests.conftest import (
    AFTER,
    CLOSES,
    DURING,
    JIANDAOJIE,
    ZHONGGULOU,
    target_of,
)
from jianfu.org.models import Region

HEADER = ("评议码或账号", "准入编号", "总体评价", "作用", "效果", "意见建议")


def sheet(*rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def community(code=ZHONGGULOU) -> Region:
    return Region.objects.select_related("parent").get(code=code)


def upload(personas, campaign, content, actor=None, region=ZHONGGULOU, name="纸质票.csv"):
    return services.paper_batch_upload(
        actor=actor or personas.community_officer,
        campaign=campaign,
        region=community(region),
        file_name=name,
        content=content,
    )


def confirm(personas, batch, actor=None):
    return services.paper_batch_confirm(actor=actor or personas.street_officer, batch=batch)


@pytest.fixture
def codes(personas, campaign):
    _sheet, printed = services.tokens_issue(
        actor=personas.community_officer,
        campaign=campaign,
        region=community(),
        group_kind=GroupKind.RESIDENTS,
        count=3,
    )
    return printed


@pytest.fixture
def voter(personas, campaign):
    return services.evaluator_enrol(
        actor=personas.community_officer,
        campaign=campaign,
        user=personas.evaluator,
        group_kind=GroupKind.PARTY_MEMBERS,
    )


def spent(code: str) -> bool:
    return Evaluator.objects.get(code_hash=services.code_hash(code)).code_used_at is not None


# The happy path -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_paper_ballots_are_written_when_a_second_officer_confirms(
    personas, campaign, admissions, codes, voter, time_machine, django_capture_on_commit_callbacks
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    content = sheet(
        (codes[0], care.number, "满意", "满意", "", "服务很好"),
        (codes[0], check.number, "不满意", "不满意", "基本满意", ""),
        ("evaluator", care.number, "基本满意", "", "", ""),
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(personas, campaign, content)
    assert batch.state == PaperBatchState.PENDING and len(batch.rows) == 3
    assert not Ballot.objects.exists() and not spent(codes[0])
    # The street's officer is asked to confirm.
    assert Notification.objects.filter(recipient=personas.street_officer).exists()
    assert not Notification.objects.filter(recipient=personas.community_officer).exists()
    written = confirm(personas, batch)
    assert len(written) == 3
    assert set(Ballot.objects.values_list("channel", "paper_batch_id").distinct()) == {
        (Channel.PAPER, batch.pk)
    }
    by_target = {
        (b.evaluator_id, b.target_id): b for b in Ballot.objects.select_related("evaluator")
    }
    holder = Evaluator.objects.get(code_hash=services.code_hash(codes[0]))
    mine = by_target[(holder.pk, target_of(campaign, check, ZHONGGULOU).pk)]
    assert (mine.overall, mine.rating_1, mine.rating_2) == (0, 0, 1)
    assert (
        by_target[(voter.pk, target_of(campaign, care, ZHONGGULOU).pk)].group_id == voter.group_id
    )
    assert spent(codes[0]) and not spent(codes[1])
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.CONFIRMED and batch.decided_by == personas.street_officer


@pytest.mark.django_db
def test_the_template_filled_in_is_accepted(personas, campaign, admissions, codes, time_machine):
    care, check = admissions
    workbook = load_workbook(io.BytesIO(paper.paper_template(campaign, ZHONGGULOU)))
    ballots_sheet, guide = workbook.worksheets
    assert [c.value for c in ballots_sheet[1]] == [
        "评议码或账号",
        "准入编号",
        "总体评价",
        "作用",
        "效果",
        "工作作风",
        "经费落实",
        "群众认可",
        "意见建议",
    ]
    assert {row[0].value for row in guide.iter_rows(min_row=2)} == {care.number, check.number}
    ballots_sheet.append([codes[1], check.number, "满意", "满意", "满意", None, None, "满意", ""])
    filled = io.BytesIO()
    workbook.save(filled)
    time_machine.move_to(DURING, tick=False)
    batch = upload(personas, campaign, filled.getvalue(), name="纸质票.xlsx")
    [ballot] = confirm(personas, batch)
    assert (ballot.rating_1, ballot.rating_3, ballot.rating_5) == (2, None, 2)


# All or nothing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_paper_import_is_all_or_nothing_and_reports_every_bad_row(
    personas, campaign, admissions, codes, time_machine
):
    care, check = admissions
    _sheet, elsewhere = services.tokens_issue(
        actor=personas.street_officer,
        campaign=campaign,
        region=community(JIANDAOJIE),
        group_kind=GroupKind.RESIDENTS,
        count=1,
    )
    time_machine.move_to(DURING, tick=False)
    content = sheet(
        (codes[0], care.number, "满意", "", "", ""),  # row 2: good
        ("NOPE-NOPE-NOPE", care.number, "满意", "", "", ""),  # 3: not an evaluator
        (codes[1], "市中准〔2026〕999号", "满意", "", "", ""),  # 4: no such target here
        (codes[1], care.number, "很好", "", "", ""),  # 5: not a verdict
        (codes[2], check.number, "满意", "优秀", "", ""),  # 6: not a verdict for a dimension
        (codes[0], care.number, "不满意", "", "", ""),  # 7: the same ballot twice in the file
        (elsewhere[0], care.number, "满意", "", "", ""),  # 8: 箭道街社区's evaluator
        (codes[2], care.number, "满意", "", "", "长" * 501),  # 9: comment too long
        (codes[1], check.number, "", "", "", ""),  # 10: no verdict at all
        (codes[2], "市中准〔2026〕998号", "一般", "", "", ""),  # 11: two problems
    )
    with pytest.raises(InvalidInput) as refused:
        upload(personas, campaign, content)
    problems = {row["row"]: row["errors"] for row in refused.value.details["rows"]}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert len(problems[11]) == 2
    assert "9" in str(refused.value.message)
    assert not PaperBatch.objects.exists() and not Ballot.objects.exists()
    assert not any(spent(code) for code in codes)


@pytest.mark.django_db
def test_a_file_without_the_required_columns_is_refused(
    personas, campaign, admissions, codes, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    with pytest.raises(InvalidInput):
        upload(
            personas, campaign, sheet((codes[0], care.number), header=("评议码或账号", "准入编号"))
        )
    with pytest.raises(InvalidInput):
        upload(personas, campaign, sheet())  # a header and nothing else
    assert not PaperBatch.objects.exists()


# Second officer -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_paper_batch_needs_a_second_officer(personas, campaign, admissions, codes, time_machine):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    batch = upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    with pytest.raises(Forbidden):
        confirm(personas, batch, actor=personas.community_officer)  # the one who entered it
    # Officers of another community or street, and the evaluator, have no say.
    for outsider in ("community_officer2", "street_officer2", "evaluator", "dept_clerk"):
        with pytest.raises(Forbidden):
            confirm(personas, batch, actor=getattr(personas, outsider))
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.PENDING
    assert not Ballot.objects.exists() and not spent(codes[0])
    confirm(personas, batch)
    with pytest.raises(Conflict):
        confirm(personas, batch)  # confirmed once is confirmed for good
    assert Ballot.objects.count() == 1


@pytest.mark.django_db
def test_officers_of_another_street_cannot_enter_paper_ballots(
    personas, campaign, admissions, codes, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    for outsider in ("street_officer2", "community_officer2", "evaluator", "group_secretary"):
        with pytest.raises(Forbidden):
            upload(
                personas,
                campaign,
                sheet((codes[0], care.number, "满意", "", "", "")),
                actor=getattr(personas, outsider),
            )
    assert not PaperBatch.objects.exists()


@pytest.mark.django_db
def test_a_discarded_batch_writes_nothing(personas, campaign, admissions, codes, time_machine):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    batch = upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    with pytest.raises(Forbidden):
        services.paper_batch_discard(actor=personas.street_officer2, batch=batch)
    services.paper_batch_discard(actor=personas.street_officer, batch=batch)
    with pytest.raises(Conflict):
        confirm(personas, batch)
    assert not Ballot.objects.exists() and not spent(codes[0])


# Paper against online -------------------------------------------------------------------------


@pytest.mark.django_db
def test_paper_ballot_cannot_duplicate_online_ballot(
    personas, campaign, admissions, codes, voter, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[{"target": target_of(campaign, care, ZHONGGULOU).pk, "overall": 2}],
    )
    services.ballot_cast(
        actor=None,
        campaign=campaign,
        code=codes[0],
        entries=[{"target": target_of(campaign, check, ZHONGGULOU).pk, "overall": 2}],
    )
    content = sheet(
        ("evaluator", care.number, "不满意", "", "", ""),  # row 2: voted online already
        ("evaluator", check.number, "不满意", "", "", ""),  # 3: fine, a target not yet rated
        (codes[0], care.number, "不满意", "", "", ""),  # 4: the code was used online
        (codes[0].replace("-", "").lower(), check.number, "不满意", "", "", ""),  # 5: so again
    )
    with pytest.raises(InvalidInput) as refused:
        upload(personas, campaign, content)
    assert [row["row"] for row in refused.value.details["rows"]] == [2, 4, 5]
    assert Ballot.objects.count() == 2


@pytest.mark.django_db
def test_a_code_used_on_paper_cannot_vote_online(
    personas, campaign, admissions, codes, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    confirm(
        personas, upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    )
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            actor=None,
            campaign=campaign,
            code=codes[0],
            entries=[{"target": target_of(campaign, check, ZHONGGULOU).pk, "overall": 0}],
        )
    assert refused.value.code == "code_used"
    assert Ballot.objects.count() == 1


@pytest.mark.django_db
def test_a_code_used_online_after_the_upload_spoils_the_batch(
    personas, campaign, admissions, codes, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    batch = upload(
        personas,
        campaign,
        sheet(
            (codes[0], care.number, "满意", "", "", ""),
            (codes[1], care.number, "满意", "", "", ""),
        ),
    )
    services.ballot_cast(
        actor=None,
        campaign=campaign,
        code=codes[0],
        entries=[{"target": target_of(campaign, check, ZHONGGULOU).pk, "overall": 0}],
    )
    with pytest.raises(Conflict) as refused:
        confirm(personas, batch)
    assert refused.value.code == "code_used"
    # Nothing of the batch was written, and the other code is still unspent.
    assert Ballot.objects.count() == 1 and not spent(codes[1])
    batch.refresh_from_db()
    assert batch.state == PaperBatchState.PENDING


@pytest.mark.django_db
def test_an_online_ballot_after_the_upload_spoils_the_batch(
    personas, campaign, admissions, codes, voter, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    batch = upload(
        personas,
        campaign,
        sheet(
            (codes[0], care.number, "满意", "", "", ""),
            ("evaluator", care.number, "不满意", "", "", ""),
        ),
    )
    services.ballot_cast(
        actor=personas.evaluator,
        campaign=campaign,
        entries=[{"target": target_of(campaign, care, ZHONGGULOU).pk, "overall": 2}],
    )
    with pytest.raises(Conflict) as refused:
        confirm(personas, batch)
    assert refused.value.code == "already_voted"
    assert Ballot.objects.get().channel == Channel.WEB
    # The code in the spoiled batch was not spent by the failed confirmation.
    assert not spent(codes[0])


@pytest.mark.django_db
def test_two_batches_with_the_same_code_confirm_once(
    personas, campaign, admissions, codes, time_machine
):
    care, check = admissions
    time_machine.move_to(DURING, tick=False)
    first = upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    second = upload(personas, campaign, sheet((codes[0], check.number, "满意", "", "", "")))
    confirm(personas, first)
    with pytest.raises(Conflict):
        confirm(personas, second)
    assert Ballot.objects.count() == 1


# The window -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_paper_ballots_after_the_window_are_refused(
    personas, campaign, admissions, codes, time_machine
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    batch = upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    time_machine.move_to(CLOSES, tick=False)
    with pytest.raises(Conflict) as refused:
        upload(personas, campaign, sheet((codes[1], care.number, "满意", "", "", "")))
    assert refused.value.code == "voting_closed"
    with pytest.raises(Conflict) as refused:
        confirm(personas, batch)
    assert refused.value.code == "voting_closed"
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_pending_paper_batches_are_discarded_at_close(
    personas, campaign, admissions, codes, time_machine, django_capture_on_commit_callbacks
):
    care, _check = admissions
    time_machine.move_to(DURING, tick=False)
    kept = upload(personas, campaign, sheet((codes[0], care.number, "满意", "", "", "")))
    confirm(personas, kept)
    late = upload(personas, campaign, sheet((codes[1], care.number, "不满意", "", "", "")))
    Notification.objects.all().delete()
    time_machine.move_to(AFTER, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_close(actor=personas.group_secretary, campaign=campaign)
    late.refresh_from_db()
    assert late.state == PaperBatchState.DISCARDED and late.decided_at == AFTER
    target = target_of(campaign, care, ZHONGGULOU)
    assert target.valid_ballots == 1 and Ballot.objects.count() == 1
    assert not spent(codes[1])
    # Whoever entered the discarded batch is told it did not count.
    assert Notification.objects.filter(recipient=personas.community_officer).exists()
