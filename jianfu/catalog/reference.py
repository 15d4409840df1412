"""Reference lists that every installation carries, read from the public sources shipped with it."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path

from django.utils import timezone

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


def banned_certificates_load(apps, using: str) -> None:
    """Write the national list as a published catalog list into the database `using`, with
    `apps`' models: a migration's historical ones, or the app registry's when a flush has
    emptied the tables (jianfu.core.apps)."""
    CatalogList = apps.get_model("catalog", "CatalogList")
    ListVersion = apps.get_model("catalog", "ListVersion")
    Item = apps.get_model("catalog", "Item")
    catalog_list = CatalogList.objects.using(using).create(
        code=BANNED_CERTIFICATES_CODE,
        name=BANNED_CERTIFICATES_NAME,
        kind="certificate_banned",
        level="community",
        region=None,
        description="民政部 国家发展改革委 公安部 司法部 人力资源社会保障部 国家卫生健康委，经国务院同意。",
    )
    version = ListVersion.objects.using(using).create(list=catalog_list, label="2020版")
    Item.objects.using(using).bulk_create(
        Item(
            version=version,
            key=uuid.uuid5(uuid.NAMESPACE_URL, f"jianfu:certificate_banned:2020:{seq}"),
            name=name,
            legal_law=BANNED_CERTIFICATES_BASIS,
            position=seq,
        )
        for seq, name in banned_certificates()
    )
    # Items go into a draft, which is then published: the database refuses to add items
    # to a published version.
    version.status = "published"
    version.document_number = BANNED_CERTIFICATES_DOCUMENT
    version.valid_from = BANNED_CERTIFICATES_DATE
    version.published_at = timezone.now()
    version.save(using=using)
