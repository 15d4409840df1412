"""Benchmark: a task's fan-out to every community of a province against the raw-insert floor.

    .venv/bin/python benchmarks/dispatch_fanout.py [--database sqlite|postgres|both] [--repeat 5]
                                                   [--profile] [--json PATH]

Every measurement runs in its own child process, on a fresh copy of a freshly migrated database
that already holds the province (30,000 communities, each with its committee and officer), the
department, its admission covering every community with money, and the negative lists (the
machinery is in harness.py). See benchmarks/README.md for what is compared and the goal. This is
a measurement, not a test: it prints a table and exits 0 whether or not the goal is met.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import time
from pathlib import Path

import harness

# Run again with --child for each measurement.
SCRIPT = Path(__file__)

# 2 cities × 15 districts × 20 streets × 50 communities = 30,000 communities.
CITIES, DISTRICTS, STREETS, COMMUNITIES = 2, 15, 20, 50
RECIPIENTS = CITIES * DISTRICTS * STREETS * COMMUNITIES
PROVINCE = "510000000000"
# One district's negative list names work the task text mentions: its 1,000 communities'
# copies arrive unadmitted (negative_list), the other 29,000 admitted.
NEGATIVE_DISTRICT = "510101000000"
UNADMITTED = STREETS * COMMUNITIES
ADMISSION_NUMBER = "川准〔2026〕1号"
CLERK = "bench_clerk"
GOAL_RATIO = 2.0
# The PostgreSQL scratch database; its template is this name with "_template".
POSTGRES_NAME = "jianfu_bench_fanout"

# The delivery columns the floor writes: every column but `id`, as the fan-out writes them.
DELIVERY_COLUMNS = (
    "task_id",
    "region_id",
    "admitted_on_arrival",
    "admitted",
    "reasons",
    "status",
    "status_before_refusal",
    "progress_percent",
    "progress_note",
    "refusal_reason",
    "refusal_basis",
    "refused_while_admitted",
    "refused_at",
    "accepted_at",
    "completed_at",
    "completed_late",
    "arrived_at",
    "updated_at",
    "year",
)
TASK_VALUES = {
    "title": "高龄津贴申领材料收集",
    "content": "收集辖区 80 周岁以上老人的高龄津贴申领材料，核对户籍与年龄后报省民政厅；"
    "同时统计辖区招商引资线索。",
    "outputs": [{"kind": "form", "name": "高龄津贴申领汇总表"}],
}
NEGATIVE_ITEMS = [
    "协税护税、代征代缴税费等工作任务",
    "以社区名义开展行政执法和行政处罚",
    "出具应由职能部门核实的证明",
    "要求社区承担的安全生产监管责任",
    "各类创建达标和示范评比活动",
    "拆迁拆违、环境整治等具体执法工作",
    "市场监管、食品安全等监管执法事项",
    "由社区承担的经济发展指标任务",
]


# Child processes ----------------------------------------------------------------------------------


def _codes():
    """(city, district, street, community) codes of the generated province, in code order."""
    for c in range(1, CITIES + 1):
        city = f"51{c:02d}00000000"
        for d in range(1, DISTRICTS + 1):
            district = f"{city[:4]}{d:02d}000000"
            for s in range(1, STREETS + 1):
                street = f"{district[:6]}{s:03d}000"
                for k in range(1, COMMUNITIES + 1):
                    yield city, district, street, f"{street[:9]}{k:03d}"


def _setup() -> None:
    """The province, its units and officers, the admission and the negative lists (not timed)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from jianfu.admission.models import Admission, AdmissionScope
    from jianfu.catalog import services as catalog
    from jianfu.org.models import Region, Unit, User, UserRole
    from jianfu.org.roles import Role

    today = dt.date.today()
    with transaction.atomic():
        regions = [Region(code=PROVINCE, name="四川省", level="province")]
        seen: set[str] = set()
        communities = []
        for city, district, street, community in _codes():
            for code, name, level, parent in (
                (city, f"第{city[2:4]}市", "city", PROVINCE),
                (district, f"第{district[2:6]}区", "district", city),
                (street, f"第{street[6:9]}街道", "street", district),
            ):
                if code not in seen:
                    seen.add(code)
                    regions.append(Region(code=code, name=name, level=level, parent_id=parent))
            regions.append(
                Region(
                    code=community,
                    name=f"第{community[9:]}社区",
                    level="community",
                    parent_id=street,
                )
            )
            communities.append((community, district))
        Region.objects.bulk_create(regions, batch_size=5000)
        department = Unit.objects.create(
            name="四川省民政厅", type="department", region_id=PROVINCE, district_code=""
        )
        units = Unit.objects.bulk_create(
            [
                Unit(
                    name="社区居民委员会",
                    type="community_committee",
                    region_id=code,
                    district_code=district,
                )
                for code, district in communities
            ],
            batch_size=5000,
        )
        # Nobody logs in: every account has an unusable password.
        unusable = make_password(None)
        clerk = User.objects.create(username=CLERK, unit=department, password=unusable)
        officers = User.objects.bulk_create(
            [
                User(username=f"c{unit.region_id}", unit_id=unit.pk, password=unusable)
                for unit in units
            ],
            batch_size=5000,
        )
        UserRole.objects.bulk_create(
            [UserRole(user=clerk, role=Role.DEPT_CLERK)]
            + [UserRole(user_id=u.pk, role=Role.COMMUNITY_OFFICER) for u in officers],
            batch_size=5000,
        )
        admission = Admission.objects.create(
            number=ADMISSION_NUMBER,
            district_id=PROVINCE,
            year=today.year,
            sequence=1,
            department=department,
            title="高龄津贴申领初审",
            object_kind="task",
            target_level="community",
            list_kind="assist",
            valid_from=today - dt.timedelta(days=30),
            valid_until=today + dt.timedelta(days=365),
        )
        AdmissionScope.objects.bulk_create(
            [
                AdmissionScope(admission=admission, region_id=code, funding_fen=1_200_000)
                for code, _district in communities
            ],
            batch_size=5000,
        )
    for region, name, items in (
        (PROVINCE, "四川省社区工作负面清单", NEGATIVE_ITEMS),
        (NEGATIVE_DISTRICT, "第0101区社区工作负面清单", ["招商引资"]),
    ):
        negative = catalog.list_create(
            actor=None,
            name=name,
            kind="negative",
            level="community",
            region=Region.objects.get(code=region),
            code=f"{region}-negative",
            first_label="2026版",
        )
        draft = negative.versions.get()
        for item in items:
            catalog.item_add(actor=None, version=draft, values={"name": item}, reason="入单")
        catalog.version_publish(
            actor=None, version=draft, document_number="川减负〔2026〕1号", valid_from=today
        )


def _clerk():
    from jianfu.org.models import User

    return User.objects.select_related("unit__region").get(username=CLERK)


def _task_values() -> dict:
    return {**TASK_VALUES, "deadline": dt.date.today() + dt.timedelta(days=20)}


def _queued_task():
    """The task as the clerk's request leaves it: recorded, its fan-out job queued (not timed)."""
    from jianfu.dispatch import services

    task = services.task_dispatch(
        actor=_clerk(),
        values=_task_values(),
        recipients=[PROVINCE],
        level="community",
        admission_number=ADMISSION_NUMBER,
    )
    assert task.status == "dispatching" and task.job_id, task.status
    return task


def _verify(task_id: int, *, notifications: bool) -> None:
    from jianfu.core.models import Notification
    from jianfu.dispatch.models import Delivery, Task

    deliveries = Delivery.objects.filter(task_id=task_id)
    assert deliveries.count() == RECIPIENTS
    unadmitted = deliveries.filter(admitted=False)
    assert unadmitted.count() == UNADMITTED
    assert not unadmitted.exclude(region__code__startswith=NEGATIVE_DISTRICT[:6]).exists()
    assert all(r == ["negative_list"] for r in unadmitted.values_list("reasons", flat=True))
    if notifications:
        task = Task.objects.get(pk=task_id)
        assert task.status == "dispatched", task.status
        assert (task.recipients_total, task.unadmitted_total) == (RECIPIENTS, UNADMITTED)
        assert Notification.objects.count() == RECIPIENTS


def _warm_up() -> None:
    """Load the URL configuration, as a running worker or web process already has: the first
    `reverse()` in a process imports every app's views, a once-per-process cost (~0.5 s)."""
    from django.urls import reverse

    reverse("inbox")


PHASES = ("expand", "check", "deliveries", "notifications")


def _phase_timers() -> dict[str, float]:
    """Time the phases of the fan-out by wrapping the functions that do them (a few calls, so
    the wrappers cost nothing measurable): expanding the picked regions, the arrival check, and
    the two bulk writes, the deliveries and the notifications."""
    from jianfu.core import bulk
    from jianfu.dispatch import services

    spent = dict.fromkeys(PHASES, 0.0)

    def timed(function, phase_of):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phase = phase_of(args, kwargs)
                if phase:
                    spent[phase] += time.perf_counter() - started

        return wrapper

    def table_phase(args, kwargs):
        model = args[0] if args else kwargs.get("model")
        return {"Delivery": "deliveries", "Notification": "notifications"}.get(model.__name__)

    services.recipients_expand = timed(services.recipients_expand, lambda a, k: "expand")
    services.arrival_check = timed(services.arrival_check, lambda a, k: "check")
    services.insert_rows = timed(services.insert_rows, table_phase)
    services.insert_tuples = timed(services.insert_tuples, table_phase)
    # The notifications import it when they are written, after the commit.
    bulk.insert_rows = timed(bulk.insert_rows, table_phase)
    return spent


def _timed(run, *, profile: bool) -> tuple[dict, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _warm_up()
    phases = _phase_timers()

    profiler = cProfile.Profile() if profile else None
    with CaptureQueriesContext(connection) as queries, harness.measure() as result:
        if profiler:
            profiler.enable()
        value = run()
        if profiler:
            profiler.disable()
    result.update(phases=phases, queries=len(queries))
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        result["profile"] = text.getvalue()
    return result, value


def child_prepare(spec: dict) -> dict:
    """The template: migrated and set up, with the planner's statistics gathered."""
    return harness.template_prepare(_setup, analyze=True)


def child_job(spec: dict) -> dict:
    """Ours: the fan-out job as the worker runs it — recipients expanded, the arrival check,
    30,000 deliveries written, the task updated, 30,000 notifications."""
    connection = harness.django_setup()
    from jianfu.core.jobs import job_run
    from jianfu.core.models import BackgroundJob

    task = _queued_task()
    job_id = str(task.job_id)
    result, _ = _timed(lambda: job_run(job_id), profile=spec.get("profile", False))
    job = BackgroundJob.objects.get(pk=job_id)
    assert job.status == "succeeded", (job.status, job.message)
    _verify(task.pk, notifications=True)
    harness.connections_close(connection)
    return result


def child_fanout(spec: dict) -> dict:
    """Ours, the operation the goal is for: the fan-out itself, as the job runs it inside its
    transaction — recipients expanded, the arrival check, 30,000 deliveries written, the task
    updated, the commit. Not the job's own bookkeeping (its status and progress rows), and not
    telling the recipients, which happens after the commit and writes a second table the floor
    does not write; the job row below has both."""
    connection = harness.django_setup()
    from django.db import transaction

    from jianfu.dispatch import services
    from jianfu.dispatch.models import Task

    services.notify_each = lambda **kwargs: None
    task = Task.objects.select_related("department__region").get(pk=_queued_task().pk)

    def run():
        codes = services.task_recipients(task)
        with transaction.atomic():
            services.task_fan_out(task=task, codes=codes)

    result, _ = _timed(run, profile=spec.get("profile", False))
    _verify(task.pk, notifications=False)
    harness.connections_close(connection)
    return result


def child_dispatch(spec: dict) -> dict:
    """Ours: the clerk's whole `task_dispatch` for the province, fanned out in the request
    (INLINE_LIMIT raised above 30,000)."""
    connection = harness.django_setup()
    from jianfu.dispatch import services

    services.INLINE_LIMIT = RECIPIENTS + 1
    clerk = _clerk()
    values = _task_values()

    def run():
        return services.task_dispatch(
            actor=clerk,
            values=values,
            recipients=[PROVINCE],
            level="community",
            admission_number=ADMISSION_NUMBER,
        )

    result, task = _timed(run, profile=spec.get("profile", False))
    _verify(task.pk, notifications=True)
    harness.connections_close(connection)
    return result


def child_floor(spec: dict) -> dict:
    """The floor: the same 30,000 delivery rows, precomputed, written the fastest raw way."""
    connection = harness.django_setup()
    from django.utils import timezone

    task = _queued_task()
    sqlite = connection.vendor == "sqlite"
    now = timezone.now()
    stamp = now.replace(tzinfo=None).isoformat(sep=" ") if sqlite else now
    true, false = (1, 0) if sqlite else (True, False)
    tuples = []
    for _city, district, _street, code in _codes():
        unadmitted = district == NEGATIVE_DISTRICT
        flag = false if unadmitted else true
        reasons = '["negative_list"]' if unadmitted else "[]"
        # In DELIVERY_COLUMNS order: received, no progress, no refusal, never accepted.
        row = (task.pk, code, flag, flag, reasons, "received", "", 0, "", "", "", false)
        tuples.append((*row, None, None, None, false, stamp, stamp, task.year))
    seconds = harness.timed_raw_insert(
        connection, table="dispatch_delivery", columns=DELIVERY_COLUMNS, rows=tuples
    )
    _verify(task.pk, notifications=False)
    harness.connections_close(connection)
    return {"seconds": seconds}


CHILDREN = {
    "prepare": child_prepare,
    "fanout": child_fanout,
    "job": child_job,
    "dispatch": child_dispatch,
    "floor": child_floor,
}


# The parent ---------------------------------------------------------------------------------------


OPERATIONS = {
    "fanout": "fan-out (expand, check, insert, commit)",
    "job": "fan-out job (expand, check, insert, notify)",
    "dispatch": "task_dispatch inline (INLINE_LIMIT raised)",
}
# The goal is for the fan-out itself, the same work as the floor; the whole job and the inline
# dispatch also write a notification per officer and are shown for what they cost.
GOALS = {"fanout": GOAL_RATIO}


def print_table(results: list[dict]) -> None:
    header = (
        "database", "operation", "recipients", "ours s", "cpu s", "queries", "floor s", "ratio",
        "goal", "time", "peak RSS MB",
    )  # fmt: skip
    rows = [
        (
            r["database"],
            OPERATIONS[r["operation"]],
            f"{RECIPIENTS:,}",
            f"{r['seconds']:.2f}",
            f"{r['cpu_seconds']:.2f}",
            str(r["queries"]),
            f"{r['floor']:.2f}",
            f"{r['ratio']:.2f}×",
            f"≤ {GOALS[r['operation']]:g}×" if r["operation"] in GOALS else "—",
            ("PASS" if r["ratio"] <= GOALS[r["operation"]] else "FAIL")
            if r["operation"] in GOALS
            else "—",
            f"{r['peak_mb']:.0f}",
        )
        for r in results
    ]
    harness.print_table(header, rows)


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each operation; the fastest counts"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run each operation once more under cProfile and print where the time goes",
    )
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return

    results, servers, notes, profiles = [], [], [], []
    with harness.scratch_folder("jianfu-bench-fanout-") as work:
        for database in harness.databases_chosen(args.database):
            with harness.scratch_database(database, work, postgres_name=POSTGRES_NAME) as target:
                print(
                    f"[{database}] migrating a fresh database and generating "
                    f"{RECIPIENTS:,} communities …",
                    flush=True,
                )
                prepared = harness.run_child(SCRIPT, {"mode": "prepare"}, target.template_env())
                servers.append(prepared["server"])
                print(f"[{database}]   set up in {prepared['setup_seconds']:.1f} s", flush=True)
                floors: list[float] = []
                ours: dict[str, list[dict]] = {"fanout": [], "job": [], "dispatch": []}
                for step in harness.interleaved_plan(list(ours), args.repeat):
                    result = harness.run_child(SCRIPT, {"mode": step}, target.fresh_env())
                    if step == "floor":
                        floors.append(result["seconds"])
                        print(f"[{database}] raw floor: {result['seconds']:.2f} s", flush=True)
                    else:
                        ours[step].append(result)
                        print(
                            f"[{database}] {step}: {result['seconds']:.2f} s, "
                            f"{result['queries']} queries, "
                            f"peak {result['after']['hwm_kb'] / 1024:.0f} MB",
                            flush=True,
                        )
                if args.profile:
                    for step in ours:
                        spec = {"mode": step, "profile": True}
                        profiled = harness.run_child(SCRIPT, spec, target.fresh_env())
                        profiles.append((database, step, profiled["profile"]))
                floor = min(floors)
                notes.append(
                    f"{database} raw floor runs (s): " + ", ".join(f"{s:.2f}" for s in floors)
                )
                for step, runs in ours.items():
                    best = min(runs, key=lambda r: r["seconds"])
                    peak_kb = max(r["after"]["hwm_kb"] for r in runs)
                    results.append(
                        {
                            "database": database,
                            "operation": step,
                            "seconds": best["seconds"],
                            "cpu_seconds": best["cpu_seconds"],
                            "queries": best["queries"],
                            "floor": floor,
                            "ratio": best["seconds"] / floor,
                            "peak_mb": peak_kb / 1024,
                        }
                    )
                    phases = best["phases"]
                    other = best["seconds"] - sum(phases.values())
                    notes.append(
                        f"{database} {step}: RSS before {best['before']['rss_kb'] / 1024:.0f} MB; "
                        "phases of the fastest run (s): "
                        + ", ".join(f"{name} {phases[name]:.2f}" for name in PHASES)
                        + f", other {other:.2f}; runs (s): "
                        + ", ".join(f"{r['seconds']:.2f}" for r in runs)
                    )

    for database, step, text in profiles:
        print()
        print(f"===== cProfile: {database} {OPERATIONS[step]} =====")
        print(text)
    machine = harness.machine_description(servers)
    print()
    print("Machine: " + machine)
    print(
        f"Recipients: {RECIPIENTS:,} communities (2 cities × 15 districts × 20 streets × 50), "
        f"{UNADMITTED:,} of them unadmitted (one district's negative list); one officer each."
    )
    print(
        "ours = wall time of the operation; cpu = its process CPU time; queries = statements it "
        "ran; floor = fastest raw write of the same delivery rows, precomputed (SQLite: "
        "executemany in one transaction; PostgreSQL: COPY); peak RSS = VmHWM of the process."
    )
    print()
    print_table(results)
    print()
    for note in notes:
        print("  " + note)
    failed = [r for r in results if r["operation"] in GOALS and r["ratio"] > GOALS[r["operation"]]]
    print()
    if failed:
        print(
            "GOAL NOT MET: "
            + ", ".join(f"{r['database']} {OPERATIONS[r['operation']]}" for r in failed)
        )
    else:
        print("ALL GOALS MET")
    harness.write_results(
        args.json,
        benchmark="dispatch_fanout",
        machine=machine,
        rows=[
            harness.result_row(
                operation=f"{OPERATIONS[r['operation']]}, {RECIPIENTS:,} communities",
                database=r["database"],
                ours=r["seconds"],
                floor=r["floor"],
                goal=GOALS.get(r["operation"]),
                note=f"{r['queries']} queries; peak RSS {r['peak_mb']:.0f} MB; "
                "floor: raw insert of the precomputed delivery rows (executemany / COPY)",
            )
            for r in results
        ],
    )


if __name__ == "__main__":
    main()
