"""What the benchmark scripts share: scratch databases, child processes, memory, the report.

Every benchmark runs each measurement in its own child process (the script itself, run again with
`--child` and a JSON spec) on a fresh copy of a template database that was migrated and filled
once. So no measurement sees the rows of another, and each child's peak memory is its own. This
module is that machinery; each script keeps what it measures: its data, the timed operations,
the floor, the goals and the table's columns.

The scripts import it as `harness`: Python puts a script's own folder first on `sys.path`, and
that holds in the children too, since they are started as the same script.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The children import the project (`jianfu`), but Python puts the script's folder on sys.path,
# not the working directory.
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

DATABASES = ("sqlite", "postgres")
# The floor runs at least this often, so its fastest run is not one slow spell of the machine.
FLOOR_RUNS = 3
# Where the scratch databases are created and dropped; trust authentication, no password.
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# A child reports its result on a line of its own that starts with this, so whatever else it
# prints (warnings, a profile) cannot be mistaken for the result.
RESULT_MARK = "BENCH-RESULT "


# The parent: command line and child processes -----------------------------------------------------


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: `--database`, `--json`, and the hidden `--child` spec."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database", choices=(*DATABASES, "both"), default="both")
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the results there, as the rows benchmarks/run combines",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def databases_chosen(choice: str) -> list[str]:
    """The databases a `--database` choice stands for, SQLite first."""
    return list(DATABASES) if choice == "both" else [choice]


def base_env(data_dir: Path) -> dict[str, str]:
    """The environment of a child: production settings with its data (and SQLite) in data_dir.

    The caller's own DATABASE_URL, DEBUG and tasks backend are dropped, so a run measures the
    project's defaults whatever shell it was started from.
    """
    env = dict(os.environ)
    for name in ("DATABASE_URL", "DEBUG", "JIANFU_TASKS_BACKEND"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="jianfu.settings",
        JIANFU_DATA_DIR=str(data_dir),
        SECRET_KEY="benchmark-only-" + "x" * 40,
        DEBUG="False",
        PYTHONHASHSEED="0",
    )
    return env


def run_child(script: Path, spec: dict, env: dict[str, str]) -> dict:
    """Run `script --child spec` in env and return the result it reports; exit if it fails."""
    proc = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--child", json.dumps(spec)],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    sys.stderr.write(proc.stdout + proc.stderr)
    raise SystemExit(f"child {spec['mode']} failed (exit code {proc.returncode})")


def interleaved_plan(operations: Sequence[str], repeat: int) -> list[str]:
    """The order of the runs: a floor run before and after each of ours, at least FLOOR_RUNS.

    Interleaved, so a slow spell of the machine does not hit one side only.
    """
    plan = ["floor"]
    for _ in range(repeat):
        for operation in operations:
            plan += [operation, "floor"]
    plan += ["floor"] * max(0, FLOOR_RUNS - plan.count("floor"))
    return plan


@contextmanager
def scratch_folder(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A temporary folder for the generated files and SQLite databases, removed unless keep."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"Files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# The parent: scratch databases --------------------------------------------------------------------


class SQLiteTarget:
    """SQLite: the template is a database file, copied into a data folder of its own per run."""

    def __init__(self, work: Path):
        self.work = work / "sqlite"
        self.template = self.work / "template"
        self.runs = 0

    def template_env(self) -> dict[str, str]:
        """The environment in which a child migrates and fills the template."""
        self.template.mkdir(parents=True)
        return base_env(self.template)

    def fresh_env(self) -> dict[str, str]:
        """The environment of one measurement, on a fresh copy of the template."""
        self.runs += 1
        folder = self.work / f"run{self.runs}"
        folder.mkdir()
        shutil.copy2(self.template / "jianfu.sqlite3", folder / "jianfu.sqlite3")
        return base_env(folder)

    def cleanup(self) -> None:
        """Nothing to do: the files go with the scratch folder."""


class PostgresTarget:
    """PostgreSQL: the template is a database, copied with CREATE DATABASE … TEMPLATE per run.

    The scratch databases are `<database>` and `<database>_template`; both are dropped first, in
    case an earlier run was interrupted, and again at the end.
    """

    def __init__(self, work: Path, database: str):
        self.work = work / "postgres"
        self.work.mkdir(parents=True)
        self.database = database
        self.template = f"{database}_template"

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            for statement in statements:
                for attempt in range(20):
                    try:
                        conn.execute(statement)
                        break
                    except psycopg.errors.ObjectInUse:
                        # A child's session on the template may take a moment to end.
                        if attempt == 19:
                            raise
                        time.sleep(0.25)

    def _env(self, database: str) -> dict[str, str]:
        env = base_env(self.work)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
        return env

    def template_env(self) -> dict[str, str]:
        """The environment in which a child migrates and fills the template."""
        self._admin(
            f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)",
            f"CREATE DATABASE {self.template}",
        )
        return self._env(self.template)

    def fresh_env(self) -> dict[str, str]:
        """The environment of one measurement, on a fresh copy of the template."""
        self._admin(
            f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)",
            f"CREATE DATABASE {self.database} TEMPLATE {self.template}",
            # Write out dirty pages now, not during the next measurement.
            "CHECKPOINT",
        )
        return self._env(self.database)

    def cleanup(self) -> None:
        """Drop both scratch databases."""
        self._admin(
            f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)",
        )


@contextmanager
def scratch_database(
    database: str, work: Path, *, postgres_name: str
) -> Iterator[SQLiteTarget | PostgresTarget]:
    """The scratch target for "sqlite" or "postgres", cleaned up when the block ends."""
    target = SQLiteTarget(work) if database == "sqlite" else PostgresTarget(work, postgres_name)
    try:
        yield target
    finally:
        target.cleanup()


# The parent: the report ---------------------------------------------------------------------------


def machine_description(servers: Sequence[str], *, libraries: Sequence[str] = ()) -> str:
    """CPUs, system, Python, Django, the given "name version" libraries and database servers."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    parts = [
        f"{os.cpu_count()} CPUs" + (f" ({cpu})" if cpu else ""),
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        f"Django {django.get_version()}",
        *libraries,
        *servers,
    ]
    return "; ".join(parts)


# The names the result files give the databases.
PROTOCOL_DATABASES = {"sqlite": "sqlite", "postgres": "postgresql"}


def result_row(
    *,
    operation: str,
    database: str,
    ours: float,
    floor: float,
    goal: float | None = None,
    unit: str = "s",
    direction: str = "max",
    passed: bool | None = None,
    note: str = "",
) -> dict:
    """One row of a result file: our figure against the floor's, with the goal it is held to.

    The ratio is ours ÷ floor in either unit: times for seconds ("max": at most the goal),
    the fraction of the raw throughput for requests per second ("min": at least the goal).
    `passed` may only make a row fail for a reason besides its ratio (said in the note), such
    as a memory goal; a row without a goal neither passes nor fails.
    """
    if unit not in ("s", "req/s") or direction not in ("max", "min"):
        raise ValueError(f"unit {unit!r} or direction {direction!r} is not in the protocol")
    ratio = ours / floor if floor else None
    verdict = None
    if goal is not None:
        verdict = ratio is not None and (ratio <= goal if direction == "max" else ratio >= goal)
        if passed is False:
            verdict = False
    return {
        "operation": operation,
        "database": PROTOCOL_DATABASES.get(database, database),
        "ours": ours,
        "floor": floor,
        "unit": unit,
        "ratio": ratio,
        "goal": goal,
        "direction": direction,
        "passed": verdict,
        "note": note,
    }


def write_results(path: str | None, *, benchmark: str, machine: str, rows: list[dict]) -> None:
    """Write a script's rows (result_row) to path as JSON, when `--json` gave one."""
    if not path:
        return
    document = {"benchmark": benchmark, "machine": machine, "rows": rows}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"Results written to {target}")


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 2) -> None:
    """Print rows under header and a rule, the first `left` columns left-aligned, the rest right."""
    lines = [header, *rows]
    widths = [max(_display_width(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(_pad(cell, widths[i], left=i < left) for i, cell in enumerate(line)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _display_width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    space = " " * (width - _display_width(text))
    return text + space if left else space + text


# The children -------------------------------------------------------------------------------------


def child_main(children: dict[str, Callable[[dict], dict]], spec_json: str) -> None:
    """Run the child the spec's mode names and report its result on the RESULT_MARK line."""
    spec = json.loads(spec_json)
    result = children[spec["mode"]](spec)
    sys.stdout.write("\n" + RESULT_MARK + json.dumps(result) + "\n")


def django_setup():
    """Set Django up in this child and return its default connection."""
    import django

    django.setup()
    from django.db import connection

    return connection


def connections_close(connection) -> None:
    """Close every connection, the pool's too, so PostgreSQL can drop the database next."""
    from django.db import connections

    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def template_prepare(populate: Callable[[], object], *, analyze: bool = False) -> dict:
    """Migrate the template database, fill it with populate() and leave it ready to copy.

    Returns the vendor, the server's name and version, and the seconds populate() took.
    `analyze` gathers the planner's statistics, so that each copy starts with them.
    """
    connection = django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    populate()
    info = {"vendor": connection.vendor, "setup_seconds": time.perf_counter() - started}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            info["server"] = "SQLite " + cursor.fetchone()[0]
            if analyze:
                cursor.execute("ANALYZE")
            # Fold the WAL into the database file, which is all that is copied for a run.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("show server_version")
            info["server"] = "PostgreSQL " + cursor.fetchone()[0]
            if analyze:
                cursor.execute("ANALYZE")
    connections_close(connection)
    return info


def memory() -> dict:
    """This process's resident memory now and at its peak, in kB."""
    return {
        "rss_kb": _proc_status_kb("VmRSS"),
        # The high-water mark of this process image; ru_maxrss can also carry the parent's
        # peak across fork and exec, VmHWM cannot.
        "hwm_kb": _proc_status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@contextmanager
def measure() -> Iterator[dict]:
    """Time the block, wall and CPU, and read the memory before and after it.

    Yields the result, which is filled in when the block ends: `seconds`, `cpu_seconds`, and
    `before` and `after` as memory() gives them.
    """
    # Garbage left over from the set-up should not be collected on the clock.
    gc.collect()
    result = {"before": memory()}
    wall, cpu = time.perf_counter(), time.process_time()
    yield result
    result["seconds"] = time.perf_counter() - wall
    result["cpu_seconds"] = time.process_time() - cpu
    result["after"] = memory()


def best_of(times: int, run, connection, *, count_statements: bool = False) -> tuple[dict, object]:
    """Run `run` `times` times: the fastest counts; the first (coldest) is kept too, and with
    `count_statements` the statements each run sent."""
    runs, value = [], None
    counted = {"queries": 0}

    def count(execute, sql, params, many, context):
        counted["queries"] += 1
        return execute(sql, params, many, context)

    for _ in range(times):
        counted["queries"] = 0
        if count_statements:
            with connection.execute_wrapper(count), measure() as result:
                value = run()
        else:
            with measure() as result:
                value = run()
        result["queries"] = counted["queries"]
        runs.append(result)
    best = min(runs, key=lambda r: r["seconds"])
    best["first_seconds"] = runs[0]["seconds"]
    best["all_seconds"] = [r["seconds"] for r in runs]
    return best, value


def timed_raw_insert(connection, *, table: str, columns: Sequence[str], rows: list[tuple]) -> float:
    """The floor: insert rows the fastest raw way, in one transaction; return the seconds taken.

    SQLite: `executemany` on the raw sqlite3 cursor; PostgreSQL: psycopg 3 `COPY … FROM STDIN`.
    The rows must already be in the form the database stores.
    """
    from django.db import transaction

    column_list = ", ".join(f'"{c}"' for c in columns)
    gc.collect()
    # Connecting is not part of the floor, as it is not part of ours.
    connection.ensure_connection()
    started = time.perf_counter()
    with transaction.atomic():
        raw = connection.connection
        if connection.vendor == "sqlite":
            cursor = raw.cursor()
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", rows)  # noqa: S608
            cursor.close()
        else:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
    return time.perf_counter() - started
