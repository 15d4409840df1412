"""Benchmark: a province's dashboard figures read from the precomputed rows against the same
figures computed live, and the nightly refresh of one district against a raw-SQL floor.

    .venv/bin/python benchmarks/stats.py [--database sqlite|postgres|both] [--cities 10]
        [--districts 10] [--streets 10] [--communities 10] [--repeat 1] [--postgres-name NAME]
        [--json PATH]

A province of 10 cities × 10 districts × 10 streets × 10 communities (10,000 communities by
default). Each community carries about 12 inventory entries (a quarter cleaned up), half of them
have a baseline snapshot of the year before, each has its workers; each district has 10
departments, 20 admissions covering 30 of its communities each, and 40 tasks of the year sent to
15 communities each (a third unadmitted, some refused); a province duty list of 20 items applies
everywhere. Loaded once with the ORM (bulk), then the whole province refreshed once (the nightly
job; its time is reported), then, each in its own child process on a fresh copy:

(a) `read`: what a province's dashboard reads — region_and_children_stats (it and its cities) +
    department_stats of the province — from the precomputed rows, against `read_floor`: the
    same figures from the same rows in raw SQL (the departments summed in SQL), the goal's
    floor; and `live`: the same figures computed from the records as the refresh computes them
    (burden_figures over every community with the baselines, the distinct admissions in force
    and the deliveries per city, the violation accounting and the funding of every
    department), which is what a page would have to do without the refresh, beside
    `live_floor`, the province's sources read raw (a lower bound). The three sides' figures are
    compared.
(b) `refresh`: stats_refresh of one district (and the roll-up of the cities and the province)
    against `floor`: the same district's sources read with one raw statement each on the DB-API
    cursor, every row fetched; the floor writes nothing and sums nothing, so it is a lower
    bound.

This is a measurement, not a test: it prints a table and exits 0 whatever the ratios are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import harness

SCRIPT = Path(__file__)
POSTGRES_NAME = "jianfu_bench_stats"
INNER_RUNS = 5
LIVE_RUNS = 3

# A year that is over, so the day counted (its last day) does not depend on when this runs.
YEAR = dt.date.today().year - 1
ON = dt.date(YEAR, 12, 31)
PROVINCE = "520000000000"
ENTRIES_PER_COMMUNITY = 12
DEPARTMENTS_PER_DISTRICT = 10
ADMISSIONS_PER_DISTRICT = 20
SCOPE_PER_ADMISSION = 30
TASKS_PER_DISTRICT = 40
RECIPIENTS_PER_TASK = 15


def _shape(spec: dict) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    """Cities; each city's districts; each district's communities (codes)."""
    cities = [f"52{c + 1:02d}00000000" for c in range(spec["cities"])]
    districts = {
        city: [f"{city[:4]}{d + 1:02d}000000" for d in range(spec["districts"])] for city in cities
    }
    communities = {
        district: [
            f"{district[:6]}{s + 1:03d}{c + 1:03d}"
            for s in range(spec["streets"])
            for c in range(spec["communities"])
        ]
        for city in cities
        for district in districts[city]
    }
    return cities, districts, communities


def measured_district() -> str:
    """The district whose refresh is measured: the first of the first city."""
    return "520101000000"


# The data -----------------------------------------------------------------------------------------


def _setup(spec: dict) -> dict:
    from django.db import transaction

    from jianfu.admission.models import Admission, AdmissionScope, CommunityCapacity
    from jianfu.burden.models import BurdenSnapshot, InventoryEntry
    from jianfu.catalog.demo import _load, _new_list, _publish, _rows
    from jianfu.catalog.models import ListKind, ListLevel
    from jianfu.dispatch.models import Delivery, Task
    from jianfu.org.models import Region, Unit

    rnd = random.Random(2026)  # noqa: S311 (reproducible test data, not secrets)
    cities, districts, communities = _shape(spec)
    phases = {}
    started = time.perf_counter()
    with transaction.atomic():
        regions = [Region(code=PROVINCE, name="测试省", level="province")]
        for city in cities:
            regions.append(
                Region(code=city, name=f"第{city[2:4]}市", level="city", parent_id=PROVINCE)
            )
            for district in districts[city]:
                regions.append(
                    Region(
                        code=district,
                        name=f"第{city[2:4]}-{district[4:6]}区",
                        level="district",
                        parent_id=city,
                    )
                )
                codes = communities[district]
                for street in sorted({code[:9] + "000" for code in codes}):
                    regions.append(
                        Region(
                            code=street,
                            name=f"第{street[6:9]}街道",
                            level="street",
                            parent_id=district,
                        )
                    )
                regions += [
                    Region(
                        code=c,
                        name=f"第{c[6:9]}-{c[9:]}社区",
                        level="community",
                        parent_id=c[:9] + "000",
                    )
                    for c in codes
                ]
        Region.objects.bulk_create(regions, batch_size=5000)
        duty = _new_list(
            Region.objects.get(code=PROVINCE),
            "省社区职责清单",
            ListKind.DUTY,
            ListLevel.COMMUNITY,
            "520000-duty",
            "v1",
        )
        _load(duty, _rows([(f"省定职责{n}", "", "", "", ()) for n in range(1, 21)], "P"))
        _publish(duty, f"黔〔{YEAR - 1}〕1号", dt.date(YEAR - 1, 1, 1))
    phases["regions"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        units = []
        for district in communities:
            units += [
                Unit(
                    name=f"{district[:6]}第{n + 1:02d}局",
                    type="department",
                    region_id=district,
                    district_code=district,
                    sort_key=f"{n:02d}",
                )
                for n in range(DEPARTMENTS_PER_DISTRICT)
            ]
        units = Unit.objects.bulk_create(units, batch_size=5000)
        departments = {
            district: units[i * DEPARTMENTS_PER_DISTRICT : (i + 1) * DEPARTMENTS_PER_DISTRICT]
            for i, district in enumerate(communities)
        }
        admissions = []
        for district in communities:
            for n in range(ADMISSIONS_PER_DISTRICT):
                admissions.append(
                    Admission(
                        number=f"{district[:6]}准〔{YEAR}〕{n + 1}号",
                        district_id=district,
                        year=YEAR,
                        sequence=n + 1,
                        department=departments[district][n % DEPARTMENTS_PER_DISTRICT],
                        title=f"协助事项{n + 1:02d}",
                        object_kind="task",
                        target_level="community",
                        hours_per_community=rnd.randint(4, 240) / 4,
                        valid_from=dt.date(YEAR, 1, 1),
                        valid_until=dt.date(YEAR + 1, 12, 31),
                        state="revoked" if rnd.random() < 0.05 else "active",
                    )
                )
        admissions = Admission.objects.bulk_create(admissions, batch_size=5000)
        scopes = []
        for admission in admissions:
            codes = communities[admission.district_id]
            for code in rnd.sample(codes, min(SCOPE_PER_ADMISSION, len(codes))):
                scopes.append(
                    AdmissionScope(
                        admission=admission,
                        region_id=code,
                        funding_fen=rnd.randint(50_000, 500_000),
                        revoked_on=dt.date(YEAR, 9, 1) if rnd.random() < 0.03 else None,
                    )
                )
        AdmissionScope.objects.bulk_create(scopes, batch_size=5000)
        entries, capacities, snapshots = [], [], []
        kinds = ("signboard", "ledger", "ledger", "campaign", "system")
        for codes in communities.values():
            for code in codes:
                capacities.append(CommunityCapacity(community_id=code, workers=rnd.randint(5, 9)))
                for n in range(ENTRIES_PER_COMMUNITY + rnd.randint(-2, 2)):
                    kind = rnd.choice(kinds)
                    ended = rnd.random() < 0.25
                    entries.append(
                        InventoryEntry(
                            community_id=code,
                            kind=kind,
                            name=f"{kind}-{n}",
                            since=dt.date(rnd.randint(2010, YEAR - 1), rnd.randint(1, 12), 1),
                            status="removed" if ended else "active",
                            ended_on=dt.date(YEAR, rnd.randint(1, 11), 1) if ended else None,
                            medium=("paper" if rnd.random() < 0.6 else "electronic")
                            if kind == "ledger"
                            else "",
                            quantity=rnd.randint(1, 6) if kind == "ledger" else 1,
                            one_vote_veto=kind == "campaign" and rnd.random() < 0.2,
                        )
                    )
                if rnd.random() < 0.5:
                    snapshots.append(
                        BurdenSnapshot(
                            community_id=code,
                            taken_on=dt.date(YEAR - 1, 12, 31),
                            label="减负前基线",
                            is_baseline=True,
                            source="survey",
                            tasks=rnd.randint(60, 250),
                            duties=20,
                            signboards=rnd.randint(5, 40),
                            ledger_books=rnd.randint(20, 150),
                            campaigns=rnd.randint(5, 30),
                            systems=rnd.randint(2, 10),
                            workers=7,
                        )
                    )
        CommunityCapacity.objects.bulk_create(capacities, batch_size=5000)
        InventoryEntry.objects.bulk_create(entries, batch_size=5000)
        BurdenSnapshot.objects.bulk_create(snapshots, batch_size=5000)
    phases["admissions and inventories"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        by_district = {}
        for admission in admissions:
            by_district.setdefault(admission.district_id, []).append(admission)
        tasks, plans = [], []
        for district, codes in communities.items():
            for n in range(TASKS_PER_DISTRICT):
                admission = rnd.choice(by_district[district]) if n % 3 else None
                recipients = rnd.sample(codes, min(RECIPIENTS_PER_TASK, len(codes)))
                tasks.append(
                    Task(
                        reference=f"{district[:6]}-{YEAR}-{n + 1:04d}",
                        department=departments[district][n % DEPARTMENTS_PER_DISTRICT],
                        district_code=district,
                        title=f"任务{n + 1}",
                        content="收集材料",
                        deadline=dt.date(YEAR, rnd.randint(2, 12), 1),
                        admission=admission,
                        admission_number=admission.number if admission else "",
                        recipient_level="community",
                        recipient_codes=recipients,
                        status="dispatched",
                        recipients_total=len(recipients),
                    )
                )
                plans.append(recipients)
        tasks = Task.objects.bulk_create(tasks, batch_size=5000)
        deliveries = []
        for task, recipients in zip(tasks, plans, strict=True):
            for code in recipients:
                admitted = task.admission_id is not None
                roll = rnd.random()
                status = "received"
                if not admitted and roll < 0.3:
                    status = "refused"
                elif roll < 0.5:
                    status = "completed"
                elif roll < 0.55:
                    status = "refusal_requested"
                deliveries.append(
                    Delivery(
                        task=task,
                        region_id=code,
                        admitted_on_arrival=admitted,
                        admitted=admitted,
                        status=status,
                        completed_late=status == "completed" and roll < 0.1,
                    )
                )
        Delivery.objects.bulk_create(deliveries, batch_size=5000)
        # The tasks were sent in the year counted (bulk_create stamps them now).
        Task.objects.update(created_at=dt.datetime(YEAR, 6, 15, 4, 0, tzinfo=dt.UTC))
    phases["tasks and deliveries"] = time.perf_counter() - started
    return phases


def _refresh_all() -> dict:
    """The nightly job over the whole province, for the year."""
    from jianfu.reports.services import stats_refresh

    started = time.perf_counter()
    run = stats_refresh(actor=None, years=[YEAR])
    return {
        "seconds": time.perf_counter() - started,
        "regions": run.regions,
        "departments": run.departments,
    }


def _inspect(connection) -> dict:
    from jianfu.admission.models import AdmissionScope
    from jianfu.burden.models import InventoryEntry
    from jianfu.dispatch.models import Delivery
    from jianfu.org.models import Region

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            server = "PostgreSQL " + cursor.fetchone()[0].split()[1]
        else:
            cursor.execute("SELECT sqlite_version()")
            server = "SQLite " + cursor.fetchone()[0]
    return {
        "server": server,
        "communities": Region.objects.filter(level="community").count(),
        "districts": Region.objects.filter(level="district").count(),
        "entries": InventoryEntry.objects.count(),
        "scopes": AdmissionScope.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


def child_prepare(spec: dict) -> dict:
    """Migrate, load, refresh the whole province once; report what was loaded."""
    connection = harness.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    phases = _setup(spec)
    setup_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (FREEZE, ANALYZE)")
        else:
            cursor.execute("ANALYZE")
    refreshed = _refresh_all()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    result = {
        "setup_seconds": setup_seconds,
        "phases": phases,
        "refresh_all": refreshed,
        **_inspect(connection),
    }
    harness.connections_close(connection)
    return result


# (a) The province's dashboard ---------------------------------------------------------------------


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _figures_digest(province, cities: dict, departments: dict) -> str:
    """What both sides must agree on: the province's and each city's burden sums, baselines,
    distinct admissions and deliveries, and each department's record."""
    return _digest({"province": province, "cities": cities, "departments": departments})


def _read_precomputed() -> tuple:
    from jianfu.org.models import Region
    from jianfu.reports import selectors

    province = Region.objects.get(code=PROVINCE)
    stats, children = selectors.region_and_children_stats(region=province, year=YEAR)
    departments = selectors.department_stats(region=province, year=YEAR)
    return stats, children, departments


def _precomputed_digest(value) -> str:
    stats, children, departments = value

    def region(s) -> dict:
        r = s.row
        return {
            "burden": r.burden,
            "baseline": r.baseline,
            "comparable": r.comparable,
            "admissions": r.admissions_in_force,
            "deliveries": [r.deliveries, r.unadmitted_deliveries, r.refusals, r.refusals_pending],
        }

    return _figures_digest(
        region(stats),
        {s.row.region_id: region(s) for s in children},
        {
            str(d.department.pk): [
                d.dispatches,
                d.deliveries,
                d.unadmitted_deliveries,
                d.refusals,
                d.late_completions,
                d.funds_committed_fen,
            ]
            for d in departments
        },
    )


def _read_live() -> tuple:
    """The same figures from the records, as the refresh computes them, for the whole province."""
    from collections import defaultdict

    from django.db.models import Count, Q

    from jianfu.admission.models import AdmissionScope
    from jianfu.burden.index import Figures, baselines_of, burden_figures, figures_of
    from jianfu.dispatch.models import Delivery
    from jianfu.dispatch.selectors import SENT_STATUSES, departments_for_violations, violations
    from jianfu.funds.selectors import funding_by_department
    from jianfu.org.models import Region

    communities = list(
        Region.objects.filter(
            level="community", code__startswith="52", valid_until__isnull=True
        ).order_by("code")
    )
    figures = burden_figures(communities, on=ON)
    baselines = {code: s for code, s in baselines_of(figures).items() if s.taken_on <= ON}
    empty = {"burden": None, "baseline": None, "comparable": None}
    sums: dict[str, dict] = defaultdict(lambda: dict(empty))

    def add(into: dict, name: str, more: Figures) -> None:
        if into[name] is None:
            into[name] = Figures(signboard_cap=0)
        into[name].add(more)

    for community in communities:
        current = figures[community.code]
        snapshot = baselines.get(community.code)
        for code in (community.code[:4] + "0" * 8, PROVINCE):
            add(sums[code], "burden", current)
            if snapshot is not None:
                add(sums[code], "baseline", figures_of(snapshot))
                add(sums[code], "comparable", current)
    in_force = (
        AdmissionScope.objects.filter(
            region__code__startswith="52",
            admission__state="active",
            admission__valid_from__lte=ON,
            admission__valid_until__gte=ON,
        )
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=ON))
        .values_list("region_id", "admission_id")
    )
    admissions: dict[str, set] = defaultdict(set)
    for code, admission_id in in_force:
        admissions[code[:4] + "0" * 8].add(admission_id)
        admissions[PROVINCE].add(admission_id)
    deliveries: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0])
    per_region = (
        Delivery.objects.filter(
            region__code__startswith="52",
            task__status__in=SENT_STATUSES,
            task__created_at__year=YEAR,
        )
        .values("region_id")
        .annotate(
            n=Count("pk"),
            unadmitted=Count("pk", filter=Q(admitted_on_arrival=False)),
            refused=Count("pk", filter=Q(status="refused")),
            pending=Count("pk", filter=Q(status="refusal_requested")),
        )
        .order_by()
    )
    for found in per_region:
        for code in (found["region_id"][:4] + "0" * 8, PROVINCE):
            cell = deliveries[code]
            cell[0] += found["n"]
            cell[1] += found["unadmitted"]
            cell[2] += found["refused"]
            cell[3] += found["pending"]
    departments = departments_for_violations(user=None, district_code="")
    departments = departments.filter(district_code__startswith="52")
    records = violations(departments=departments, year=YEAR, within="52")
    money = funding_by_department(prefix="52", year=YEAR)
    return sums, admissions, deliveries, records, money


def _live_digest(value) -> str:
    sums, admissions, deliveries, records, money = value

    def region(code: str) -> dict:
        named = sums[code]
        return {
            "burden": named["burden"].as_dict(),
            "baseline": named["baseline"].as_dict() if named["baseline"] else None,
            "comparable": named["comparable"].as_dict() if named["comparable"] else None,
            "admissions": len(admissions[code]),
            "deliveries": deliveries[code],
        }

    return _figures_digest(
        region(PROVINCE),
        {code: region(code) for code in sums if code != PROVINCE},
        {
            str(r.department.pk): [
                r.dispatches,
                r.deliveries,
                r.unadmitted_deliveries,
                r.refusals,
                r.late_completions,
                money.get(r.department.pk, (0, 0))[0],
            ]
            for r in records
            if r.dispatches or r.deliveries
        },
    )


def child_read(spec: dict) -> dict:
    connection = harness.django_setup()
    result, value = harness.best_of(
        INNER_RUNS, _read_precomputed, connection, count_statements=True
    )
    result["digest"] = _precomputed_digest(value)
    harness.connections_close(connection)
    return result


def child_live(spec: dict) -> dict:
    connection = harness.django_setup()
    result, value = harness.best_of(LIVE_RUNS, _read_live, connection, count_statements=True)
    result["digest"] = _live_digest(value)
    harness.connections_close(connection)
    return result


# (b) The refresh of one district ------------------------------------------------------------------


def child_refresh(spec: dict) -> dict:
    connection = harness.django_setup()
    from jianfu.org.models import Region
    from jianfu.reports.models import RegionFigures
    from jianfu.reports.services import stats_refresh

    district = Region.objects.get(code=measured_district())
    result, _run = harness.best_of(
        INNER_RUNS,
        lambda: stats_refresh(actor=None, years=[YEAR], districts=[district]),
        connection,
        count_statements=True,
    )
    result["rows"] = RegionFigures.objects.filter(
        region__code__startswith=district.prefix, year=YEAR
    ).count()
    harness.connections_close(connection)
    return result


def _code_range(prefix: str) -> tuple[str, str]:
    """The codes under a prefix as a range: from the prefix's first code up to the next's."""
    return prefix.ljust(12, "0"), f"{int(prefix) + 1:0{len(prefix)}d}".ljust(12, "0")


def _floor_sql(vendor: str, district: str | None) -> dict[str, str]:
    """One statement per source the refresh reads for the district (None: for every district
    of the province), every value inlined."""
    low, high = (f"'{code}'" for code in _code_range(district[:6] if district else PROVINCE[:2]))

    def within(column: str) -> str:
        return f"{column} >= {low} AND {column} < {high}"

    def of_district(column: str) -> str:
        return f"{column} = '{district}'" if district else within(column)

    if district:
        duty_lists = f"l.region_id IN ('{district}', '{district[:4]}00000000', '{PROVINCE}')"
    else:
        duty_lists = within("l.region_id")

    day, jan1, dec31 = f"'{ON}'", f"'{YEAR}-01-01'", f"'{YEAR}-12-31'"
    if vendor == "postgresql":
        start, end = f"'{YEAR}-01-01 00:00:00+08'", f"'{YEAR + 1}-01-01 00:00:00+08'"
        false = "false"
    else:
        start, end = f"'{YEAR - 1}-12-31 16:00:00'", f"'{YEAR}-12-31 16:00:00'"
        false = "0"

    def count_if(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    unadmitted = count_if(f"d.admitted_on_arrival = {false}")
    refused = count_if("d.status = 'refused'")
    pending = count_if("d.status = 'refusal_requested'")
    still_open = count_if("d.status IN ('received', 'accepted')")
    admissions_in_force = count_if(
        f"state = 'active' AND valid_from <= {day} AND valid_until >= {day}"
    )

    in_force = (
        f"{within('s.region_id')} AND a.state = 'active' AND a.valid_from <= {day} "
        f"AND a.valid_until >= {day} AND (s.revoked_on IS NULL OR s.revoked_on > {day})"
    )
    sent = (
        "t.status IN ('dispatched', 'cancelled') "
        f"AND t.created_at >= {start} AND t.created_at < {end}"
    )
    return {
        "regions": (
            "SELECT code, parent_id, level FROM org_region "  # noqa: S608
            f"WHERE {within('code')} AND level IN ('street', 'community') "
            "AND valid_until IS NULL"
        ),
        "duties": (
            "SELECT COUNT(*) FROM catalog_item i "  # noqa: S608
            "JOIN catalog_listversion v ON v.id = i.version_id "
            "JOIN catalog_cataloglist l ON l.id = v.list_id "
            "WHERE v.status = 'published' AND l.kind = 'duty' AND l.level = 'community' "
            f"AND (l.region_id IS NULL OR {duty_lists}) AND NOT EXISTS (SELECT 1 FROM catalog_item c "
            "WHERE c.version_id = i.version_id AND c.parent_key = i.key)"
        ),
        "caps": (
            "SELECT district_id, signboard_cap FROM burden_burdensettings "  # noqa: S608
            f"WHERE {of_district('district_id')}"
        ),
        "scopes in force": (
            "SELECT s.region_id, s.admission_id, s.funding_fen, s.revoked_on, "  # noqa: S608
            "a.valid_from, a.valid_until, a.hours_per_community "
            "FROM admission_admissionscope s JOIN admission_admission a ON a.id = s.admission_id "
            f"WHERE {in_force}"
        ),
        "transferred": (
            "SELECT acc.region_id, p.admission_id, SUM(p.amount_fen) "  # noqa: S608
            "FROM funds_posting p JOIN funds_account acc ON acc.id = p.account_id "
            "JOIN funds_ledgertransaction t ON t.id = p.transaction_id "
            f"WHERE t.year = {YEAR} AND {within('acc.region_id')} "
            "GROUP BY acc.region_id, p.admission_id"
        ),
        "entries": (
            "SELECT community_id, kind, medium, COUNT(*), SUM(quantity), "  # noqa: S608
            f"{count_if('one_vote_veto')}, "
            f"{count_if('admission_id IS NULL AND basis_item_key IS NULL')} "
            f"FROM burden_inventoryentry WHERE {within('community_id')} "
            f"AND since <= {day} AND (ended_on IS NULL OR ended_on > {day}) "
            "GROUP BY community_id, kind, medium"
        ),
        "workers": (
            "SELECT community_id, workers FROM admission_communitycapacity "  # noqa: S608
            f"WHERE {within('community_id')}"
        ),
        "baselines": (
            "SELECT * FROM burden_burdensnapshot "  # noqa: S608
            f"WHERE {within('community_id')} AND is_baseline AND taken_on <= {day}"
        ),
        "deliveries by region": (
            f"SELECT d.region_id, COUNT(*), {unadmitted}, {refused}, {pending} "  # noqa: S608
            "FROM dispatch_delivery d JOIN dispatch_task t ON t.id = d.task_id "
            f"WHERE {within('d.region_id')} AND {sent} GROUP BY d.region_id"
        ),
        "deliveries by department": (
            f"SELECT t.department_id, COUNT(*), {unadmitted}, {refused}, "  # noqa: S608
            f"{count_if('d.completed_late')}, {still_open} "
            "FROM dispatch_delivery d JOIN dispatch_task t ON t.id = d.task_id "
            f"WHERE {within('d.region_id')} AND {sent} GROUP BY t.department_id"
        ),
        "dispatches by department": (
            "SELECT t.department_id, COUNT(DISTINCT t.id), "  # noqa: S608
            f"COUNT(DISTINCT CASE WHEN d.admitted_on_arrival = {false} THEN t.id END) "
            "FROM dispatch_task t JOIN dispatch_delivery d ON d.task_id = t.id "
            f"WHERE {within('d.region_id')} AND {sent} GROUP BY t.department_id"
        ),
        "applications": (
            "SELECT department_id, state, COUNT(*) FROM admission_application "  # noqa: S608
            f"WHERE {of_district('district_id')} AND submitted_at >= {start} "
            f"AND submitted_at < {end} GROUP BY department_id, state"
        ),
        "admissions by department": (
            f"SELECT department_id, {count_if(f'year = {YEAR}')}, {admissions_in_force} "  # noqa: S608
            f"FROM admission_admission WHERE {of_district('district_id')} GROUP BY department_id"
        ),
        "funding by department": (
            "SELECT a.department_id, s.funding_fen, s.revoked_on, a.valid_from, "  # noqa: S608
            "a.valid_until FROM admission_admissionscope s "
            "JOIN admission_admission a ON a.id = s.admission_id "
            f"WHERE {within('s.region_id')} AND a.valid_from <= {dec31} "
            f"AND a.valid_until >= {jan1}"
        ),
        "targets": (
            "SELECT t.region_id, t.department_id, t.outcome, t.rate "  # noqa: S608
            "FROM evaluation_target t JOIN evaluation_campaign c ON c.id = t.campaign_id "
            f"WHERE {of_district('c.district_id')} AND c.year = {YEAR} AND c.state = 'published'"
        ),
    }


def child_floor(spec: dict) -> dict:
    """The sources of the refresh read raw: the measured district's, or with `province` every
    district's (the floor of computing the province's figures live)."""
    connection = harness.django_setup()
    district = None if spec.get("province") else measured_district()
    statements = _floor_sql(connection.vendor, district)
    connection.ensure_connection()
    raw = connection.connection

    def run():
        rows = {}
        cursor = raw.cursor()
        for name, sql in statements.items():
            cursor.execute(sql)
            rows[name] = cursor.fetchall()
        cursor.close()
        return rows

    result, rows = harness.best_of(INNER_RUNS, run, connection)
    result["queries"] = len(statements)
    result["rows_read"] = sum(len(r) for r in rows.values())
    harness.connections_close(connection)
    return result


# (a) The floor of the dashboard's read ------------------------------------------------------------


def _read_floor_sql(vendor: str) -> dict[str, str]:
    """The dashboard's figures from the precomputed rows in the fewest raw statements: the
    province's and its cities' rows with their names, every department's record summed over
    the districts in SQL, in the dashboard's order, and its applications by state."""
    # The department figures the dashboard sums over the province's districts (Django is set up).
    from jianfu.reports.selectors import DEPARTMENT_COUNTS

    low, high = _code_range(PROVINCE[:2])
    sums = ", ".join(f"SUM(f.{name}) AS {name}" for name in DEPARTMENT_COUNTS)
    districts = f"f.year = {YEAR} AND f.district_id >= '{low}' AND f.district_id < '{high}'"
    if vendor == "postgresql":
        states = "jsonb_each_text(f.applications) a"
        count = "SUM(a.value::integer)"
    else:
        states = "json_each(f.applications) a"
        count = "SUM(a.value)"
    return {
        "regions": (
            "SELECT f.*, r.name FROM reports_regionfigures f "  # noqa: S608
            "JOIN org_region r ON r.code = f.region_id "
            f"WHERE f.year = {YEAR} AND (f.region_id = '{PROVINCE}' "
            f"OR f.parent_code = '{PROVINCE}') ORDER BY f.region_id"
        ),
        "departments": (
            f"SELECT f.department_id, u.name, u.sort_key, {sums} "  # noqa: S608
            "FROM reports_departmentfigures f JOIN org_unit u ON u.id = f.department_id "
            f"WHERE {districts} GROUP BY f.department_id, u.name, u.sort_key "
            "ORDER BY SUM(f.unadmitted_deliveries) DESC, SUM(f.refusals) DESC, u.sort_key, "
            "f.department_id"
        ),
        "applications": (
            f"SELECT f.department_id, a.key, {count} "  # noqa: S608
            f"FROM reports_departmentfigures f, {states} WHERE {districts} "
            "GROUP BY f.department_id, a.key"
        ),
    }


def _read_floor_digest(value) -> str:
    regions, departments = value

    def region(row: dict) -> dict:
        return {
            "burden": row["burden"],
            "baseline": row["baseline"],
            "comparable": row["comparable"],
            "admissions": row["admissions_in_force"],
            "deliveries": [
                row["deliveries"],
                row["unadmitted_deliveries"],
                row["refusals"],
                row["refusals_pending"],
            ],
        }

    names = ("dispatches", "deliveries", "unadmitted_deliveries", "refusals", "late_completions")
    return _figures_digest(
        region(next(r for r in regions if r["region_id"] == PROVINCE)),
        {r["region_id"]: region(r) for r in regions if r["region_id"] != PROVINCE},
        {
            # PostgreSQL sums a bigint column as numeric.
            str(d["department_id"]): [int(d[name]) for name in (*names, "funds_committed_fen")]
            for d in departments
        },
    )


def child_read_floor(spec: dict) -> dict:
    """The honest floor of the dashboard's read: the same figures from the same precomputed
    rows in raw SQL on the DB-API cursor, every row fetched and turned into values."""
    connection = harness.django_setup()
    statements = _read_floor_sql(connection.vendor)
    connection.ensure_connection()
    raw = connection.connection

    # SQLite hands JSON columns over as text, and so does psycopg on Django's connection
    # (Django loads jsonb as text and decodes it in the field); decoded here as the field does.
    def decode(value):
        return json.loads(value) if isinstance(value, str) else value

    def rows_of(cursor, sql: str) -> list[dict]:
        cursor.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def run():
        cursor = raw.cursor()
        regions = rows_of(cursor, statements["regions"])
        for row in regions:
            for name in ("burden", "baseline", "comparable"):
                if row[name] is not None:
                    row[name] = decode(row[name])
        departments = rows_of(cursor, statements["departments"])
        by_id = {d["department_id"]: d for d in departments}
        for d in departments:
            d["applications"] = {}
        cursor.execute(statements["applications"])
        for department_id, state, count in cursor.fetchall():
            by_id[department_id]["applications"][state] = count
        cursor.close()
        return regions, departments

    result, value = harness.best_of(INNER_RUNS, run, connection)
    result["queries"] = len(statements)
    result["digest"] = _read_floor_digest(value)
    harness.connections_close(connection)
    return result


CHILDREN = {
    "prepare": child_prepare,
    "read": child_read,
    "read_floor": child_read_floor,
    "live": child_live,
    "refresh": child_refresh,
    "floor": child_floor,
}


# The parent ---------------------------------------------------------------------------------------

# The goal for reports and dashboards: the dashboard's read against the raw read of its rows.
READ_GOAL = 2.0
# Each side's child spec.
SIDES = {
    "read": {"mode": "read"},
    "read_floor": {"mode": "read_floor"},
    "live": {"mode": "live"},
    "live_floor": {"mode": "floor", "province": True},
    "refresh": {"mode": "refresh"},
    "floor": {"mode": "floor"},
}


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--cities", type=int, default=10)
    parser.add_argument("--districts", type=int, default=10, help="districts per city")
    parser.add_argument("--streets", type=int, default=10, help="streets per district")
    parser.add_argument("--communities", type=int, default=10, help="communities per street")
    parser.add_argument("--repeat", type=int, default=1, help="children per side")
    parser.add_argument("--postgres-name", default=POSTGRES_NAME, help="PostgreSQL database")
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return
    spec = {
        "mode": "prepare",
        "cities": args.cities,
        "districts": args.districts,
        "streets": args.streets,
        "communities": args.communities,
    }
    results, servers, notes = [], [], []
    with harness.scratch_folder("jianfu-bench-stats-") as work:
        for database in harness.databases_chosen(args.database):
            with harness.scratch_database(
                database, work, postgres_name=args.postgres_name
            ) as target:
                print(f"[{database}] migrating, loading and refreshing …", flush=True)
                prepared = harness.run_child(SCRIPT, spec, target.template_env())
                phases = ", ".join(f"{n} {s:.1f} s" for n, s in prepared["phases"].items())
                whole = prepared["refresh_all"]
                print(
                    f"[{database}]   {prepared['communities']:,} communities in "
                    f"{prepared['districts']} districts loaded in "
                    f"{prepared['setup_seconds']:.1f} s ({phases}); the whole province "
                    f"refreshed in {whole['seconds']:.1f} s ({whole['regions']:,} region rows, "
                    f"{whole['departments']:,} department rows)",
                    flush=True,
                )
                servers.append(prepared["server"])
                runs: dict[str, list[dict]] = {side: [] for side in SIDES}
                # A floor of the read before and after each read, so a slow spell hits both.
                plan = ["read_floor"]
                plan += [
                    "read",
                    "read_floor",
                    "live",
                    "live_floor",
                    "floor",
                    "refresh",
                ] * args.repeat
                for side in plan:
                    result = harness.run_child(SCRIPT, SIDES[side], target.fresh_env())
                    runs[side].append(result)
                    print(
                        f"[{database}] {side}: best {result['seconds'] * 1000:.1f} ms of "
                        + ", ".join(f"{s * 1000:.1f}" for s in result["all_seconds"])
                        + f" ({result['queries']} statements)",
                        flush=True,
                    )
                digests = {
                    side: {r["digest"] for r in runs[side]}
                    for side in ("read", "read_floor", "live")
                }
                assert len(set().union(*digests.values())) == 1, (
                    f"the precomputed, the raw and the live figures differ: {digests}"
                )

                results.append(
                    {
                        "database": database,
                        "prepared": prepared,
                        **{side: min(runs[side], key=lambda run: run["seconds"]) for side in SIDES},
                    }
                )
                read, live, refresh, floor = (
                    results[-1][side] for side in ("read", "live", "refresh", "floor")
                )
                notes.append(
                    f"{database}: refresh of one district wrote {refresh['rows']} region rows "
                    f"(+ the roll-up of every city and the province); the floor read "
                    f"{floor['rows_read']:,} rows in {floor['queries']} statements; "
                    f"live peak RSS {live['after']['hwm_kb'] / 1024:.0f} MB, "
                    f"read peak RSS {read['after']['hwm_kb'] / 1024:.0f} MB"
                )

    machine = harness.machine_description(servers)
    print()
    print("Machine: " + machine)
    first = results[0]["prepared"]
    print(
        f"Data: 1 province, {args.cities} cities, {first['districts']} districts, "
        f"{first['communities']:,} communities; {first['entries']:,} inventory entries, "
        f"{first['scopes']:,} admission scopes, {first['deliveries']:,} deliveries (year {YEAR})."
    )
    print(
        "(a) read = region_and_children_stats + department_stats of the province from the "
        f"precomputed rows, best of {INNER_RUNS}; read floor = the same figures from the same "
        "rows in raw SQL (3 statements, departments summed in SQL), best of "
        f"{INNER_RUNS}; live = the same figures from the records, best of {LIVE_RUNS}; "
        "the three agree (digest); live floor = the province's sources, one raw statement "
        "each, rows fetched, nothing summed (a lower bound). (b) refresh = stats_refresh of one "
        f"district and the roll-up, best of {INNER_RUNS}; floor = that district's sources, one "
        "raw statement each, rows fetched, nothing written (a lower bound)."
    )
    print()
    header = (
        "database",
        "read ms",
        "q",
        "read floor ms",
        "read ÷ floor",
        f"≤ {READ_GOAL:g}×",
        "live ms",
        "q",
        "live ÷ read",
        "live floor ms",
        "refresh ms",
        "q",
        "floor ms",
        "refresh ÷ floor",
        "province refresh s",
    )
    rows = [
        (
            r["database"],
            f"{r['read']['seconds'] * 1000:.1f}",
            str(r["read"]["queries"]),
            f"{r['read_floor']['seconds'] * 1000:.1f}",
            f"{r['read']['seconds'] / r['read_floor']['seconds']:.2f}×",
            "yes" if r["read"]["seconds"] / r["read_floor"]["seconds"] <= READ_GOAL else "NO",
            f"{r['live']['seconds'] * 1000:.0f}",
            str(r["live"]["queries"]),
            f"{r['live']['seconds'] / r['read']['seconds']:.0f}×",
            f"{r['live_floor']['seconds'] * 1000:.0f}",
            f"{r['refresh']['seconds'] * 1000:.1f}",
            str(r["refresh"]["queries"]),
            f"{r['floor']['seconds'] * 1000:.1f}",
            f"{r['refresh']['seconds'] / r['floor']['seconds']:.2f}×",
            f"{r['prepared']['refresh_all']['seconds']:.1f}",
        )
        for r in results
    ]
    harness.print_table(header, rows, left=1)
    print()
    for note in notes:
        print("  " + note)
    sys.stdout.flush()
    rows = []
    for r in results:
        communities = r["prepared"]["communities"]
        rows += [
            harness.result_row(
                operation=f"province dashboard read, {communities:,} communities",
                database=r["database"],
                ours=r["read"]["seconds"],
                floor=r["read_floor"]["seconds"],
                goal=READ_GOAL,
                note=f"{r['read']['queries']} queries; floor: raw SQL over the same "
                f"precomputed rows ({r['read_floor']['queries']} statements)",
            ),
            harness.result_row(
                operation=f"province dashboard computed live, {communities:,} communities",
                database=r["database"],
                ours=r["live"]["seconds"],
                floor=r["live_floor"]["seconds"],
                note=f"{r['live']['queries']} queries; floor: the sources read raw, nothing "
                f"summed (a lower bound); {r['live']['seconds'] / r['read']['seconds']:.0f}× "
                "the precomputed read",
            ),
            harness.result_row(
                operation="stats refresh of one district and the roll-up",
                database=r["database"],
                ours=r["refresh"]["seconds"],
                floor=r["floor"]["seconds"],
                note=f"{r['refresh']['queries']} queries; floor: the district's sources read "
                "raw, nothing written (a lower bound)",
            ),
        ]
    harness.write_results(args.json, benchmark="stats", machine=machine, rows=rows)


if __name__ == "__main__":
    main()
