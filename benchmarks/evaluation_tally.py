"""Benchmark: the evaluation tally of a whole campaign against the fastest raw SQL aggregate.

    .venv/bin/python benchmarks/evaluation_tally.py [--database sqlite|postgres|both]
        [--ballots N] [--repeat 1] [--explain] [--keep] [--reuse] [--postgres-name NAME]
        [--sqlite-mmap BYTES] [--json PATH]

One district's campaign: 100 communities (10 streets × 10), 20 admissions in each, so 2,000
targets, 5 weighted evaluator groups and 5 dimensions, and N ballots (10,000,000 on PostgreSQL,
1,000,000 on SQLite by default), each evaluator rating every target of their community. The
ballots are loaded fast (PostgreSQL: COPY from a generator, with the ballot table's indexes and
foreign keys dropped for the load and put back after; SQLite: executemany in one transaction)
and the database is vacuumed and analysed once. Then, interleaved in child processes on that
database (the runs only read): ours, `jianfu.evaluation.tally.tally_campaign(campaign)` (its
query and the Python weighting), and the floor, the same GROUP BY target and group with the same
conditional counts in raw SQL on the DB-API cursor, all rows fetched, in each of a few
formulations, the fastest counting. Each child runs its side three times; the best counts. Both
sides' results are compared. See benchmarks/README.md. This is a measurement, not a test: it
prints a table and exits 0 whatever the ratio is.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import harness

# Run again with --child for each measurement.
SCRIPT = Path(__file__)
# The PostgreSQL database the ballots are loaded into (dropped at the end unless --keep).
POSTGRES_NAME = "jianfu_bench_evaluation"
# Where SQLite's data folder is kept with --keep (and found again with --reuse).
SQLITE_KEPT = Path(tempfile.gettempdir()) / "jianfu-bench-evaluation-sqlite"
DEFAULT_BALLOTS = {"postgres": 10_000_000, "sqlite": 1_000_000}
GOAL_RATIO = 1.5
INNER_RUNS = 3

YEAR = 2026
PROVINCE, CITY, DISTRICT = "510000000000", "519000000000", "519001000000"
STREETS, COMMUNITIES_PER_STREET, ADMISSIONS = 10, 10, 20
COMMUNITIES = STREETS * COMMUNITIES_PER_STREET
TARGETS = COMMUNITIES * ADMISSIONS
# The district's default weights (jianfu.evaluation.services.DEFAULT_GROUPS).
GROUPS = (("residents", 40), ("party_members", 20), ("resident_units", 15))
GROUPS += (("organisations", 15), ("other_reps", 10))
DIMENSIONS = ("作用", "效果", "工作作风", "经费落实", "群众认可")
# Each target's verdicts repeat with this period (a prime, so they mix evenly over the 5 groups).
PATTERN = 101
CAST_AT = "2026-03-10 10:00:00"
BALLOT_COLUMNS = (
    "id",
    "campaign_id",
    "target_id",
    "evaluator_id",
    "group_id",
    "channel",
    "overall",
    *(f"rating_{p}" for p in range(1, 9)),
    "comment",
    "paper_batch_id",
    "cast_at",
    "year",
)
EVALUATOR_COLUMNS = (
    "id",
    "campaign_id",
    "group_id",
    "region_id",
    "code_hash",
    "serial",
    "code_used_at",
    "enrolled_at",
)


# The data -----------------------------------------------------------------------------------------


def _community_codes() -> list[str]:
    return [
        f"{DISTRICT[:6]}{s:03d}{c:03d}"
        for s in range(1, STREETS + 1)
        for c in range(1, COMMUNITIES_PER_STREET + 1)
    ]


def _per_target(ballots: int) -> list[int]:
    """How many ballots each target gets: N spread as evenly as it goes."""
    base, extra = divmod(ballots, TARGETS)
    return [base + (1 if t < extra else 0) for t in range(TARGETS)]


def _patterns() -> list[list[tuple]]:
    """Per target, PATTERN ballots' (overall, rating_1 … rating_5): each target has its own
    satisfaction (25 % to 80 % satisfied, so some are revoked), and a dimension is left blank
    now and then."""
    patterns = []
    for t in range(TARGETS):
        rnd = random.Random(t)  # noqa: S311 (reproducible test data, not secrets)
        satisfied = 0.25 + 0.55 * ((t * 37) % 100) / 100
        verdicts = [
            (2 if rnd.random() < 0.6 else 1) if rnd.random() < satisfied else 0
            for _ in range(PATTERN)
        ]
        patterns.append(
            [
                (
                    verdicts[k],
                    *(
                        None if (k + p) % 13 == 0 else verdicts[(k + 7 * p) % PATTERN]
                        for p in range(1, 6)
                    ),
                )
                for k in range(PATTERN)
            ]
        )
    return patterns


def _ballot_keys(ballots: int):
    """(ballot id, target index, community index, evaluator index in the community) in the order
    ballots come in: each evaluator rates every target of their community at once."""
    counts = _per_target(ballots)
    ballot = 0
    for j in range(max(counts)):
        for c in range(COMMUNITIES):
            for t in range(c * ADMISSIONS, (c + 1) * ADMISSIONS):
                if j < counts[t]:
                    ballot += 1
                    yield ballot, t, c, j


def _setup_small(ballots: int) -> dict:
    """Regions, departments, admissions, the campaign with its groups, dimensions and targets
    (written with the ORM; they are few)."""
    import datetime as dt

    from django.db import transaction

    from jianfu.admission.models import Admission
    from jianfu.evaluation.models import Campaign, Dimension, EvaluatorGroup, Target
    from jianfu.org.models import Region, Unit

    communities = _community_codes()
    with transaction.atomic():
        Region.objects.bulk_create(
            [
                Region(code=PROVINCE, name="四川省", level="province"),
                Region(code=CITY, name="测试市", level="city", parent_id=PROVINCE),
                Region(code=DISTRICT, name="测试区", level="district", parent_id=CITY),
                *(
                    Region(
                        code=f"{DISTRICT[:6]}{s:03d}000",
                        name=f"第{s:03d}街道",
                        level="street",
                        parent_id=DISTRICT,
                    )
                    for s in range(1, STREETS + 1)
                ),
                *(
                    Region(
                        code=code,
                        name=f"第{code[6:9]}-{code[9:]}社区",
                        level="community",
                        parent_id=code[:9] + "000",
                    )
                    for code in communities
                ),
            ]
        )
        departments = Unit.objects.bulk_create(
            Unit(
                name=f"测试区第{d + 1:02d}局",
                type="department",
                region_id=DISTRICT,
                district_code=DISTRICT,
                sort_key=f"{d:02d}",
            )
            for d in range(ADMISSIONS)
        )
        admissions = Admission.objects.bulk_create(
            Admission(
                number=f"测准〔{YEAR}〕{a + 1}号",
                district_id=DISTRICT,
                year=YEAR,
                sequence=a + 1,
                department=departments[a],
                title=f"协助事项{a + 1:02d}",
                object_kind="task",
                target_level="community",
                valid_from=dt.date(YEAR, 1, 1),
                valid_until=dt.date(YEAR, 12, 31),
            )
            for a in range(ADMISSIONS)
        )
        opens = dt.datetime(YEAR, 3, 1, tzinfo=dt.UTC)
        campaign = Campaign.objects.create(
            district_id=DISTRICT,
            year=YEAR,
            title=f"测试区{YEAR}年度评议",
            state="closed",
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=30),
            opened_at=opens,
            closed_at=opens + dt.timedelta(days=30),
        )
        groups = EvaluatorGroup.objects.bulk_create(
            EvaluatorGroup(campaign=campaign, kind=kind, weight=weight) for kind, weight in GROUPS
        )
        Dimension.objects.bulk_create(
            Dimension(campaign=campaign, position=p, name=name)
            for p, name in enumerate(DIMENSIONS, start=1)
        )
        targets = Target.objects.bulk_create(
            Target(
                campaign=campaign,
                admission=admissions[a],
                region_id=code,
                department=departments[a],
                title=admissions[a].title,
            )
            for code in communities
            for a in range(ADMISSIONS)
        )
    return {
        "campaign": campaign.pk,
        "groups": [g.pk for g in groups],
        "targets": [t.pk for t in targets],
        "communities": communities,
        "per_community": max(_per_target(ballots)),
    }


def _evaluator_rows(ids: dict):
    """Every evaluator: community c's j-th has id c × per_community + j + 1 and group j mod 5."""
    per_community, groups = ids["per_community"], ids["groups"]
    for c, code in enumerate(ids["communities"]):
        for j in range(per_community):
            pk = c * per_community + j + 1
            yield (
                pk,
                ids["campaign"],
                groups[j % len(groups)],
                code,
                f"bench-{pk}",
                j + 1,
                CAST_AT,
                CAST_AT,
            )


def _ballot_rows(ids: dict, ballots: int):
    """Every ballot as a tuple in BALLOT_COLUMNS' order."""
    patterns = _patterns()
    campaign, targets, groups = ids["campaign"], ids["targets"], ids["groups"]
    per_community = ids["per_community"]
    blank = (None, None, None)
    for ballot, t, c, j in _ballot_keys(ballots):
        overall, *ratings = patterns[t][j % PATTERN]
        yield (
            ballot,
            campaign,
            targets[t],
            c * per_community + j + 1,
            groups[j % len(groups)],
            "code",
            overall,
            *ratings,
            *blank,
            "",
            None,
            CAST_AT,
            YEAR,
        )


def _copy_text(value) -> str:
    return "\\N" if value is None else str(value)


def _ballot_lines(ids: dict, ballots: int, chunk: int = 200_000):
    """The ballots as COPY text, in chunks; the part of each line that depends only on the
    target and the pattern position is built once."""
    patterns = _patterns()
    tail = "\t\\N\t\\N\t\\N\t\t\\N\t" + CAST_AT + f"+00\t{YEAR}\n"
    endings = [
        ["\tcode\t" + "\t".join(_copy_text(v) for v in row) + tail for row in pattern]
        for pattern in patterns
    ]
    campaign, targets, groups = ids["campaign"], ids["targets"], ids["groups"]
    per_community, count = ids["per_community"], len(groups)
    lines = []
    for ballot, t, c, j in _ballot_keys(ballots):
        lines.append(
            f"{ballot}\t{campaign}\t{targets[t]}\t{c * per_community + j + 1}\t"
            f"{groups[j % count]}{endings[t][j % PATTERN]}"
        )
        if len(lines) == chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _ballot_schema(cursor) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The ballot table's secondary indexes and its unique and foreign-key constraints, as
    (name, definition), so they can be dropped for the load and put back exactly."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'evaluation_ballot'::regclass AND contype IN ('u', 'f') ORDER BY conname"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'evaluation_ballot' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'evaluation_ballot'::regclass) ORDER BY indexname"
    )
    return constraints, cursor.fetchall()


def _load_postgres(connection, ids: dict, ballots: int) -> dict:
    """COPY the evaluators and ballots; the ballot table's indexes and foreign keys are dropped
    for the load and rebuilt after it (each in one pass, far faster than row by row). Nothing
    is bypassed: the append-only trigger refuses only UPDATE and DELETE."""
    phases = {}
    raw = connection.connection
    with raw.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(
            f"COPY evaluation_evaluator ({', '.join(EVALUATOR_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in _evaluator_rows(ids):
                copy.write_row(row)
        phases["evaluators"] = time.perf_counter() - started

        constraints, indexes = _ballot_schema(cursor)
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE evaluation_ballot DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        with cursor.copy(
            f"COPY evaluation_ballot ({', '.join(BALLOT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for text in _ballot_lines(ids, ballots):
                copy.write(text)
        phases["ballots (COPY)"] = time.perf_counter() - started

        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE evaluation_ballot ADD CONSTRAINT "{name}" {definition}')
        assert _ballot_schema(cursor) == (constraints, indexes), "the ballot table's schema changed"
        phases["indexes and foreign keys"] = time.perf_counter() - started
        for table in ("evaluation_evaluator", "evaluation_ballot"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        started = time.perf_counter()
        # Set the hint bits and the visibility map once, so no timed run pays for them.
        cursor.execute("VACUUM (FREEZE, ANALYZE)")
        phases["vacuum and analyze"] = time.perf_counter() - started
    return phases


def _load_sqlite(connection, ids: dict, ballots: int) -> dict:
    """executemany in one transaction per table, on the raw sqlite3 connection."""
    phases = {}
    raw = connection.connection
    cursor = raw.cursor()
    started = time.perf_counter()
    cursor.execute("BEGIN")
    marks = ", ".join("?" * len(EVALUATOR_COLUMNS))
    cursor.executemany(
        f"INSERT INTO evaluation_evaluator ({', '.join(EVALUATOR_COLUMNS)}) VALUES ({marks})",  # noqa: S608
        _evaluator_rows(ids),
    )
    cursor.execute("COMMIT")
    phases["evaluators"] = time.perf_counter() - started
    started = time.perf_counter()
    cursor.execute("BEGIN")
    marks = ", ".join("?" * len(BALLOT_COLUMNS))
    cursor.executemany(
        f"INSERT INTO evaluation_ballot ({', '.join(BALLOT_COLUMNS)}) VALUES ({marks})",  # noqa: S608
        _ballot_rows(ids, ballots),
    )
    cursor.execute("COMMIT")
    phases["ballots (executemany)"] = time.perf_counter() - started
    started = time.perf_counter()
    cursor.execute("ANALYZE")
    phases["analyze"] = time.perf_counter() - started
    cursor.close()
    return phases


def child_prepare(spec: dict) -> dict:
    """Migrate, write the campaign and load the ballots; report what was loaded."""
    connection = harness.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ids = _setup_small(spec["ballots"])
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        phases = _load_postgres(connection, ids, spec["ballots"])
    else:
        phases = _load_sqlite(connection, ids, spec["ballots"])
    result = {
        "setup_seconds": time.perf_counter() - started,
        "phases": phases,
        **_inspect(connection),
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    harness.connections_close(connection)
    return result


def _inspect(connection) -> dict:
    from jianfu.evaluation.models import Ballot, Campaign, Evaluator, Target

    campaign = Campaign.objects.filter(district_id=DISTRICT, year=YEAR).first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            server = "PostgreSQL " + cursor.fetchone()[0].split()[1]
            cursor.execute("SELECT pg_total_relation_size('evaluation_ballot')")
        else:
            cursor.execute("SELECT sqlite_version()")
            server = "SQLite " + cursor.fetchone()[0]
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        size = cursor.fetchone()[0]
    return {
        "server": server,
        "campaign": campaign.pk if campaign else None,
        "ballots": Ballot.objects.count(),
        "evaluators": Evaluator.objects.count(),
        "targets": Target.objects.count(),
        "bytes": size,
    }


def child_inspect(spec: dict) -> dict:
    """What a kept database holds (for --reuse)."""
    connection = harness.django_setup()
    try:
        result = _inspect(connection)
    except Exception as error:  # any failure means: load it again
        result = {"error": str(error)}
    harness.connections_close(connection)
    return result


# The timed runs -----------------------------------------------------------------------------------


def _digest(rows: dict) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def _ours_digest(tallies) -> str:
    """Per target: per group [valid, satisfied, 满意, 基本满意, 不满意] and the weighted
    dimension counts, as tally_campaign gives them."""
    return _digest(
        {
            str(t): {
                "groups": {str(g): counts for g, counts in sorted(tally.groups.items())},
                "dimensions": {str(p): c for p, c in sorted(tally.dimensions.items())},
            }
            for t, tally in tallies.items()
        }
    )


def _floor_digest(rows, weights: dict[int, int]) -> str:
    """The floor's rows turned into ours' shape (outside the timer)."""
    targets: dict[int, dict] = {}
    for target, group, valid, satisfied, very, fairly, *dimensions in rows:
        entry = targets.setdefault(target, {"groups": {}, "dimensions": {}})
        satisfied, very, fairly = (int(v or 0) for v in (satisfied, very, fairly))
        entry["groups"][group] = [valid, satisfied, very, fairly, valid - satisfied]
        for p in range(1, len(DIMENSIONS) + 1):
            rated, good = (int(v or 0) for v in dimensions[2 * (p - 1) : 2 * p])
            counts = entry["dimensions"].setdefault(p, [0, 0])
            counts[0] += weights[group] * good
            counts[1] += weights[group] * rated
    return _digest(
        {
            str(t): {
                "groups": {str(g): c for g, c in sorted(e["groups"].items())},
                "dimensions": {str(p): c for p, c in sorted(e["dimensions"].items())},
            }
            for t, e in targets.items()
        }
    )


def _floor_sql(vendor: str, variant: str, campaign: int) -> str:
    """The same GROUP BY as tally_query in raw SQL, in one of a few formulations of the
    conditional counts. The campaign id is inlined (an integer), so no parameter can change
    the plan."""

    def when(condition: str) -> str:
        if variant in ("filter", "scan"):
            return f"COUNT(*) FILTER (WHERE {condition})"
        if variant == "sum_case":
            return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
        if variant == "count_case":
            return f"COUNT(CASE WHEN {condition} THEN 1 END)"
        return f"SUM({condition})"  # sum_bool: SQLite's comparisons are 0 or 1

    columns = ["target_id", "group_id", "COUNT(*)"]
    columns += [when("overall >= 1"), when("overall = 2"), when("overall = 1")]
    for p in range(1, len(DIMENSIONS) + 1):
        columns += [f"COUNT(rating_{p})", when(f"rating_{p} >= 1")]
    # SQLite otherwise walks the (campaign, target, group) index, which gives the groups in
    # order but fetches each ballot from the table in that order, at random; reading the
    # table straight through and grouping in a temporary B-tree is twice as fast here.
    table = "evaluation_ballot NOT INDEXED" if variant == "scan" else "evaluation_ballot"
    return (
        f"SELECT {', '.join(columns)} FROM {table} "  # noqa: S608
        f"WHERE campaign_id = {int(campaign)} GROUP BY target_id, group_id"
    )


FLOOR_VARIANTS = {
    "postgresql": ("filter", "sum_case"),
    "sqlite": ("filter", "sum_bool", "count_case", "scan"),
}


def _connection(spec: dict):
    """Django set up in this child; with --sqlite-mmap, SQLite reads the file through mmap."""
    connection = harness.django_setup()
    if connection.vendor == "sqlite" and spec.get("mmap"):
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size = {int(spec['mmap'])}")
    return connection


def child_ours(spec: dict) -> dict:
    """tally_campaign(campaign): the statement for the groups' weights, the one for the
    dimensions, the tally's GROUP BY, and the Python that weighs each target's rows."""
    connection = _connection(spec)
    from jianfu.evaluation.models import Campaign
    from jianfu.evaluation.tally import tally_campaign

    campaign = Campaign.objects.get(pk=spec["campaign"])
    result, tallies = harness.best_of(
        INNER_RUNS, lambda: tally_campaign(campaign), connection, count_statements=True
    )
    result["digest"] = _ours_digest(tallies)
    result["rows"] = sum(len(t.groups) for t in tallies.values())
    result["targets"] = len(tallies)
    harness.connections_close(connection)
    return result


def child_floor(spec: dict) -> dict:
    """Each formulation of the raw aggregate, INNER_RUNS times on the DB-API cursor with every
    row fetched; the fastest formulation's best run is the floor."""
    connection = _connection(spec)
    from jianfu.evaluation.models import EvaluatorGroup

    weights = dict(
        EvaluatorGroup.objects.filter(campaign_id=spec["campaign"]).values_list("pk", "weight")
    )
    connection.ensure_connection()
    raw = connection.connection
    variants = {}
    digests = set()
    for variant in FLOOR_VARIANTS[connection.vendor]:
        sql = _floor_sql(connection.vendor, variant, spec["campaign"])

        def run(sql=sql):
            cursor = raw.cursor()
            cursor.execute(sql)
            rows = cursor.fetchall()
            cursor.close()
            return rows

        best, rows = harness.best_of(INNER_RUNS, run, connection)
        variants[variant] = best
        digests.add(_floor_digest(rows, weights))
    assert len(digests) == 1, "the floor's formulations disagree"
    name, best = min(variants.items(), key=lambda item: item[1]["seconds"])
    result = dict(best)
    result.update(
        variant=name,
        variants={v: r["seconds"] for v, r in variants.items()},
        digest=digests.pop(),
        queries=1,
    )
    harness.connections_close(connection)
    return result


def child_explain(spec: dict) -> dict:
    """The plans, with times on PostgreSQL (EXPLAIN ANALYZE, BUFFERS): ours as Django sends it
    and the floor's fastest formulation."""
    connection = _connection(spec)
    from jianfu.evaluation.models import Campaign
    from jianfu.evaluation.tally import tally_query

    campaign = Campaign.objects.get(pk=spec["campaign"])
    positions = list(campaign.dimensions.values_list("position", flat=True))
    query = tally_query(campaign, positions)
    floor = _floor_sql(connection.vendor, spec["variant"], campaign.pk)
    if connection.vendor == "postgresql":
        ours = query.explain(analyze=True, buffers=True)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + floor)
            floors = "\n".join(row[0] for row in cursor.fetchall())
    else:
        ours = query.explain()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + floor)
            floors = "\n".join(str(row[-1]) for row in cursor.fetchall())
    sql, params = query.query.sql_with_params()
    harness.connections_close(connection)
    return {"ours_sql": sql % tuple(params), "ours": ours, "floor_sql": floor, "floor": floors}


CHILDREN = {
    "prepare": child_prepare,
    "inspect": child_inspect,
    "ours": child_ours,
    "floor": child_floor,
    "explain": child_explain,
}


# The parent ---------------------------------------------------------------------------------------


def _admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(harness.POSTGRES_ADMIN_URL, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _environment(database: str, args, folder: Path) -> dict[str, str]:
    if database == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return harness.base_env(folder)
    env = harness.base_env(folder)
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.postgres_name}"
    return env


def _prepared(database: str, args, ballots: int, work: Path) -> tuple[dict, dict[str, str]]:
    """The loaded database: a kept one when --reuse finds it holding the same ballots, else a
    new one."""
    folder = SQLITE_KEPT if database == "sqlite" and (args.keep or args.reuse) else work / database
    env = _environment(database, args, folder)
    if args.reuse:
        found = harness.run_child(SCRIPT, {"mode": "inspect"}, env)
        if found.get("ballots") == ballots and found.get("targets") == TARGETS:
            print(f"[{database}] reusing the kept database ({ballots:,} ballots)", flush=True)
            return found, env
    if database == "sqlite":
        for name in ("jianfu.sqlite3", "jianfu.sqlite3-wal", "jianfu.sqlite3-shm"):
            (folder / name).unlink(missing_ok=True)
    else:
        _admin(
            f"DROP DATABASE IF EXISTS {args.postgres_name} WITH (FORCE)",
            f"CREATE DATABASE {args.postgres_name}",
        )
    print(f"[{database}] migrating and loading {ballots:,} ballots …", flush=True)
    prepared = harness.run_child(SCRIPT, {"mode": "prepare", "ballots": ballots}, env)
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in prepared["phases"].items())
    print(f"[{database}]   loaded in {prepared['setup_seconds']:.1f} s: {phases}", flush=True)
    return prepared, env


def _cleanup(database: str, args) -> None:
    if args.keep:
        where = SQLITE_KEPT if database == "sqlite" else f"database {args.postgres_name}"
        print(f"[{database}] kept in {where}; run again with --reuse to skip the load")
    elif database == "postgres":
        _admin(f"DROP DATABASE IF EXISTS {args.postgres_name} WITH (FORCE)")


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument(
        "--ballots",
        type=int,
        help="ballots to load (default 10,000,000 on PostgreSQL, 1,000,000 on SQLite)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="children per side beyond the first floor"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print both sides' plans (EXPLAIN ANALYZE on PG)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument(
        "--reuse", action="store_true", help="use a kept database holding the same ballots"
    )
    parser.add_argument("--postgres-name", default=POSTGRES_NAME, help="PostgreSQL database")
    parser.add_argument(
        "--sqlite-mmap",
        type=int,
        default=0,
        metavar="BYTES",
        help="run both sides on SQLite with PRAGMA mmap_size = BYTES (default: what settings.py sets)",
    )
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return

    results, servers, notes, plans = [], [], [], []
    with harness.scratch_folder("jianfu-bench-evaluation-") as work:
        for database in harness.databases_chosen(args.database):
            ballots = args.ballots or DEFAULT_BALLOTS[database]
            prepared, env = _prepared(database, args, ballots, work)
            servers.append(prepared["server"])
            spec = {"campaign": prepared["campaign"], "mmap": args.sqlite_mmap}
            ours, floors = [], []
            # A floor run first and after each of ours, so a slow spell hits both sides.
            for side in ["floor"] + ["ours", "floor"] * args.repeat:
                result = harness.run_child(SCRIPT, {"mode": side, **spec}, env)
                (ours if side == "ours" else floors).append(result)
                detail = f" ({result['variant']})" if side == "floor" else ""
                print(
                    f"[{database}] {side}{detail}: best {result['seconds']:.3f} s of "
                    + ", ".join(f"{s:.3f}" for s in result["all_seconds"]),
                    flush=True,
                )
            assert {r["digest"] for r in ours + floors} == {ours[0]["digest"]}, (
                "ours and the floor counted different ballots"
            )
            best = min(ours, key=lambda r: r["seconds"])
            fastest = min(floors, key=lambda r: r["seconds"])
            results.append(
                {
                    "database": database,
                    "ballots": prepared["ballots"],
                    "rows": best["rows"],
                    "seconds": best["seconds"],
                    "cpu_seconds": best["cpu_seconds"],
                    "queries": best["queries"],
                    "floor": fastest["seconds"],
                    "variant": fastest["variant"],
                    "ratio": best["seconds"] / fastest["seconds"],
                    "peak_mb": max(r["after"]["hwm_kb"] for r in ours) / 1024,
                    "size_mb": prepared["bytes"] / 1024 / 1024,
                }
            )
            notes.append(
                f"{database}: ours runs (s) "
                + "; ".join(", ".join(f"{s:.3f}" for s in r["all_seconds"]) for r in ours)
                + "; floor by formulation (best s): "
                + "; ".join(
                    ", ".join(f"{v} {s:.3f}" for v, s in r["variants"].items()) for r in floors
                )
            )
            if args.explain:
                plans.append(
                    (
                        database,
                        harness.run_child(
                            SCRIPT, {"mode": "explain", "variant": fastest["variant"], **spec}, env
                        ),
                    )
                )
            _cleanup(database, args)

    for database, plan in plans:
        print()
        print(f"===== {database}: ours =====")
        print(plan["ours_sql"])
        print(plan["ours"])
        print(f"===== {database}: floor =====")
        print(plan["floor_sql"])
        print(plan["floor"])
    machine = harness.machine_description(servers)
    print()
    print("Machine: " + machine)
    print(
        f"Data: one campaign, {COMMUNITIES} communities × {ADMISSIONS} admissions = {TARGETS:,} "
        f"targets, {len(GROUPS)} weighted groups, {len(DIMENSIONS)} dimensions; every evaluator "
        "rates every target of their community."
    )
    print(
        f"ours = tally_campaign(campaign), best of {INNER_RUNS} in a process; floor = the same "
        f"GROUP BY in raw SQL on the DB-API cursor, all rows fetched, fastest formulation, best "
        f"of {INNER_RUNS}; peak RSS = VmHWM of the process that ran ours."
    )
    print()
    header = (
        "database",
        "ballots",
        "rows",
        "ours s",
        "cpu s",
        "queries",
        "floor s",
        "floor",
        "ratio",
        f"≤ {GOAL_RATIO:g}×",
        "table MB",
        "peak RSS MB",
    )
    rows = [
        (
            r["database"],
            f"{r['ballots']:,}",
            f"{r['rows']:,}",
            f"{r['seconds']:.3f}",
            f"{r['cpu_seconds']:.3f}",
            str(r["queries"]),
            f"{r['floor']:.3f}",
            r["variant"],
            f"{r['ratio']:.2f}×",
            "yes" if r["ratio"] <= GOAL_RATIO else "NO",
            f"{r['size_mb']:,.0f}",
            f"{r['peak_mb']:.0f}",
        )
        for r in results
    ]
    harness.print_table(header, rows, left=1)
    print()
    for note in notes:
        print("  " + note)
    sys.stdout.flush()
    harness.write_results(
        args.json,
        benchmark="evaluation_tally",
        machine=machine,
        rows=[
            harness.result_row(
                operation=f"evaluation tally, {r['ballots']:,} ballots",
                database=r["database"],
                ours=r["seconds"],
                floor=r["floor"],
                goal=GOAL_RATIO,
                note=f"floor: raw GROUP BY ({r['variant']}); {r['queries']} queries; "
                f"peak RSS {r['peak_mb']:.0f} MB",
            )
            for r in results
        ],
    )


if __name__ == "__main__":
    main()
