"""The benchmark runner (benchmarks/run.py): it combines the scripts' rows, holds each to its goal,
reports crashed scripts and exits accordingly. The scripts here are small fakes written per test;
no real benchmark runs."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

RUNNER_PATH = Path(__file__).resolve().parents[3] / "benchmarks" / "run.py"


def _load_runner():
    spec = importlib.util.spec_from_file_location("benchmark_runner", RUNNER_PATH)
    module = importlib.util.module_from_spec(spec)
    # The dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


runner = _load_runner()


def row(operation="fan-out", *, database="sqlite", ours=1.0, floor=0.5, goal=2.0, **more):
    """A protocol row; ratio ours ÷ floor unless given."""
    return {
        "operation": operation,
        "database": database,
        "ours": ours,
        "floor": floor,
        "unit": more.pop("unit", "s"),
        "ratio": more.pop("ratio", ours / floor if floor else None),
        "goal": goal,
        "direction": more.pop("direction", "max"),
        "passed": more.pop("passed", None),
        "note": more.pop("note", ""),
        **more,
    }


def fake_script(folder: Path, name: str, *, rows=None, exit_code=0, writes="rows") -> Path:
    """A stand-in benchmark script: takes the real options, prints a line, records its
    arguments, writes the rows to --json (or nothing, or junk) and exits with exit_code."""
    path = folder / f"{name}.py"
    path.write_text(
        textwrap.dedent(
            f"""
            import json, sys
            argv = sys.argv[1:]
            target = argv[argv.index("--json") + 1]
            database = argv[argv.index("--database") + 1]
            print("fake {name} measuring on", database)
            (__import__("pathlib").Path(target).parent / "{name}.argv").write_text(
                json.dumps(argv)
            )
            if {writes!r} == "rows":
                document = {{"benchmark": "{name}", "machine": "fake machine", "rows": {rows!r}}}
                open(target, "w").write(json.dumps(document))
            elif {writes!r} == "junk":
                open(target, "w").write("not json")
            if {exit_code}:
                print("Traceback: something broke in {name}")
            sys.exit({exit_code})
            """
        )
    )
    return path


def run_main(tmp_path: Path, *extra: str) -> tuple[int, Path]:
    results = tmp_path / "results"
    code = runner.main(
        ["--scripts-dir", str(tmp_path / "scripts"), "--results", str(results), *extra]
    )
    return code, results


@pytest.fixture
def scripts(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    return folder


# Pass or fail, per direction ----------------------------------------------------------------------


def test_a_time_row_passes_at_or_under_its_goal_and_fails_over_it():
    assert runner.verdict(row(ours=2.0, floor=1.0, goal=2.0)) is True
    assert runner.verdict(row(ours=2.01, floor=1.0, goal=2.0)) is False


def test_a_throughput_row_passes_at_or_over_its_goal_and_fails_under_it():
    throughput = {"unit": "req/s", "direction": "min", "goal": 0.3}
    assert runner.verdict(row(ours=300, floor=1000, **throughput)) is True
    assert runner.verdict(row(ours=299, floor=1000, **throughput)) is False


def test_a_row_without_a_goal_neither_passes_nor_fails():
    assert runner.verdict(row(ours=50, floor=1, goal=None)) is None


def test_a_row_the_script_failed_for_another_goal_fails_though_its_ratio_is_met():
    # The list import fails a row whose memory exceeds its goal.
    assert runner.verdict(row(ours=1, floor=1, goal=5, passed=False)) is False


def test_the_runner_judges_the_ratio_itself_whatever_the_script_claims():
    assert runner.verdict(row(ours=9, floor=1, goal=2, passed=True)) is False


def test_a_row_without_a_ratio_fails_its_goal():
    assert runner.verdict(row(ours=1, floor=0, goal=2, ratio=None)) is False


def test_a_row_outside_the_protocol_is_refused():
    with pytest.raises(ValueError, match="lacks goal"):
        runner.checked_row({k: v for k, v in row().items() if k != "goal"})
    with pytest.raises(ValueError, match="unit"):
        runner.checked_row(row(unit="ms"))


# Combining, exit codes ----------------------------------------------------------------------------


def test_rows_of_every_script_are_combined_and_the_run_exits_0_when_all_goals_are_met(
    tmp_path, scripts
):
    fake_script(scripts, "list_import", rows=[row("import CSV", ours=3, floor=1, goal=5)])
    fake_script(
        scripts,
        "stats",
        rows=[
            row("dashboard read", database="postgresql", ours=1, floor=1, goal=2),
            row("refresh", ours=20, floor=1, goal=None),
        ],
    )
    code, results = run_main(tmp_path, "--database", "sqlite")
    assert code == 0
    document = json.loads((results / "results.json").read_text())
    assert [(r["benchmark"], r["operation"], r["passed"]) for r in document["rows"]] == [
        ("list_import", "import CSV", True),
        ("stats", "dashboard read", True),
        ("stats", "refresh", None),
    ]
    assert [b["benchmark"] for b in document["benchmarks"]] == ["list_import", "stats"]
    assert document["status"] == 0
    # Each script's own output is kept in a log beside its results.
    assert "fake stats measuring on sqlite" in (results / "stats.log").read_text()


def test_a_missed_goal_exits_1_and_is_named(tmp_path, scripts, capsys):
    fake_script(scripts, "dispatch_fanout", rows=[row("fan-out", ours=5, floor=1, goal=2)])
    code, _ = run_main(tmp_path)
    assert code == 1
    out = capsys.readouterr().out
    assert "Goals missed: dispatch_fanout: fan-out (sqlite)" in out
    assert "GOALS NOT MET" in out


def test_a_crashed_script_exits_2_is_reported_and_does_not_stop_the_others(
    tmp_path, scripts, capsys
):
    fake_script(scripts, "list_import", rows=[], exit_code=1, writes="nothing")
    fake_script(scripts, "stats", rows=[row("dashboard read", ours=9, floor=1, goal=2)])
    code, results = run_main(tmp_path)
    assert code == 2
    out = capsys.readouterr().out
    assert "list_import CRASHED: exited with status 1" in out
    # The crash's last lines are repeated, so the reader need not open the log.
    assert "Traceback: something broke in list_import" in out
    assert "A BENCHMARK CRASHED" in out
    document = json.loads((results / "results.json").read_text())
    assert document["benchmarks"][0]["error"] == "exited with status 1"
    # The script after the crash still ran; its miss is in the results too.
    assert [(r["benchmark"], r["passed"]) for r in document["rows"]] == [("stats", False)]


def test_a_script_that_writes_no_results_or_junk_counts_as_crashed(tmp_path, scripts):
    fake_script(scripts, "funds_ledger", writes="nothing")
    fake_script(scripts, "burden_index", writes="junk")
    code, results = run_main(tmp_path)
    assert code == 2
    errors = [b["error"] for b in json.loads((results / "results.json").read_text())["benchmarks"]]
    assert errors[0].startswith("wrote no results")
    assert errors[1].startswith("wrote unreadable results")


def test_a_row_outside_the_protocol_counts_as_a_crash(tmp_path, scripts):
    fake_script(scripts, "stats", rows=[{"operation": "read", "ours": 1}])
    code, results = run_main(tmp_path)
    assert code == 2
    error = json.loads((results / "results.json").read_text())["benchmarks"][0]["error"]
    assert "a row lacks database" in error


def test_only_runs_the_named_scripts_and_refuses_unknown_names(tmp_path, scripts, capsys):
    fake_script(scripts, "list_import", rows=[row()])
    fake_script(scripts, "stats", rows=[row()])
    code, results = run_main(tmp_path, "--only", "stats")
    assert code == 0
    assert not (results / "list_import.argv").exists()
    assert (results / "stats.argv").exists()
    code, _ = run_main(tmp_path, "--only", "nonesuch")
    assert code == 2
    assert "No such benchmark: nonesuch" in capsys.readouterr().err


def test_quick_passes_each_scripts_small_sizes_and_the_database(tmp_path, scripts):
    fake_script(scripts, "evaluation_tally", rows=[row()])
    fake_script(scripts, "dispatch_fanout", rows=[row()])
    run_main(tmp_path, "--quick", "--database", "postgres")
    argv = json.loads((tmp_path / "results" / "evaluation_tally.argv").read_text())
    assert argv[:2] == ["--database", "postgres"]
    assert argv[-2:] == ["--ballots", "100000"]
    argv = json.loads((tmp_path / "results" / "dispatch_fanout.argv").read_text())
    assert argv == ["--database", "postgres", "--json", argv[3]]
    run_main(tmp_path, "--database", "sqlite")
    argv = json.loads((tmp_path / "results" / "evaluation_tally.argv").read_text())
    assert "--ballots" not in argv


def test_the_load_benchmark_runs_when_it_is_there(tmp_path, scripts):
    fake_script(
        scripts,
        "load",
        rows=[row("inbox API", ours=400, floor=1000, goal=0.3, unit="req/s", direction="min")],
    )
    code, results = run_main(tmp_path, "--quick")
    assert code == 0
    assert json.loads((results / "load.argv").read_text())[-1] == "--quick"


# The Markdown -------------------------------------------------------------------------------------


def test_the_markdown_table_shows_each_row_with_its_goal_and_verdict(tmp_path, scripts):
    fake_script(
        scripts,
        "stats",
        rows=[
            row("dashboard read", ours=0.05, floor=0.01, goal=2, note="4 queries"),
            row("inbox | API", ours=400, floor=1000, goal=0.3, unit="req/s", direction="min"),
        ],
    )
    target = tmp_path / "table.md"
    code, _ = run_main(tmp_path, "--markdown", str(target), "--quick")
    assert code == 1
    text = target.read_text()
    assert "| benchmark | operation | database | ours | floor | ratio | goal | result |" in text
    assert (
        "| stats | dashboard read | sqlite | 50.0 ms | 10.0 ms | 5.00× | ≤ 2× | **FAIL** |" in text
    )
    # A pipe in a label does not break the table.
    piped = "| stats | inbox \\| API | sqlite | 400 req/s | 1,000 req/s | 0.40× | ≥ 0.3× | pass |"
    assert piped in text
    assert "- stats, dashboard read (sqlite): 4 queries" in text
    assert "not comparable to the goals" in text
    assert "Machine: fake machine." in text


def test_update_docs_replaces_only_the_text_between_the_markers(tmp_path, scripts):
    fake_script(scripts, "stats", rows=[row("dashboard read", ours=1, floor=1, goal=2)])
    docs = tmp_path / "performance.md"
    docs.write_text(
        "# Performance\n\nBefore.\n\n<!-- results:start -->\nold table\n<!-- results:end -->\n\n"
        "After.\n"
    )
    code, _ = run_main(tmp_path, "--update-docs", "--docs", str(docs))
    assert code == 0
    text = docs.read_text()
    assert "old table" not in text
    assert text.startswith("# Performance\n\nBefore.\n\n<!-- results:start -->\n")
    assert text.endswith("<!-- results:end -->\n\nAfter.\n")
    assert "| stats | dashboard read | sqlite |" in text


def test_update_docs_without_markers_changes_nothing_and_exits_2(tmp_path, scripts):
    fake_script(scripts, "stats", rows=[row()])
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n")
    code, _ = run_main(tmp_path, "--update-docs", "--docs", str(docs))
    assert code == 2
    assert docs.read_text() == "# Performance\n"


# The scripts' side: the rows harness.result_row writes --------------------------------------------


def _load_harness():
    spec = importlib.util.spec_from_file_location(
        "benchmark_harness", RUNNER_PATH.parent / "harness.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_scripts_row_follows_the_protocol_and_the_runner_agrees_with_it(tmp_path):
    harness = _load_harness()
    written = harness.result_row(
        operation="tally", database="postgres", ours=1.8, floor=1.2, goal=1.5, note="n"
    )
    assert written["database"] == "postgresql"
    assert written["ratio"] == pytest.approx(1.5)
    assert written["passed"] is True
    assert runner.checked_row(written)["passed"] is True
    over = harness.result_row(operation="tally", database="sqlite", ours=2, floor=1, goal=1.5)
    assert over["passed"] is False
    memory = harness.result_row(
        operation="import", database="sqlite", ours=1, floor=1, goal=6, passed=False
    )
    assert memory["passed"] is False
    assert harness.result_row(operation="x", database="sqlite", ours=1, floor=1)["passed"] is None
    path = tmp_path / "out" / "r.json"
    harness.write_results(str(path), benchmark="stats", machine="m", rows=[written])
    assert json.loads(path.read_text()) == {"benchmark": "stats", "machine": "m", "rows": [written]}


def test_the_scripts_machine_lines_are_written_as_one():
    line = runner.machine_line(
        [
            "2 CPUs; Linux 6; Python 3.11.7; Django 5.2; SQLite 3.40.1; PostgreSQL 15.20",
            "2 CPUs; Linux 6; Python 3.11.7; Django 5.2; openpyxl 3.1.5; PostgreSQL 15.20 (Debian)",
        ]
    )
    assert line == (
        "2 CPUs; Linux 6; Python 3.11.7; Django 5.2; SQLite 3.40.1; openpyxl 3.1.5; "
        "PostgreSQL 15.20 (Debian)"
    )
