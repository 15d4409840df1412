"""Reference lists that every installation carries, read from the public sources shipped with it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

BANNED_CERTIFICATES_FILE = "national_2020_not_issued_by_grassroots_certificates_batch1.csv"
BANNED_CERTIFICATES_CODE = "CN-certificate_banned-2020"
BANNED_CERTIFICATES_NAME = "不应由基层群众性自治组织出具证明事项清单（第一批）"
BANNED_CERTIFICATES_DOCUMENT = "民发〔2020〕20号"
BANNED_CERTIFICATES_DATE = dt.date(2020, 4, 28)
BANNED_CERTIFICATES_BASIS = "《关于改进和规范基层群众性自治组织出具证明工作的指导意见》"


def banned_certificates() -> list[tuple[int, str]]:
    """(序号, name) of the 20 certificates communities must not issue (民发〔2020〕20号)."""
    with (REFERENCE_DIR / BANNED_CERTIFICATES_FILE).open(encoding="utf-8") as handle:
        return [(int(row["seq"]), row["item_name"]) for row in csv.DictReader(handle)]


def item_type_vocabulary() -> list[tuple[str, str]]:
    """(code, name) pairs of the national item-type vocabulary as shipped."""
    with (REFERENCE_DIR / "item_type_vocabulary_power_list.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = []
    for row in rows:
        code = row["notes"].split("code=", 1)[1][:2]
        pairs.append((code, row["item_name"]))
    return pairs
