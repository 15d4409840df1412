"""The daily data dump: every public figure, list and admission as one JSON document, and the
figures as one CSV, at stable addresses (/public/dump/latest.json, /public/dump/latest.csv).

It is built from the same selectors as the pages (jianfu.reports.selectors.region_dict and
department_dict are the one machine-readable form of the figures), in a fixed number of queries
however many regions, departments, lists and admissions there are. Its content does not depend
on the reader or the language: names are the records' own, choices are given as their codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jianfu.burden.index import FIGURE_FIELDS
from jianfu.portal import selectors as portal_selectors
from jianfu.reports import selectors

SOURCE = (
    "减负 · 社区减负工作平台公开门户。数据来自各区县社区减负工作领导小组办公室的工作记录，"
    "统计数据每日计算一次（as_of）。 · Jianfu public portal: records of the districts' "
    "leadership-group offices for community burden reduction; figures are computed daily "
    "(as_of)."
)
LICENCE = (
    "政府公开信息，可自由使用，请注明来源。 · Public government information: free to reuse "
    "with attribution."
)
# The columns every CSV row starts with; the figures follow in the order the dicts give them.
CSV_LEADING = (
    "table",
    "year",
    "region.code",
    "region.name",
    "region.level",
    "district.code",
    "district.name",
    "department.id",
    "department.name",
)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def region_rows() -> list[dict[str, Any]]:
    """Every counted region (any level) and year, as region_dict gives them."""
    return [selectors.region_dict(stats) for stats in selectors.all_region_stats()]


def department_rows() -> list[dict[str, Any]]:
    """Every department's record per district and year, as department_dict gives it, with the
    district and year it is for."""
    return [
        {
            "district": {"code": district.code, "name": district.name},
            "year": year,
            **selectors.department_dict(stats),
        }
        for district, year, stats in selectors.all_department_stats()
    ]


def list_rows() -> list[dict[str, Any]]:
    """The published lists: what, whose, which version since when, how many items, where."""
    rows = []
    for lst in portal_selectors.public_lists():
        version_id = lst.current_version_id
        downloads = (
            {
                fmt: reverse(
                    "public_list_export",
                    kwargs={"list_id": lst.pk, "version_id": version_id, "fmt": fmt},
                )
                for fmt in ("csv", "xlsx", "json")
            }
            if version_id
            else {}
        )
        rows.append(
            {
                "id": lst.pk,
                "code": lst.code,
                "name": lst.name,
                "kind": lst.kind,
                "level": lst.level,
                "region": {"code": lst.region.code, "name": lst.region.name}
                if lst.region
                else None,
                "version": lst.current_version_label,
                "document_number": lst.current_document_number or "",
                "valid_from": _iso(lst.current_valid_from),
                "published_at": _iso(lst.current_published_at),
                "item_count": lst.current_item_count or 0,
                "url": reverse("public_list", kwargs={"list_id": lst.pk}),
                "downloads": downloads,
            }
        )
    return rows


def admission_rows(today: dt.date) -> list[dict[str, Any]]:
    """The admissions register's public columns, with each admission's status today."""
    rows = []
    for admission in portal_selectors.public_admissions():
        rows.append(
            {
                "number": admission.number,
                "year": admission.year,
                "district": {"code": admission.district_id, "name": admission.district.name},
                "department": {"id": admission.department_id, "name": admission.department.name},
                "title": admission.title,
                "target_level": admission.target_level,
                "valid_from": _iso(admission.valid_from),
                "valid_until": _iso(admission.valid_until),
                "state": admission.state,
                "status_today": admission.status_on(today),
                "state_reason": admission.state_reason,
                "state_reference": admission.state_reference,
                "provisional": admission.provisional,
                "scope": [
                    {"code": row.region_id, "revoked_on": _iso(row.revoked_on)}
                    for row in admission.scope.all()
                ],
                "verify_url": reverse("verify_admission", kwargs={"number": admission.number}),
            }
        )
    return rows


def dump_document(*, as_of: dt.datetime | None) -> dict[str, Any]:
    """The whole dump as plain data (the JSON file)."""
    now = timezone.now()
    return {
        "generated_at": now.isoformat(),
        "as_of": _iso(as_of),
        "source": SOURCE,
        "licence": LICENCE,
        "documentation": reverse("portal_dump"),
        "regions": region_rows(),
        "departments": department_rows(),
        "lists": list_rows(),
        "admissions": admission_rows(timezone.localdate()),
    }


def dump_json(*, as_of: dt.datetime | None) -> tuple[bytes, str]:
    """The JSON file and its fingerprint: the hash of everything but `generated_at`, so the
    same data gives the same ETag however often it is generated."""
    document = dump_document(as_of=as_of)
    data = {key: value for key, value in document.items() if key != "generated_at"}
    fingerprint = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()
    return json.dumps(document, ensure_ascii=False, indent=1).encode(), fingerprint


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def _flat_region(row: dict[str, Any]) -> dict[str, Any]:
    # A region without baselines has no before-and-after; its columns are left empty rather
    # than missing, so every region row has the same columns.
    empty = dict.fromkeys(FIGURE_FIELDS)
    row = {
        **row,
        "baseline": row["baseline"] or empty,
        "comparable": row["comparable"] or empty,
    }
    flat: dict[str, Any] = {"table": "region"}
    _flatten(row, "", flat)
    return flat


def _flat_department(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {"table": "department"}
    _flatten(row, "", flat)
    return flat


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def dump_csv() -> bytes:
    """The regions' and the departments' figures as one table (a `table` column says which),
    utf-8 with a BOM so Excel and WPS read the Chinese names."""
    flat = [_flat_region(row) for row in region_rows()]
    flat += [_flat_department(row) for row in department_rows()]
    columns = list(CSV_LEADING)
    seen = set(columns)
    for row in flat:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8-sig")
