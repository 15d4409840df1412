"""Run the whole benchmark suite and hold every result to the issue's goals.

    benchmarks/run [--database sqlite|postgres|both] [--only NAME ...] [--quick]
                   [--results DIR] [--markdown PATH] [--update-docs]

Each benchmark script runs in turn (and `load.py` when it is there), each with `--json` into the
results folder and its own output shown as it goes and kept in a log beside it. Then one table of
every row: benchmark, operation, database, ours, the raw floor, the ratio, the goal and whether it
was met. The combined results are written as JSON (`results.json`) and Markdown (`results.md`)
in the results folder; `--markdown` writes the Markdown elsewhere too, and `--update-docs` puts
it into docs/performance.md between its result markers.

Exit status: 0 when every row with a goal met it, 1 when one missed, 2 when a script crashed
(exited non-zero or wrote no readable results; the others still run). `--quick` runs small sizes
to show the suite works: its ratios are not comparable to the goals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCHMARKS_DIR.parent
DOCS = PROJECT_DIR / "docs" / "performance.md"
START_MARK, END_MARK = "<!-- results:start -->", "<!-- results:end -->"

# The scripts, in the order they run: name → the options of a quick run. A script whose file is
# missing is left out (load.py may not be there).
SCRIPTS = {
    "list_import": ["--rows", "5000"],
    "dispatch_fanout": [],
    "evaluation_tally": ["--ballots", "100000"],
    "funds_ledger": ["--spends", "200"],
    "burden_index": ["--communities", "100"],
    "stats": ["--cities", "2", "--districts", "2", "--streets", "5", "--communities", "10"],
    "load": ["--quick"],
}
PROTOCOL_KEYS = ("operation", "database", "ours", "floor", "unit", "ratio", "goal", "direction")
# How many lines of a crashed script's output the summary repeats.
TAIL_LINES = 15


@dataclass
class Outcome:
    """What one script's run gave: its rows, or why it has none."""

    name: str
    command: list[str]
    seconds: float = 0.0
    returncode: int | None = None
    machine: str = ""
    rows: list[dict] = field(default_factory=list)
    error: str = ""
    log: str = ""

    @property
    def crashed(self) -> bool:
        return bool(self.error)


# Running the scripts ------------------------------------------------------------------------------


def available(scripts_dir: Path) -> list[str]:
    """The suite's scripts present in scripts_dir, in running order."""
    return [name for name in SCRIPTS if (scripts_dir / f"{name}.py").is_file()]


def command_for(
    name: str, *, scripts_dir: Path, database: str, quick: bool, json_path: Path
) -> list[str]:
    """The command line that runs one script with its results written to json_path."""
    command = [sys.executable, str(scripts_dir / f"{name}.py"), "--database", database]
    command += ["--json", str(json_path)]
    if quick:
        command += SCRIPTS[name]
    return command


def run_script(
    name: str, *, scripts_dir: Path, database: str, quick: bool, results_dir: Path, echo=True
) -> Outcome:
    """Run one script, its output shown (with echo) and logged, and read the rows it wrote."""
    json_path = results_dir / f"{name}.json"
    log_path = results_dir / f"{name}.log"
    json_path.unlink(missing_ok=True)
    command = command_for(
        name, scripts_dir=scripts_dir, database=database, quick=quick, json_path=json_path
    )
    outcome = Outcome(name=name, command=command, log=str(log_path))
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        try:
            proc = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                # Line by line, so a long run shows its progress as it goes.
                bufsize=1,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as error:
            outcome.error = f"could not start: {error}"
            return outcome
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if echo:
                sys.stdout.write(f"[{name}] {line}")
                sys.stdout.flush()
        outcome.returncode = proc.wait()
    outcome.seconds = time.perf_counter() - started
    if outcome.returncode != 0:
        outcome.error = f"exited with status {outcome.returncode}"
        return outcome
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        outcome.machine = str(document.get("machine", ""))
        outcome.rows = [checked_row(row) for row in document["rows"]]
    except FileNotFoundError:
        outcome.error = f"wrote no results to {json_path}"
    except (ValueError, KeyError, TypeError) as error:
        outcome.error = f"wrote unreadable results to {json_path}: {error}"
    return outcome


def checked_row(row: dict) -> dict:
    """A result row with the runner's own verdict; a ValueError when it is not a protocol row."""
    missing = [key for key in PROTOCOL_KEYS if key not in row]
    if missing:
        raise ValueError(f"a row lacks {', '.join(missing)}")
    if row["unit"] not in ("s", "req/s") or row["direction"] not in ("max", "min"):
        raise ValueError(f"a row has unit {row['unit']!r}, direction {row['direction']!r}")
    return {**row, "note": row.get("note", ""), "passed": verdict(row)}


def verdict(row: dict) -> bool | None:
    """Whether a row met its goal: None without a goal; its ratio against the goal in the row's
    direction, and failed whenever the script itself failed it (a goal besides the ratio)."""
    goal, ratio = row["goal"], row["ratio"]
    if goal is None:
        return None
    if ratio is None:
        return False
    met = ratio <= goal if row["direction"] == "max" else ratio >= goal
    return met and row.get("passed") is not False


def exit_status(outcomes: list[Outcome]) -> int:
    """2 when a script crashed, else 1 when a row missed its goal, else 0."""
    if any(o.crashed for o in outcomes):
        return 2
    if any(row["passed"] is False for o in outcomes for row in o.rows):
        return 1
    return 0


# The report ---------------------------------------------------------------------------------------

HEADER = ("benchmark", "operation", "database", "ours", "floor", "ratio", "goal", "result")


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if value >= 10:
        return f"{value:,.1f} s"
    if value >= 0.1:
        return f"{value:.2f} s"
    return f"{value * 1000:.1f} ms"


def table_rows(outcomes: list[Outcome]) -> list[tuple[str, ...]]:
    """The combined table's cells: one line per row, one per crashed script."""
    lines = []
    for outcome in outcomes:
        for row in outcome.rows:
            goal = row["goal"]
            lines.append(
                (
                    outcome.name,
                    row["operation"],
                    row["database"],
                    _figure(row["ours"], row["unit"]),
                    _figure(row["floor"], row["unit"]),
                    "—" if row["ratio"] is None else f"{row['ratio']:.2f}×",
                    "—"
                    if goal is None
                    else ("≤ " if row["direction"] == "max" else "≥ ") + f"{goal:g}×",
                    {True: "pass", False: "FAIL", None: "—"}[row["passed"]],
                )
            )
        if outcome.crashed:
            lines.append((outcome.name, "CRASHED: " + outcome.error, "", "", "", "", "", "CRASH"))
    return lines


def print_table(lines: list[tuple[str, ...]]) -> None:
    """The table on the terminal, text columns left-aligned and figures right-aligned."""
    widths = [max(_width(line[i]) for line in [HEADER, *lines]) for i in range(len(HEADER))]
    for n, line in enumerate([HEADER, *lines]):
        cells = [
            cell + " " * (widths[i] - _width(cell))
            if i < 3
            else " " * (widths[i] - _width(cell)) + cell
            for i, cell in enumerate(line)
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def summary(outcomes: list[Outcome]) -> list[str]:
    """The lines under the table: what missed, what crashed, the verdict."""
    lines = []
    missed = [
        f"{o.name}: {row['operation']} ({row['database']})"
        for o in outcomes
        for row in o.rows
        if row["passed"] is False
    ]
    if missed:
        lines.append("Goals missed: " + "; ".join(missed))
    for outcome in outcomes:
        if outcome.crashed:
            lines.append(f"{outcome.name} crashed: {outcome.error} (log: {outcome.log})")
    status = exit_status(outcomes)
    lines.append(
        {
            0: "ALL GOALS MET",
            1: "GOALS NOT MET",
            2: "A BENCHMARK CRASHED: its rows are missing",
        }[status]
    )
    return lines


def machine_line(machines: list[str]) -> str:
    """The scripts' machine lines as one: each part once, in the order first seen, a part that
    another one spells out further ("PostgreSQL 15.20" and "PostgreSQL 15.20 (Debian …)") kept
    in its longer form."""
    parts: list[str] = []
    for machine in machines:
        for part in machine.split("; "):
            if any(other.startswith(part) for other in parts):
                continue
            parts = [other for other in parts if not part.startswith(other)] + [part]
    return "; ".join(parts)


def markdown(outcomes: list[Outcome], *, when: str, database: str, quick: bool) -> str:
    """The combined results as a Markdown section: how they were made, the table, the notes."""
    machine = machine_line([o.machine for o in outcomes if o.machine])
    out = [
        f"Run {when}; `benchmarks/run --database {database}"
        + (" --quick`: small sizes, not comparable to the goals." if quick else "`.")
    ]
    if machine:
        out.append(f"Machine: {machine}.")
    out.append("")
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + "|".join(["---"] * 3 + ["---:"] * 4 + ["---"]) + "|")
    for line in table_rows(outcomes):
        cells = [cell.replace("|", "\\|") for cell in line]
        if cells[-1] == "FAIL":
            cells[-1] = "**FAIL**"
        out.append("| " + " | ".join(cells) + " |")
    notes = [
        f"- {o.name}, {row['operation']} ({row['database']}): {row['note']}"
        for o in outcomes
        for row in o.rows
        if row.get("note")
    ]
    if notes:
        out += ["", "Notes:", "", *notes]
    out += ["", *summary(outcomes)]
    return "\n".join(out) + "\n"


def update_docs(path: Path, text: str) -> None:
    """Put text between the result markers of path; a ValueError when the markers are missing."""
    document = path.read_text(encoding="utf-8")
    start, end = document.find(START_MARK), document.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no {START_MARK} … {END_MARK} markers")
    head = document[: start + len(START_MARK)]
    path.write_text(head + "\n\n" + text + "\n" + document[end:], encoding="utf-8")


def combined(outcomes: list[Outcome], *, when: str, database: str, quick: bool) -> dict:
    """The combined results as one JSON document."""
    return {
        "started": when,
        "database": database,
        "quick": quick,
        "status": exit_status(outcomes),
        "benchmarks": [
            {
                "benchmark": o.name,
                "command": o.command,
                "seconds": round(o.seconds, 1),
                "returncode": o.returncode,
                "machine": o.machine,
                "error": o.error,
                "log": o.log,
            }
            for o in outcomes
        ],
        "rows": [{"benchmark": o.name, **row} for o in outcomes for row in o.rows],
    }


# The command line ---------------------------------------------------------------------------------


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(SCRIPTS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, to see that the suite works; not comparable to the goals",
    )
    parser.add_argument(
        "--results",
        metavar="DIR",
        help="where the scripts' results, logs and the combined results go "
        "(default: a new folder under benchmarks/results/)",
    )
    parser.add_argument("--markdown", metavar="PATH", help="also write the Markdown table there")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="put the Markdown table into docs/performance.md between its result markers",
    )
    # Where the scripts are (the tests run fake ones).
    parser.add_argument("--scripts-dir", default=str(BENCHMARKS_DIR), help=argparse.SUPPRESS)
    parser.add_argument("--docs", default=str(DOCS), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)
    scripts_dir = Path(args.scripts_dir)
    present = available(scripts_dir)
    unknown = [name for name in args.only or [] if name not in present]
    if unknown:
        print(
            f"No such benchmark: {', '.join(unknown)} (there are: {', '.join(present)})",
            file=sys.stderr,
        )
        return 2
    names = [name for name in present if not args.only or name in args.only]
    now = dt.datetime.now().astimezone()
    when = now.strftime("%Y-%m-%d %H:%M %Z")
    results_dir = Path(args.results or BENCHMARKS_DIR / "results" / now.strftime("%Y%m%d-%H%M%S"))
    results_dir.mkdir(parents=True, exist_ok=True)

    outcomes = []
    for name in names:
        print(f"===== {name} =====", flush=True)
        outcome = run_script(
            name,
            scripts_dir=scripts_dir,
            database=args.database,
            quick=args.quick,
            results_dir=results_dir,
        )
        if outcome.crashed:
            tail = Path(outcome.log).read_text(encoding="utf-8", errors="replace").splitlines()
            print(f"===== {name} CRASHED: {outcome.error}; its last lines:", flush=True)
            for line in tail[-TAIL_LINES:]:
                print("    " + line)
        outcomes.append(outcome)

    print()
    if args.quick:
        print("Quick run: small sizes, the ratios are not comparable to the goals.")
    print_table(table_rows(outcomes))
    print()
    for line in summary(outcomes):
        print(line)

    text = markdown(outcomes, when=when, database=args.database, quick=args.quick)
    document = combined(outcomes, when=when, database=args.database, quick=args.quick)
    (results_dir / "results.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (results_dir / "results.md").write_text(text, encoding="utf-8")
    print(f"Results: {results_dir / 'results.json'}, {results_dir / 'results.md'}")
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    if args.update_docs:
        try:
            update_docs(Path(args.docs), text)
        except (OSError, ValueError) as error:
            print(f"docs not updated: {error}", file=sys.stderr)
            return 2
        print(f"Updated {args.docs}")
    return exit_status(outcomes)


if __name__ == "__main__":
    sys.exit(main())
