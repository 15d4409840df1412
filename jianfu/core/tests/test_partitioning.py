# ruff: noqa: F811  (the other apps' fixtures, imported below, are used as arguments)
"""The four large tables partitioned by year on PostgreSQL (docs/partitioning.md).

Each test converts its test database inside the test's transaction (PostgreSQL's DDL is
transactional, so the conversion rolls back with the test) and then drives the real services.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from jianfu.admission.tests.conftest import ZHONGGULOU
from jianfu.core.audit import audit_chain_verify, audit_record
from jianfu.core.partitioning import (
    TABLES,
    partition_plan,
    partitions_convert,
    partitions_ensure,
    partitions_list,
)
from jianfu.dispatch import services as dispatch_services
from jianfu.dispatch.models import Delivery, DeliveryEvent
from jianfu.dispatch.tests.conftest import dispatch
from jianfu.evaluation.models import Ballot
from jianfu.evaluation.tally import tally_campaign
from jianfu.evaluation.tests.conftest import admissions, ballots, campaign, target_of  # noqa: F401
from jianfu.funds.models import LedgerTransaction, Posting
from jianfu.funds.selectors import ledger_problems
from jianfu.funds.tests.conftest import admission_row, budget, transfer  # noqa: F401

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is a PostgreSQL feature"
)


def partition_of(table: str, **where) -> set[str]:
    """The partitions the matching rows live in."""
    column, value = next(iter(where.items()))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {column} = %s",  # noqa: S608
            [value],
        )
        return {name for (name,) in cursor.fetchall()}


def immediately(sql: str, params=()) -> None:
    """Run `sql` in a savepoint with the deferred constraints checked at once."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


@pytest.fixture
def partitioned(db):
    if not all(_is_partitioned(spec.table) for spec in TABLES):
        partitions_convert(years=(2024, 2028))


def _is_partitioned(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


@postgresql_only
def test_the_four_tables_become_partitioned_by_year_and_a_second_run_changes_nothing(
    partitioned,
):
    assert all(_is_partitioned(spec.table) for spec in TABLES)
    listed = partitions_list()
    assert {f"funds_posting_y{y}" for y in range(2024, 2029)} <= set(listed["funds_posting"])
    assert "core_auditrecord_y2024" in listed["core_auditrecord"]
    plan = partition_plan()
    assert plan.statements == {} and sorted(plan.already) == sorted(s.table for s in TABLES)
    out = StringIO()
    call_command("partition_tables", stdout=out)
    assert "未作任何修改" in out.getvalue()


@postgresql_only
def test_the_converted_tables_keep_their_owner_and_grants(db):
    """A hardened site grants the application's role INSERT and SELECT only: the conversion
    must not take them away, and the role must still draw ids from the new sequence."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE jianfu_app_test NOLOGIN")
        cursor.execute("GRANT SELECT, INSERT ON dispatch_delivery TO jianfu_app_test")
        cursor.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s",
            ["dispatch_delivery"],
        )
        (owner,) = cursor.fetchone()
    partitions_convert(years=(2025, 2027))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege('jianfu_app_test', 'dispatch_delivery', 'INSERT'), "
            "has_table_privilege('jianfu_app_test', 'dispatch_delivery', 'SELECT'), "
            "has_table_privilege('jianfu_app_test', 'dispatch_delivery', 'DELETE'), "
            "has_sequence_privilege('jianfu_app_test', "
            "pg_get_serial_sequence('dispatch_delivery', 'id'), 'USAGE'), "
            "pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'dispatch_delivery'"
        )
        assert cursor.fetchone() == (True, True, False, True, owner)


@postgresql_only
def test_a_dry_run_prints_the_sql_and_changes_nothing(db):
    if _is_partitioned("evaluation_ballot"):
        pytest.skip("the test database was partitioned (JIANFU_TEST_PARTITIONED)")
    out = StringIO()
    call_command("partition_tables", "--dry-run", stdout=out)
    assert "PARTITION BY RANGE" in out.getvalue()
    assert "UNIQUE (target_id, evaluator_id, year)" in out.getvalue()
    assert not _is_partitioned("evaluation_ballot")


@postgresql_only
def test_a_dispatched_task_lands_in_its_years_partition_and_keeps_its_rules(partitioned, personas):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    assert task.year == 2026
    assert partition_of("dispatch_delivery", task_id=task.pk) == {"dispatch_delivery_y2026"}
    delivery = Delivery.objects.get(task=task)
    dispatch_services.delivery_act(
        actor=personas.community_officer, delivery=delivery, action="accept"
    )
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1
    # One delivery per recipient still holds: (task, region, year) with the year the task's.
    with pytest.raises(IntegrityError):
        immediately(
            "INSERT INTO dispatch_delivery (task_id, region_id, year, admitted_on_arrival,"
            " admitted, reasons, status, status_before_refusal, progress_percent,"
            " progress_note, refusal_reason, refusal_basis, refused_while_admitted,"
            " completed_late, arrived_at, updated_at) SELECT task_id, region_id, year, true,"
            " true, '[]', 'received', '', 0, '', '', '', false, false, now(), now()"
            " FROM dispatch_delivery WHERE id = %s",
            [delivery.pk],
        )
    # A copy filed under another year than its task's is refused by the composite key.
    with pytest.raises(IntegrityError):
        immediately(
            "INSERT INTO dispatch_delivery (task_id, region_id, year, admitted_on_arrival,"
            " admitted, reasons, status, status_before_refusal, progress_percent,"
            " progress_note, refusal_reason, refusal_basis, refused_while_admitted,"
            " completed_late, arrived_at, updated_at) VALUES (%s, %s, 2027, true, true, '[]',"
            " 'received', '', 0, '', '', '', false, false, now(), now())",
            [task.pk, "511002001002"],
        )
    # The events' foreign key, kept by triggers, refuses an event of no delivery ...
    with pytest.raises(IntegrityError):
        immediately(
            "INSERT INTO dispatch_deliveryevent (delivery_id, action, status, admitted, note, at)"
            " VALUES (%s, 'accept', 'accepted', true, '', now())",
            [delivery.pk + 10_000],
        )
    # ... and the removal of a delivery that has events.
    with pytest.raises(IntegrityError):
        immediately("DELETE FROM dispatch_delivery WHERE id = %s", [delivery.pk])


@postgresql_only
def test_ballots_land_in_the_campaigns_year_and_stay_one_per_target_and_immutable(
    partitioned, campaign, admissions
):
    care, _check = admissions
    target = target_of(campaign, care, ZHONGGULOU)
    ballots(target, satisfied=3, no=1)
    assert partition_of("evaluation_ballot", target_id=target.pk) == {"evaluation_ballot_y2026"}
    tally = tally_campaign(campaign)[target.pk]
    assert sum(counts[0] for counts in tally.groups.values()) == 4
    first = Ballot.objects.filter(target=target).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            campaign=campaign,
            target=target,
            evaluator_id=first.evaluator_id,
            group_id=first.group_id,
            channel="code",
            overall=2,
            cast_at=first.cast_at,
        )
    # The append-only trigger was cloned onto every partition.
    for sql in (
        "UPDATE evaluation_ballot_y2026 SET overall = 0",
        "DELETE FROM evaluation_ballot_y2026",
    ):
        with pytest.raises(DatabaseError, match="immutable"):
            immediately(sql)


@postgresql_only
def test_postings_land_in_their_budget_year_and_the_ledger_still_verifies(
    partitioned, personas, budget
):
    admission = admission_row(personas, scope={ZHONGGULOU: 1_000_000})
    entry = transfer(personas, budget, admission, [(ZHONGGULOU, 100_000)])
    assert partition_of("funds_posting", transaction_id=entry.pk) == {"funds_posting_y2026"}
    assert ledger_problems() == []
    call_command("ledger_verify", stdout=StringIO())
    with pytest.raises(DatabaseError, match="append-only"):
        immediately("DELETE FROM funds_posting_y2026")
    # A posting filed under another year than its transaction's is refused.
    with pytest.raises(IntegrityError):
        immediately(
            "INSERT INTO funds_posting (transaction_id, account_id, amount_fen, year)"
            " SELECT transaction_id, account_id, 1, 2027 FROM funds_posting WHERE"
            " transaction_id = %s LIMIT 1",
            [entry.pk],
        )


@postgresql_only
def test_a_year_without_a_partition_is_refused_not_misfiled(partitioned, personas, budget):
    admission = admission_row(personas, scope={ZHONGGULOU: 1_000_000})
    entry = transfer(personas, budget, admission, [(ZHONGGULOU, 100)])
    late = LedgerTransaction.objects.create(kind="spend", year=2040, memo="x", actor=None)
    with pytest.raises(DatabaseError, match="no partition"), transaction.atomic():
        Posting.objects.create(
            transaction=late, account=entry.postings.first().account, amount_fen=1
        )


@postgresql_only
def test_audit_records_chain_across_the_partitioned_table(partitioned, personas):
    for n in range(3):
        audit_record(actor=personas.dept_clerk, action="test.partitioned", object_id=n)
    assert audit_chain_verify().ok
    assert partition_of("core_auditrecord", action="test.partitioned") == {"core_auditrecord_y2026"}
    for sql in ("UPDATE core_auditrecord_y2026 SET ip = 'x'", "DELETE FROM core_auditrecord"):
        with pytest.raises(DatabaseError, match="append-only"):
            immediately(sql)


@postgresql_only
def test_next_years_partitions_are_created_once(partitioned):
    # Beyond the years any test database is given (JIANFU_TEST_PARTITIONED makes 2015-2035).
    created = partitions_ensure(dt.date(2041, 12, 1))
    assert sorted(created) == sorted(
        f"{spec.table}_y{year}" for spec in TABLES for year in (2041, 2042)
    )
    assert partitions_ensure(dt.date(2041, 12, 2)) == []
    from jianfu.core.daily import DAILY_JOBS

    assert DAILY_JOBS["partitions_ensure"] == "jianfu.core.partitioning.partitions_ensure_daily"


@postgresql_only
def test_a_query_on_the_year_reads_one_partition(partitioned):
    plan = Ballot.objects.filter(year=2026).explain()
    assert "evaluation_ballot_y2026" in plan
    assert "evaluation_ballot_y2025" not in plan and "evaluation_ballot_y2027" not in plan
    unpruned = Ballot.objects.filter(campaign_id=1).explain()
    assert "evaluation_ballot_y2025" in unpruned


@postgresql_only
def test_an_unpartitioned_database_is_left_alone_by_the_daily_step(db):
    if _is_partitioned("evaluation_ballot"):
        pytest.skip("the test database was partitioned (JIANFU_TEST_PARTITIONED)")
    assert partitions_ensure(dt.date(2031, 12, 1)) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite refusal")
def test_sqlite_is_refused_with_a_clear_message_and_the_daily_step_does_nothing(db):
    with pytest.raises(CommandError, match="仅适用于 PostgreSQL"):
        call_command("partition_tables")
    assert partitions_ensure(dt.date(2031, 12, 1)) == []


@pytest.mark.django_db
def test_the_copied_year_follows_the_parent_row(personas, budget, campaign, admissions):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    assert set(Delivery.objects.filter(task=task).values_list("year", flat=True)) == {task.year}
    care, _check = admissions
    ballots(target_of(campaign, care, ZHONGGULOU), satisfied=1)
    assert set(Ballot.objects.values_list("year", flat=True)) == {campaign.year}
    admission = admission_row(personas, scope={ZHONGGULOU: 1_000_000})
    entry = transfer(personas, budget, admission, [(ZHONGGULOU, 100)], year=2027)
    assert set(entry.postings.values_list("year", flat=True)) == {2027}
