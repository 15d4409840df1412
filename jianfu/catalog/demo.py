"""Demo lists built through the real import and editing services, with a history to diff.

内江市市中区 gets the seed's lists (39 duties, 79 assistance categories, certificates and
signboards, 4 negative items) with a 2020 version, a 2025 version and a 2027 draft; 徐州市云龙区
gets 30 duties and 65 assistance items; 宁波市江北区甬江街道 a street power list with national codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from jianfu.catalog import demo_data, services
from jianfu.catalog.codes import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS, parse_legal_basis
from jianfu.catalog.imports import list_import
from jianfu.catalog.models import CatalogList, ListKind, ListLevel
from jianfu.org.models import Region

HEADER = ["序号", "事项编码", "事项名称", "子项名称", "事项类型", "类别", "设定依据", "责任部门"]


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *rows])
    return text.getvalue().encode("utf-8-sig")


def _rows(items, prefix: str) -> list[list[str]]:
    rows, number = [], 0
    for index, (name, category, basis, department, children) in enumerate(items, start=1):
        number += 1
        rows.append(
            [str(number), f"{prefix}-{index:03d}", name, "", "", category, basis, department]
        )
        for child in children:
            number += 1
            rows.append([str(number), "", "", child, "", category, basis, department])
    return rows


def _load(catalog_list: CatalogList, rows: list[list[str]]) -> None:
    report = list_import(
        actor=None,
        catalog_list=catalog_list,
        data=_csv(rows),
        filename=f"{catalog_list.name}.csv",
        dry_run=False,
    )
    if not report.ok:
        raise RuntimeError(report.errors)


def _new_list(
    region: Region, name: str, kind: str, level: str, code: str, label: str
) -> CatalogList:
    return services.list_create(
        actor=None, name=name, kind=kind, level=level, region=region, code=code, first_label=label
    )


def _publish(catalog_list: CatalogList, document: str, day: dt.date) -> None:
    draft = catalog_list.versions.get(status="draft")
    services.version_publish(actor=None, version=draft, document_number=document, valid_from=day)


def _credit_code(body: str) -> str:
    """A unified social credit code with its GB 32100 check character."""
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return body + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


# Basic-code letters by item type, as the Guang'an data uses them (A 许可, F 确认, G 给付 …).
TYPE_LETTERS = {
    "01": "A",
    "02": "B",
    "03": "C",
    "04": "D",
    "05": "G",
    "06": "J",
    "07": "F",
    "08": "H",
    "09": "E",
    "10": "Z",
    "20": "S",
}


def _shizhong(district: Region) -> None:
    simple = [
        ("duty", "市中区社区两委职责清单", demo_data.SHIZHONG_DUTY, "SZ-ZZ"),
        (
            "assist",
            "市中区社区居委会依法依规协助政府工作事项清单",
            demo_data.SHIZHONG_ASSIST,
            "SZ-XZ",
        ),
        ("certificate", "市中区社区可出具证明事项清单", demo_data.SHIZHONG_CERTIFICATE, "SZ-ZM"),
        ("signboard", "市中区社区准许挂牌清单", demo_data.SHIZHONG_SIGNBOARD, "SZ-GP"),
        ("negative", "市中区社区工作负面清单", demo_data.SHIZHONG_NEGATIVE, "SZ-FM"),
    ]
    lists = {}
    for kind, name, items, prefix in simple:
        catalog_list = _new_list(
            district, name, kind, ListLevel.COMMUNITY, f"511002-{kind}", "2020版"
        )
        # The 2020 versions of the two main lists lacked the last two items, added in 2025.
        _load(catalog_list, _rows(items[:-2] if kind in ("duty", "assist") else items, prefix))
        _publish(catalog_list, "市中府办发〔2020〕18号", dt.date(2020, 3, 1))
        lists[kind] = (catalog_list, items, prefix)

    # The 2025 adjustment: two items added to each, one reworded, two merged, one moved.
    duty, duty_items, duty_prefix = lists["duty"]
    assist, assist_items, assist_prefix = lists["assist"]
    for catalog_list in (duty, assist):
        services.version_start(actor=None, catalog_list=catalog_list, label="2025版")
    for catalog_list, items, prefix in (
        (duty, duty_items, duty_prefix),
        (assist, assist_items, assist_prefix),
    ):
        draft = catalog_list.versions.get(status="draft")
        for index in (len(items) - 1, len(items)):
            name, category, basis, department, _children = items[index - 1]
            services.item_add(
                actor=None,
                version=draft,
                values={
                    "code": f"{prefix}-{index:03d}",
                    "name": name,
                    "category": category,
                    "legal_law": (legal := parse_legal_basis(basis)).law,
                    "legal_article": legal.article,
                    "legal_text": legal.text,
                    "department": department,
                },
                reason="依据2024年区级部门职责调整新增",
            )
    duty_draft = duty.versions.get(status="draft")
    first = duty_draft.items.get(code="SZ-ZZ-004")
    services.item_edit(
        actor=None,
        item=first,
        values={"name": first.name + "（每年至少两次）", "department": "民政局"},
        reason="明确报告频次和指导部门",
    )
    assist_draft = assist.versions.get(status="draft")
    target = assist_draft.items.get(code="SZ-XZ-002")
    services.item_merge(
        actor=None,
        target=target,
        sources=[assist_draft.items.get(code="SZ-XZ-003")],
        reason="特困供养与临时救助由同一窗口受理，合并为一项",
    )
    services.item_move(
        actor=None,
        item=duty_draft.items.get(name="设置专人专岗负责未成年人保护工作"),
        to_list=assist,
        reason="属协助政府工作事项，移入协助清单",
    )
    for catalog_list in (duty, assist):
        _publish(catalog_list, "市中委编〔2025〕7号", dt.date(2025, 1, 1))

    # A draft for next year, for the review office to continue.
    draft = services.version_start(actor=None, catalog_list=duty, label="2027版")
    services.item_add(
        actor=None,
        version=draft,
        values={"name": "组织开展社区居民议事协商", "category": "社区建设"},
        reason="落实城乡社区协商工作要求",
    )


def _yunlong(district: Region) -> None:
    for kind, name, items, prefix in (
        ("duty", "云龙区社区依法履行职责事项清单", demo_data.YUNLONG_DUTY, "YL-LZ"),
        ("assist", "云龙区社区依法协助政府工作事项清单", demo_data.YUNLONG_ASSIST, "YL-XZ"),
    ):
        catalog_list = _new_list(
            district, name, kind, ListLevel.COMMUNITY, f"320303-{kind}", "2024版"
        )
        _load(catalog_list, _rows(items, prefix))
        _publish(catalog_list, "云龙办发〔2024〕21号", dt.date(2024, 6, 1))


def _jiangbei(street: Region) -> None:
    catalog_list = _new_list(
        street,
        f"{street.name}权力清单",
        ListKind.POWER,
        ListLevel.STREET,
        "330205001-power",
        "2024版",
    )
    credit = _credit_code("11330205" + "MB" + "1234567")
    rows = []
    for index, (name, type_code, basis, office) in enumerate(demo_data.JIANGBEI_STREET_POWER, 1):
        basic = f"330{TYPE_LETTERS[type_code]}{index:010d}"
        code = f"{basic}-{street.code}-000-{credit}-1-00"
        rows.append([str(index), code, name, "", type_code, "", basis, office])
    _load(catalog_list, rows)
    _publish(catalog_list, "甬江街〔2024〕3号", dt.date(2024, 3, 1))


def catalog_demo_load() -> None:
    """Create and publish the demo lists; the demo regions must already exist."""
    _shizhong(Region.objects.get(code="511002000000"))
    _yunlong(Region.objects.get(code="320303000000"))
    _jiangbei(Region.objects.get(code="330205001000"))
