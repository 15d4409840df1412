"""Benchmark: importing a generated list spreadsheet (XLSX and CSV) against the raw-insert floor.

    .venv/bin/python benchmarks/list_import.py [--rows 100000] [--database sqlite|postgres|both]
                                               [--json PATH]

Every measurement runs in its own child process, on a fresh copy of a freshly migrated database,
so no measurement sees the rows of another and each child's peak memory is its own (the machinery
is in harness.py). See benchmarks/README.md for what is compared and the goals. This is a
measurement, not a test: it prints a table and exits 0 whether or not the goals are met.
"""

from __future__ import annotations

import csv
import random
import time
import uuid
from pathlib import Path

import harness

# Run again with --child for each measurement.
SCRIPT = Path(__file__)
SEED = 2026
HEADERS = ["序号", "事项编码", "事项名称", "子项名称", "事项类型", "类别", "设定依据", "责任部门"]
GOAL_RATIO = {"sqlite": 6.0, "postgres": 5.0}
GOAL_PEAK_MB = 300
# The PostgreSQL scratch database; its template is this name with "_template".
POSTGRES_NAME = "jianfu_bench"

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
    """The template: migrated, with the district the generated lists belong to."""
    return harness.template_prepare(_region)


def child_import(spec: dict) -> dict:
    """Ours: list_import of the generated file into the empty draft of a new list."""
    connection = harness.django_setup()
    from jianfu.catalog.imports import list_import

    rows, fmt = spec["rows"], spec["format"]
    catalog_list, draft = _fresh_list(fmt.upper())
    path = Path(spec["path"])
    data = path.read_bytes()
    use_tracemalloc = spec.get("tracemalloc", False)
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    with harness.measure() as result:
        report = list_import(
            actor=None, catalog_list=catalog_list, data=data, filename=path.name, dry_run=False
        )
    traced = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
    if use_tracemalloc:
        tracemalloc.stop()
    assert report.ok, report.errors[:5]
    assert report.created == rows, (report.created, rows)
    del data, report
    _verify(draft, make_records(rows))
    harness.connections_close(connection)
    return {**result, "tracemalloc_peak": traced}


def child_floor(spec: dict) -> dict:
    """The floor: the same rows, already parsed, inserted the fastest raw way."""
    connection = harness.django_setup()
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
    seconds = harness.timed_raw_insert(
        connection, table="catalog_item", columns=ITEM_COLUMNS, rows=tuples
    )
    del tuples
    _verify(draft, records)
    harness.connections_close(connection)
    return {"seconds": seconds}


def child_generate(spec: dict) -> dict:
    """The CSV and XLSX files, written once for every measurement to read."""
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


# The parent ---------------------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    header = (
        "database", "format", "rows", "ours s", "cpu s", "floor s", "ratio", "goal", "time",
        "RSS before MB", "peak RSS MB", "goal", "memory",
    )  # fmt: skip
    rows = [
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
        for r in results
    ]
    harness.print_table(header, rows)


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="imports per format; the fastest counts"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also run each import once more under tracemalloc (slow) for the Python heap peak",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return

    results, servers, notes = [], [], []
    with harness.scratch_folder("jianfu-bench-", keep=args.keep) as work:
        print(f"Generating {args.rows:,} rows (seed {SEED}) …", flush=True)
        files = harness.run_child(
            SCRIPT,
            {"mode": "generate", "rows": args.rows, "folder": str(work)},
            harness.base_env(work),
        )
        print(
            f"  CSV {files['csv']['bytes'] / 1e6:.1f} MB, XLSX {files['xlsx']['bytes'] / 1e6:.1f} MB, "
            f"{files['sub_items']:,} sub-items, written in {files['seconds']:.1f} s",
            flush=True,
        )
        for database in harness.databases_chosen(args.database):
            with harness.scratch_database(database, work, postgres_name=POSTGRES_NAME) as target:
                print(f"[{database}] migrating a fresh database …", flush=True)
                prepared = harness.run_child(SCRIPT, {"mode": "prepare"}, target.template_env())
                servers.append(prepared["server"])
                floors: list[float] = []
                ours: dict[str, list[dict]] = {"csv": [], "xlsx": []}
                for step in harness.interleaved_plan(["csv", "xlsx"], args.repeat):
                    env = target.fresh_env()
                    if step == "floor":
                        result = harness.run_child(
                            SCRIPT, {"mode": "floor", "rows": args.rows}, env
                        )
                        floors.append(result["seconds"])
                        print(f"[{database}] raw floor: {result['seconds']:.2f} s", flush=True)
                    else:
                        spec = {
                            "mode": "import",
                            "rows": args.rows,
                            "format": step,
                            "path": files[step]["path"],
                        }
                        result = harness.run_child(SCRIPT, spec, env)
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
                        result = harness.run_child(SCRIPT, spec, target.fresh_env())
                        traced = result["tracemalloc_peak"]
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

    import openpyxl

    machine = harness.machine_description(servers, libraries=[f"openpyxl {openpyxl.__version__}"])
    print()
    print("Machine: " + machine)
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
    harness.write_results(
        args.json,
        benchmark="list_import",
        machine=machine,
        rows=[
            harness.result_row(
                operation=f"list import, {r['rows']:,} rows from {r['format']}",
                database=r["database"],
                ours=r["seconds"],
                floor=r["floor"],
                goal=r["goal_ratio"],
                # The memory goal fails the row too.
                passed=r["memory_ok"],
                note=f"peak RSS {r['peak_mb']:.0f} MB (goal < {GOAL_PEAK_MB} MB); "
                "floor: raw insert of the parsed rows (executemany / COPY)",
            )
            for r in results
        ],
    )


if __name__ == "__main__":
    main()
