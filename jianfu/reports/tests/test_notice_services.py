"""Starting the annual notice (通报): only the district's leadership-group office, only for a
year with figures, with a title; the job freezes the figures the selectors give and makes the
PDF and the workbook.

The figures are written here as the refresh would store them (jianfu.reports.models), so the
notice is checked against known numbers: 市中区 2026 with baselines, 圆梦-style 242 → 95 tasks
(60.7 %), two streets, three departments, one of them sending unadmitted work.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import PASSWORD
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord, BackgroundJob, JobStatus
from jianfu.org.models import Region, RegionLevel, Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create
from jianfu.reports import selectors
from jianfu.reports.models import DepartmentFigures, Notice, RegionFigures, StatsRefresh
from jianfu.reports.notice_services import (
    district_short_name,
    notice_defaults,
    notice_figures,
    notice_start,
)

YEAR = 2026
DISTRICT = "511002000000"  # 内江市市中区
CHENGDONG = "511002001000"  # 城东街道
CHENGXI = "511002002000"  # 城西街道
YUNLONG = "320303000000"  # 徐州市云龙区, another district
COMPUTED_AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def burden(**values) -> dict:
    figures = {
        "tasks": 0,
        "duties": 0,
        "admitted": 0,
        "hours": 0,
        "signboards": 0,
        "signboard_cap": 12,
        "ledger_books": 0,
        "electronic_ledgers": 0,
        "campaigns": 0,
        "one_vote_veto": 0,
        "systems": 0,
        "unadmitted": 0,
        "funds_committed_fen": 0,
        "funds_transferred_fen": 0,
        "workers": 0,
    }
    figures.update(values)
    return figures


def region_row(code: str, level: str, parent: str, year: int = YEAR, **values) -> RegionFigures:
    values.setdefault("burden", burden())
    return RegionFigures.objects.create(
        region_id=code,
        year=year,
        level=level,
        parent_code=parent,
        on=dt.date(year, 11, 20) if year == YEAR else dt.date(year, 12, 31),
        computed_at=COMPUTED_AT,
        **values,
    )


@pytest.fixture
def figures(personas):
    """市中区's figures for 2025 and 2026 and its streets' and departments' for 2026."""
    region_row(
        DISTRICT,
        RegionLevel.DISTRICT,
        "511000000000",
        communities=4,
        with_baseline=4,
        burden=burden(
            tasks=95,
            duties=80,
            admitted=15,
            signboards=9,
            ledger_books=12,
            campaigns=4,
            systems=3,
            unadmitted=2,
            funds_committed_fen=2_052_056,
            funds_transferred_fen=1_789_042,
            workers=28,
        ),
        baseline=burden(
            tasks=242, signboards=34, ledger_books=222, campaigns=37, systems=16, unadmitted=74
        ),
        comparable=burden(
            tasks=95, signboards=9, ledger_books=12, campaigns=4, systems=3, unadmitted=2
        ),
        admissions_in_force=4,
        deliveries=18,
        unadmitted_deliveries=8,
        refusals=2,
        refusals_pending=1,
        targets=4,
        targets_revoked=1,
        rated_targets=4,
        satisfaction_sum=2.156,
    )
    region_row(DISTRICT, RegionLevel.DISTRICT, "511000000000", year=2025, burden=burden(tasks=154))
    region_row(
        CHENGDONG,
        RegionLevel.STREET,
        DISTRICT,
        communities=2,
        with_baseline=2,
        burden=burden(tasks=50, signboards=5),
        baseline=burden(tasks=130, signboards=20, ledger_books=100, campaigns=20),
        comparable=burden(tasks=50, signboards=5, ledger_books=6, campaigns=2),
        deliveries=10,
        unadmitted_deliveries=6,
        refusals=1,
    )
    region_row(
        CHENGXI,
        RegionLevel.STREET,
        DISTRICT,
        communities=2,
        with_baseline=2,
        burden=burden(tasks=45, signboards=4),
        baseline=burden(tasks=112, signboards=14, ledger_books=122, campaigns=17),
        comparable=burden(tasks=45, signboards=4, ledger_books=6, campaigns=2),
        deliveries=8,
        unadmitted_deliveries=2,
        refusals=1,
    )
    departments = {u.name: u for u in Unit.objects.filter(name__startswith="市中区")}
    DepartmentFigures.objects.create(
        department=departments["市中区民政局"],
        district_id=DISTRICT,
        year=YEAR,
        computed_at=COMPUTED_AT,
        applications={"approved": 4, "rejected": 2, "in_review": 1},
        admissions_granted=4,
        admissions_in_force=3,
        dispatches=7,
        unadmitted_dispatches=3,
        deliveries=16,
        unadmitted_deliveries=6,
        refusals=1,
        refusals_of_unadmitted=1,
        funds_committed_fen=1_052_056,
        funds_transferred_fen=789_042,
        targets=2,
        targets_revoked=1,
        rated_targets=2,
        satisfaction_sum=0.9,
    )
    DepartmentFigures.objects.create(
        department=departments["市中区住建局"],
        district_id=DISTRICT,
        year=YEAR,
        computed_at=COMPUTED_AT,
        dispatches=1,
        unadmitted_dispatches=1,
        deliveries=2,
        unadmitted_deliveries=2,
        refusals=1,
    )
    DepartmentFigures.objects.create(
        department=departments["市中区卫健局"],
        district_id=DISTRICT,
        year=YEAR,
        computed_at=COMPUTED_AT,
        applications={"approved": 1},
        admissions_in_force=1,
        funds_committed_fen=1_000_000,
        funds_transferred_fen=1_000_000,
    )
    DepartmentFigures.objects.create(
        department=departments["市中区审计局"],
        district_id=DISTRICT,
        year=YEAR,
        computed_at=COMPUTED_AT,
    )
    StatsRefresh.objects.create(started_at=COMPUTED_AT, finished_at=COMPUTED_AT, years=[2025, YEAR])
    return Region.objects.get(code=DISTRICT)


@pytest.fixture
def other_secretary(personas):
    """The leadership-group office of 徐州市云龙区, another district."""
    return account_create(
        actor=None,
        username="yl_secretary",
        display_name="云龙区减负办",
        unit=Unit.objects.get(name="云龙区社区减负工作领导小组办公室"),
        roles=[Role.GROUP_SECRETARY],
        password=PASSWORD,
    )


def start(actor, district, year=YEAR, **overrides) -> Notice:
    values = {
        "number": "市中减负办〔2026〕3号",
        "title": "关于2026年度社区减负工作情况的通报",
        "preface": "现将有关情况通报如下。",
    }
    values.update(overrides)
    return notice_start(actor=actor, district=district, year=year, **values)


@pytest.fixture
def made(personas, figures, django_capture_on_commit_callbacks) -> Notice:
    """A notice of 市中区 for 2026, made by its job."""
    with django_capture_on_commit_callbacks(execute=True):
        notice = start(personas.group_secretary, figures)
    notice.refresh_from_db()
    return notice


# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_group_office_starts_a_notice_and_its_job_makes_the_pdf_and_the_workbook(made, personas):
    assert made.ready and made.finished_at is not None
    assert bytes(made.pdf).startswith(b"%PDF") and bytes(made.xlsx).startswith(b"PK")
    assert len(made.pdf_sha256) == 64
    job = BackgroundJob.objects.get(pk=made.job_id)
    assert job.status == JobStatus.SUCCEEDED and job.owner == personas.group_secretary
    assert (job.done, job.total) == (4, 4)
    assert job.result["notice"] == made.pk and job.result["pdf_sha256"] == made.pdf_sha256
    actions = list(
        AuditRecord.objects.filter(object_id=str(made.pk), object_type="reports.notice")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["notice.start", "notice.generate"]


@pytest.mark.django_db
def test_the_notice_freezes_exactly_what_the_selectors_give(made, figures):
    stats, streets = selectors.region_and_children_stats(region=figures, year=YEAR)
    assert made.figures["district"] == selectors.region_dict(stats)
    assert made.figures["district"]["reduction_percent"]["tasks"] == 60.7
    assert made.figures["streets"] == [selectors.region_dict(s) for s in streets]
    assert made.figures["departments"] == [
        selectors.department_dict(d) for d in selectors.department_stats(region=figures, year=YEAR)
    ]
    assert [h["year"] for h in made.figures["history"]] == [2025, 2026]
    assert made.figures["as_of"] == selectors.as_of().isoformat()
    assert made.figures["issuer"] == "市中区社区减负工作领导小组办公室"


@pytest.mark.django_db
def test_frozen_figures_do_not_follow_a_later_refresh(made, figures):
    RegionFigures.objects.filter(region_id=DISTRICT, year=YEAR).update(deliveries=99)
    made.refresh_from_db()
    assert made.figures["district"]["deliveries"] == 18
    assert notice_figures(district=figures, year=YEAR)["district"]["deliveries"] == 99


@pytest.mark.parametrize("username", ["review_officer", "street_officer", "dept_clerk", "auditor"])
@pytest.mark.django_db
def test_only_the_districts_group_office_may_start_a_notice(personas, figures, username):
    with pytest.raises(Forbidden):
        start(getattr(personas, username), figures)
    assert not Notice.objects.exists() and not BackgroundJob.objects.exists()


@pytest.mark.django_db
def test_another_districts_group_office_may_not_start_this_districts_notice(
    figures, other_secretary
):
    with pytest.raises(Forbidden):
        start(other_secretary, figures)
    assert not Notice.objects.exists()


@pytest.mark.django_db
def test_a_notice_is_for_a_district_not_a_street(personas, figures):
    with pytest.raises(Forbidden):
        start(personas.group_secretary, Region.objects.get(code=CHENGDONG))


@pytest.mark.parametrize("year", [2019, 2030])
@pytest.mark.django_db
def test_a_year_without_figures_is_refused(personas, figures, year):
    with pytest.raises(InvalidInput) as refused:
        start(personas.group_secretary, figures, year=year)
    assert "year" in refused.value.details and str(year) in str(refused.value.message)
    assert not Notice.objects.exists()


@pytest.mark.django_db
def test_a_notice_needs_a_title_and_a_number_that_fits(personas, figures):
    with pytest.raises(InvalidInput) as refused:
        start(personas.group_secretary, figures, title="   ", number="号" * 101)
    assert set(refused.value.details) == {"title", "number"}
    assert not Notice.objects.exists()


@pytest.mark.django_db
def test_a_notice_being_made_cannot_be_started_twice(personas, figures):
    first = start(personas.group_secretary, figures)
    assert first.job.status == JobStatus.QUEUED
    with pytest.raises(Conflict):
        start(personas.group_secretary, figures)
    assert Notice.objects.count() == 1


@pytest.mark.django_db
def test_a_finished_notice_can_be_made_again(made, personas, figures):
    again = start(personas.group_secretary, figures, number="市中减负办〔2026〕4号")
    assert again.pk != made.pk and Notice.objects.count() == 2


@pytest.mark.django_db
def test_the_form_offers_the_next_number_and_the_years_title(personas, figures, made):
    defaults = notice_defaults(district=figures, year=2025)
    this_year = timezone.localdate().year
    assert defaults["number"] == f"市中减负办〔{this_year}〕2号"
    assert defaults["title"] == "关于2025年度社区减负工作情况的通报"
    assert "2025年度" in defaults["preface"]
    assert district_short_name(Region(name="云龙区")) == "云龙"
    assert district_short_name(Region(name="峨边彝族自治县")) == "峨边彝族"


@pytest.mark.django_db
def test_a_notice_left_unfinished_by_a_lost_worker_does_not_block_another(personas, figures):
    stuck = start(personas.group_secretary, figures)
    BackgroundJob.objects.filter(pk=stuck.job_id).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    again = start(personas.group_secretary, figures)
    assert again.pk != stuck.pk


@pytest.mark.django_db
def test_a_failed_job_leaves_the_notice_without_documents(
    personas, figures, monkeypatch, django_capture_on_commit_callbacks
):
    from jianfu.core.pdf import PdfFontsMissing

    def no_fonts(notice):
        raise PdfFontsMissing

    monkeypatch.setattr("jianfu.reports.notice_jobs.notice_pdf", no_fonts)
    # The task backend records the exception; the job row says it failed.
    with django_capture_on_commit_callbacks(execute=True):
        start(personas.group_secretary, figures)
    notice = Notice.objects.get()
    assert not notice.ready and notice.finished_at is None
    assert notice.job.status == JobStatus.FAILED
    # The office may start it again at once.
    assert start(personas.group_secretary, figures).pk != notice.pk
