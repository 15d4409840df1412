"""Benchmark: importing a generated list spreadsheet (XLSX and CSV) against the raw-insert floor.

    .venv/bin/python benchmarks/list_import.py [--rows 100000] [--database sqlite|postgres|both]

Every measurement runs in its own child process, on a fresh copy of a freshly migrated database,
so no measurement sees the rows of another and each child's peak memory is its own. See
benchmarks/README.md for what is compared and the goals. This is a measurement, not a test: it
prints a table and exits 0 whether or not the goals are met.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

SEED = 2026
HEADERS = ["序号", "事项编码", "事项名称", "子项名称", "事项类型", "类别", "设定依据", "责任部门"]
GOAL_RATIO = {"sqlite": 6.0, "postgres": 5.0}
GOAL_PEAK_MB = 300
FLOOR_RUNS = 3
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB, PG_TEMPLATE = "jianfu_bench", "jianfu_bench_template"
RESULT_MARK = "BENCH-RESULT "

# The item columns both sides write; `id` comes from the table's sequence either way.
ITEM_COLUMNS = (
    "version_id",
    "key",
    "code",
    "name",
    "category",
    "power_type",
    "legal_law",
    "legal_article",
    "legal_text",
    "department",
    "parent_key",
    "position",
    "remarks",
)

# Generated rows -----------------------------------------------------------------------------------

VERBS = ["协助开展", "做好", "配合开展", "协助做好", "组织开展", "参与", "督促落实", "负责"]
GROUPS = [
    "城乡居民", "困难群众", "老年人", "残疾人", "退役军人", "流动人口", "辖区企业",
    "适龄儿童", "独居老人", "低收入家庭", "社区居民", "重点人群",
]  # fmt: skip
TOPICS = [
    "最低生活保障", "消防安全", "医疗保险参保", "养老保险", "就业援助", "临时救助", "高龄津贴",
    "防汛救灾", "垃圾分类", "疫苗接种", "文明城市创建", "矛盾纠纷调解", "安全生产", "食品安全",
    "人口普查", "住房保障", "法律援助", "禁毒宣传", "征兵", "优抚安置",
]  # fmt: skip
ACTIONS = [
    "申请受理", "宣传", "排查", "信息采集", "入户核查", "政策咨询", "档案管理", "台账登记",
    "走访慰问", "动态管理",
]  # fmt: skip
SUB_ACTIONS = ["材料初审", "公示", "结果上报", "入户调查", "信息录入", "政策告知"]
CATEGORIES = [
    "综合保障",
    "党群工作",
    "社区建设",
    "民生保障",
    "社区平安",
    "城市管理",
    "企业服务",
    "其他",
]
LAWS = [
    "《中华人民共和国城市居民委员会组织法》", "《中华人民共和国村民委员会组织法》",
    "《社会救助暂行办法》", "《中华人民共和国消防法》", "《中华人民共和国老年人权益保障法》",
    "《中华人民共和国残疾人保障法》", "《中华人民共和国兵役法》", "《中华人民共和国安全生产法》",
    "《中华人民共和国食品安全法》", "《全国人口普查条例》", "《四川省城乡社区治理条例》",
]  # fmt: skip
TEXTS = [
    "居民委员会协助不满一周岁以下婴儿的人民政府或者它的派出机关做好与居民利益有关的公共卫生工作。",
    "居民委员会应当协助有关部门做好社会救助的申请受理、调查审核等具体工作。",
    "村民委员会、居民委员会应当确定消防安全管理人，组织群众开展防火安全检查。",
    "城市居民委员会协助人民政府或者它的派出机关做好与居民利益有关的社会救助、优抚工作。",
]
DEPARTMENTS = [
    "民政局", "应急管理局", "人力资源和社会保障局", "卫生健康局", "司法局", "住房和城乡建设局",
    "退役军人事务局", "市场监督管理局", "公安分局", "综合行政执法局", "残疾人联合会", "医疗保障局",
]  # fmt: skip
POWER_TYPES = [("", ""), ("", ""), ("", ""), ("", ""), ("公共服务", "20"), ("行政确认", "07")]
DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1–99 as written in article numbers: 三, 十二, 二十, 四十五."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    return (DIGITS[tens] if tens > 1 else "") + "十" + (DIGITS[ones] if ones else "")


def make_records(count: int) -> list[tuple]:
    """The rows, deterministically: (cells as written in the file, the item they parse to).

    The item is (code, name, category, power_type, legal_law, legal_article, legal_text,
    department, parent_index), parent_index being the 0-based index of a sub-item's main item.
    """
    rnd = random.Random(SEED)  # noqa: S311 (reproducible test data, not secrets)
    records = []
    main_no, sub_no, last_main = 0, 0, None
    for index in range(count):
        n = index + 1
        code = f"BM-{n:06d}"
        is_sub = last_main is not None and rnd.random() < 0.10
        topic = rnd.choice(TOPICS)
        if is_sub:
            sub_no += 1
            seq = f"{main_no}.{sub_no}"
            name = f"{topic}{rnd.choice(SUB_ACTIONS)}（{n}）"
            main_cell, sub_cell, parent = "", name, last_main
        else:
            main_no, sub_no = main_no + 1, 0
            seq = str(main_no)
            name = f"{rnd.choice(VERBS)}{rnd.choice(GROUPS)}{topic}{rnd.choice(ACTIONS)}（{n}）"
            main_cell, sub_cell, parent = name, "", None
            last_main = index
        power_label, power_code = rnd.choice(POWER_TYPES)
        category = rnd.choice(CATEGORIES)
        law = rnd.choice(LAWS)
        article = f"第{_chinese_number(rnd.randint(1, 60))}条"
        text = rnd.choice(TEXTS) if rnd.random() < 0.3 else ""
        basis = f"{law}{article}" + (f"：{text}" if text else "")
        department = rnd.choice(DEPARTMENTS)
        cells = (seq, code, main_cell, sub_cell, power_label, category, basis, department)
        item = (code, name, category, power_code, law, article, text, department, parent)
        records.append((cells, item))
    return records


def write_files(count: int, folder: Path) -> dict:
    from openpyxl import Workbook

    records = make_records(count)
    csv_path, xlsx_path = folder / f"list_{count}.csv", folder / f"list_{count}.xlsx"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(cells for cells, _ in records)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("事项清单")
    sheet.append(HEADERS)
    for cells, _ in records:
        sheet.append(list(cells))
    workbook.save(xlsx_path)
    return {
        "csv": {"path": str(csv_path), "bytes": csv_path.stat().st_size},
        "xlsx": {"path": str(xlsx_path), "bytes": xlsx_path.stat().st_size},
        "sub_items": sum(1 for _, item in records if item[-1] is not None),
    }


# Child processes ----------------------------------------------------------------------------------


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _memory() -> dict:
    return {
        "rss_kb": _proc_status_kb("VmRSS"),
        # The high-water mark of this process image; ru_maxrss can also carry the parent's
        # peak across fork and exec, VmHWM cannot.
        "hwm_kb": _proc_status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _django():
    import django

    django.setup()
    from django.db import connection

    return connection


def _region():
    from jianfu.org.models import Region

    parent = None
    for code, name, level in (
        ("510000000000", "四川省", "province"),
        ("511000000000", "内江市", "city"),
        ("511002000000", "市中区", "district"),
    ):
        parent, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent}
        )
    return parent


def _fresh_list(label: str):
    from jianfu.catalog.models import VersionStatus
    from jianfu.catalog.services import list_create

    catalog_list = list_create(
        actor=None,
        name=f"基准测试清单（{label}）",
        kind="assist",
        level="community",
        region=_region(),
        code=f"BENCH-{label}-{uuid.uuid4().hex[:8]}",
    )
    draft = catalog_list.versions.get(status=VersionStatus.DRAFT)
    assert not draft.items.exists()
    return catalog_list, draft


def _close(connection) -> None:
    from django.db import connections

    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def _verify(version, records: list[tuple]) -> None:
    """The version holds exactly the generated items, in order, sub-items under their mains."""
    from jianfu.catalog.models import Item

    fields = ("position", "key", *ITEM_COLUMNS[2:10], "parent_key", "remarks")
    keys: list[uuid.UUID] = []
    rows = Item.objects.filter(version=version).order_by("position").values_list(*fields)
    pairs = zip(rows.iterator(chunk_size=5000), records, strict=True)
    for count, (row, (_, item)) in enumerate(pairs, start=1):
        position, key, *values, parent_key, remarks = row
        parent_index = item[-1]
        expected_parent = keys[parent_index] if parent_index is not None else None
        if (
            position != count
            or tuple(values) != item[:-1]
            or parent_key != expected_parent
            or remarks != ""
        ):
            raise AssertionError(f"row {count} differs: {row!r} != {item!r}")
        keys.append(key)


def child_prepare(spec: dict) -> dict:
    connection = _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _region()
    info = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            info["server"] = "SQLite " + cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("show server_version")
            info["server"] = "PostgreSQL " + cursor.fetchone()[0]
    _close(connection)
    return info


def child_import(spec: dict) -> dict:
    connection = _django()
    from jianfu.catalog.imports import list_import

    rows, fmt = spec["rows"], spec["format"]
    catalog_list, draft = _fresh_list(fmt.upper())
    path = Path(spec["path"])
    data = path.read_bytes()
    use_tracemalloc = spec.get("tracemalloc", False)
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    gc.collect()
    before = _memory()
    wall, cpu = time.perf_counter(), time.process_time()
    report = list_import(
        actor=None, catalog_list=catalog_list, data=data, filename=path.name, dry_run=False
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = _memory()
    traced = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
    if use_tracemalloc:
        tracemalloc.stop()
    assert report.ok, report.errors[:5]
    assert report.created == rows, (report.created, rows)
    del data, report
    _verify(draft, make_records(rows))
    _close(connection)
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "before": before,
        "after": after,
        "tracemalloc_peak": traced,
    }


def child_floor(spec: dict) -> dict:
    connection = _django()
    from django.db import transaction

    rows = spec["rows"]
    _, draft = _fresh_list("FLOOR")
    records = make_records(rows)
    sqlite = connection.vendor == "sqlite"
    # Already-parsed tuples in the storage form the database takes: on SQLite Django keeps a
    # UUIDField as 32 hex digits, on PostgreSQL as uuid.
    keys = [uuid.uuid4() for _ in records]
    tuples = []
    for position, ((_, item), key) in enumerate(zip(records, keys, strict=True), start=1):
        *values, parent_index = item
        parent = keys[parent_index] if parent_index is not None else None
        if sqlite:
            key, parent = key.hex, parent.hex if parent else None
        tuples.append((draft.pk, key, *values, parent, position, ""))
    columns = ", ".join(f'"{c}"' for c in ITEM_COLUMNS)
    gc.collect()
    connection.ensure_connection()
    wall = time.perf_counter()
    with transaction.atomic():
        raw = connection.connection
        if sqlite:
            cursor = raw.cursor()
            marks = ", ".join("?" * len(ITEM_COLUMNS))
            cursor.executemany(f"INSERT INTO catalog_item ({columns}) VALUES ({marks})", tuples)  # noqa: S608
            cursor.close()
        else:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY catalog_item ({columns}) FROM STDIN") as copy,
            ):
                for row in tuples:
                    copy.write_row(row)
    wall = time.perf_counter() - wall
    del tuples
    _verify(draft, records)
    _close(connection)
    return {"seconds": wall}


def child_generate(spec: dict) -> dict:
    started = time.perf_counter()
    files = write_files(spec["rows"], Path(spec["folder"]))
    files["seconds"] = time.perf_counter() - started
    return files


CHILDREN = {
    "prepare": child_prepare,
    "import": child_import,
    "floor": child_floor,
    "generate": child_generate,
}


def child_main(spec: dict) -> None:
    result = CHILDREN[spec["mode"]](spec)
    sys.stdout.write("\n" + RESULT_MARK + json.dumps(result) + "\n")


# The parent ---------------------------------------------------------------------------------------


def run_child(spec: dict, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
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


def base_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="jianfu.settings",
        JIANFU_DATA_DIR=str(data_dir),
        SECRET_KEY="benchmark-only-" + "x" * 40,
        DEBUG="False",
        PYTHONHASHSEED="0",
    )
    return env


class SQLiteTarget:
    name = "sqlite"

    def __init__(self, work: Path):
        self.work = work / "sqlite"
        self.template = self.work / "template"
        self.runs = 0

    def prepare(self) -> dict:
        self.template.mkdir(parents=True)
        return run_child({"mode": "prepare"}, base_env(self.template))

    def fresh_env(self) -> dict[str, str]:
        self.runs += 1
        folder = self.work / f"run{self.runs}"
        folder.mkdir()
        shutil.copy2(self.template / "jianfu.sqlite3", folder / "jianfu.sqlite3")
        return base_env(folder)

    def cleanup(self) -> None:
        pass


class PostgresTarget:
    name = "postgres"

    def __init__(self, work: Path):
        self.work = work / "postgres"
        self.work.mkdir(parents=True)

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
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

    def prepare(self) -> dict:
        self._admin(
            f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)",
            f"CREATE DATABASE {PG_TEMPLATE}",
        )
        return run_child({"mode": "prepare"}, self._env(PG_TEMPLATE))

    def fresh_env(self) -> dict[str, str]:
        self._admin(
            f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)",
            f"CREATE DATABASE {PG_DB} TEMPLATE {PG_TEMPLATE}",
            # Write out dirty pages now, not during the next measurement.
            "CHECKPOINT",
        )
        return self._env(PG_DB)

    def cleanup(self) -> None:
        self._admin(
            f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)",
        )


def machine(servers: list[str]) -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django
    import openpyxl

    parts = [
        f"{os.cpu_count()} CPUs" + (f" ({cpu})" if cpu else ""),
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        f"Django {django.get_version()}",
        f"openpyxl {openpyxl.__version__}",
        *servers,
    ]
    return "; ".join(parts)


def print_table(results: list[dict]) -> None:
    header = (
        "database", "format", "rows", "ours s", "cpu s", "floor s", "ratio", "goal", "time",
        "RSS before MB", "peak RSS MB", "goal", "memory",
    )  # fmt: skip
    lines = [header]
    for r in results:
        lines.append(
            (
                r["database"],
                r["format"],
                f"{r['rows']:,}",
                f"{r['seconds']:.2f}",
                f"{r['cpu_seconds']:.2f}",
                f"{r['floor']:.2f}",
                f"{r['ratio']:.2f}×",
                f"≤ {r['goal_ratio']:g}×",
                "PASS" if r["time_ok"] else "FAIL",
                f"{r['rss_before_mb']:.0f}",
                f"{r['peak_mb']:.0f}",
                f"< {GOAL_PEAK_MB}",
                "PASS" if r["memory_ok"] else "FAIL",
            )
        )
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(_pad(cell, widths[i], left=i < 2) for i, cell in enumerate(line)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--repeat", type=int, default=1, help="imports per format; the fastest counts"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also run each import once more under tracemalloc (slow) for the Python heap peak",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    work = Path(tempfile.mkdtemp(prefix="jianfu-bench-"))
    results, servers, notes = [], [], []
    try:
        print(f"Generating {args.rows:,} rows (seed {SEED}) …", flush=True)
        files = run_child(
            {"mode": "generate", "rows": args.rows, "folder": str(work)}, base_env(work)
        )
        print(
            f"  CSV {files['csv']['bytes'] / 1e6:.1f} MB, XLSX {files['xlsx']['bytes'] / 1e6:.1f} MB, "
            f"{files['sub_items']:,} sub-items, written in {files['seconds']:.1f} s",
            flush=True,
        )
        for database in databases:
            target = SQLiteTarget(work) if database == "sqlite" else PostgresTarget(work)
            try:
                print(f"[{database}] migrating a fresh database …", flush=True)
                servers.append(target.prepare()["server"])
                floors: list[float] = []
                ours: dict[str, list[dict]] = {"csv": [], "xlsx": []}
                # Interleaved, so a slow spell of the machine does not hit one side only.
                plan = ["floor"]
                for _ in range(args.repeat):
                    plan += ["csv", "floor", "xlsx", "floor"]
                plan += ["floor"] * max(0, FLOOR_RUNS - plan.count("floor"))
                for step in plan:
                    env = target.fresh_env()
                    if step == "floor":
                        result = run_child({"mode": "floor", "rows": args.rows}, env)
                        floors.append(result["seconds"])
                        print(f"[{database}] raw floor: {result['seconds']:.2f} s", flush=True)
                    else:
                        spec = {
                            "mode": "import",
                            "rows": args.rows,
                            "format": step,
                            "path": files[step]["path"],
                        }
                        result = run_child(spec, env)
                        ours[step].append(result)
                        print(
                            f"[{database}] import {step}: {result['seconds']:.2f} s, "
                            f"peak {result['after']['hwm_kb'] / 1024:.0f} MB",
                            flush=True,
                        )
                if args.tracemalloc:
                    for fmt in ("csv", "xlsx"):
                        spec = {
                            "mode": "import",
                            "rows": args.rows,
                            "format": fmt,
                            "path": files[fmt]["path"],
                            "tracemalloc": True,
                        }
                        traced = run_child(spec, target.fresh_env())["tracemalloc_peak"]
                        notes.append(
                            f"{database} {fmt}: tracemalloc peak of the Python heap during the "
                            f"import {traced / 2**20:.0f} MB"
                        )
                floor = min(floors)
                notes.append(
                    f"{database} raw floor runs (s): " + ", ".join(f"{s:.2f}" for s in floors)
                )
                for fmt in ("csv", "xlsx"):
                    best = min(ours[fmt], key=lambda r: r["seconds"])
                    peak_kb = max(r["after"]["hwm_kb"] for r in ours[fmt])
                    ru_kb = max(r["after"]["ru_maxrss_kb"] for r in ours[fmt])
                    ratio = best["seconds"] / floor
                    results.append(
                        {
                            "database": database,
                            "format": fmt.upper(),
                            "rows": args.rows,
                            "seconds": best["seconds"],
                            "cpu_seconds": best["cpu_seconds"],
                            "floor": floor,
                            "ratio": ratio,
                            "goal_ratio": GOAL_RATIO[database],
                            "time_ok": ratio <= GOAL_RATIO[database],
                            "rss_before_mb": best["before"]["rss_kb"] / 1024,
                            "peak_mb": peak_kb / 1024,
                            "memory_ok": peak_kb / 1024 < GOAL_PEAK_MB,
                        }
                    )
                    if abs(ru_kb - peak_kb) > 5 * 1024:
                        notes.append(
                            f"{database} {fmt}: ru_maxrss {ru_kb / 1024:.0f} MB "
                            f"(VmHWM {peak_kb / 1024:.0f} MB)"
                        )
            finally:
                target.cleanup()
    finally:
        if args.keep:
            print(f"Files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print("Machine: " + machine(servers))
    print(
        f"Files: CSV {files['csv']['bytes'] / 1e6:.1f} MB, XLSX {files['xlsx']['bytes'] / 1e6:.1f} MB "
        f"({args.rows:,} rows, {files['sub_items']:,} of them sub-items)"
    )
    print(
        "ours = list_import(dry_run=False) wall time; cpu = its process CPU time; floor = fastest "
        "raw insert of the same parsed rows (SQLite: executemany in one transaction; "
        "PostgreSQL: COPY); peak RSS = VmHWM of the import's own process."
    )
    print()
    print_table(results)
    print()
    for note in notes:
        print("  " + note)
    failed = [r for r in results if not (r["time_ok"] and r["memory_ok"])]
    print()
    if failed:
        print(
            "GOALS NOT MET: "
            + ", ".join(
                f"{r['database']} {r['format']} "
                + "/".join(
                    w for w, ok in (("time", r["time_ok"]), ("memory", r["memory_ok"])) if not ok
                )
                for r in failed
            )
        )
    else:
        print("ALL GOALS MET")


if __name__ == "__main__":
    main()
