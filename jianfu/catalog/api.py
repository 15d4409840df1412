import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jianfu.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PageMeta,
    cursor_page,
    integer_cursor_after,
    page_of,
)
from jianfu.catalog import selectors, services
from jianfu.catalog.jobs import list_import_start
from jianfu.catalog.models import CatalogList, ListKind, ListLevel, ListVersion, VersionStatus
from jianfu.core.errors import InvalidInput, NotFound
from jianfu.core.models import BackgroundJob
from jianfu.org.selectors import region_visible_to

router = Router(tags=["catalog"])


class VersionOut(Schema):
    id: int
    label: str
    status: VersionStatus
    document_number: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    published_at: dt.datetime | None


class ListOut(Schema):
    id: int
    code: str
    name: str
    kind: ListKind
    level: ListLevel
    region_code: str | None
    current_version_id: int | None
    current_version_label: str | None

    @staticmethod
    def resolve_region_code(obj) -> str | None:
        return obj.region_id

    @staticmethod
    def resolve_current_version_id(obj) -> int | None:
        return getattr(obj, "current_version_id", None)

    @staticmethod
    def resolve_current_version_label(obj) -> str | None:
        return getattr(obj, "current_version_label", None)


class ListPage(PageMeta):
    items: list[ListOut]


class ListFilters(Schema):
    kind: ListKind | None = None
    level: ListLevel | None = None
    region: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _list_or_404(request: HttpRequest, ref: str) -> CatalogList:
    found = selectors.list_visible_to(user=request.auth, ref=ref)
    if found is None:
        raise NotFound()
    return found


@router.get("/lists", response=ListPage, summary="清单 · Lists you may read")
def list_index(request: HttpRequest, filters: Query[ListFilters]) -> dict:
    lists = selectors.lists_visible_to(
        user=request.auth, kind=filters.kind, level=filters.level, region=filters.region
    )
    return cursor_page(
        selectors.with_current_version(lists), key="id", cursor=filters.cursor, limit=filters.limit
    )


@router.get("/lists/{ref}", response=ListOut, summary="清单 · One list, by id or code")
def list_detail(request: HttpRequest, ref: str):
    catalog_list = _list_or_404(request, ref)
    return selectors.with_current_version(CatalogList.objects.filter(pk=catalog_list.pk)).get()


class ListCreateIn(Schema):
    name: str
    kind: ListKind
    level: ListLevel
    region: str | None = None
    code: str = ""
    code_pattern: str = ""
    description: str = ""
    first_version_label: str = ""


@router.post("/lists", response={201: ListOut}, summary="新建清单 · Create a list")
def list_create(request: HttpRequest, body: ListCreateIn):
    region = None
    if body.region:
        region = region_visible_to(user=request.auth, code=body.region)
        if region is None:
            raise InvalidInput(
                _("该区划不存在，或不在您的管辖范围内。"), details={"field": "region"}
            )
    created = services.list_create(
        actor=request.auth,
        name=body.name,
        kind=body.kind,
        level=body.level,
        region=region,
        code=body.code,
        code_pattern=body.code_pattern,
        description=body.description,
        first_label=body.first_version_label,
    )
    return Status(
        201, selectors.with_current_version(CatalogList.objects.filter(pk=created.pk)).get()
    )


@router.get(
    "/lists/{ref}/versions", response=list[VersionOut], summary="清单版本 · Versions of a list"
)
def list_versions(request: HttpRequest, ref: str):
    catalog_list = _list_or_404(request, ref)
    return list(selectors.versions_visible_to(user=request.auth, catalog_list=catalog_list))


class ItemOut(Schema):
    id: int
    key: uuid.UUID
    code: str
    name: str
    category: str
    power_type: str
    legal_law: str
    legal_article: str
    legal_text: str
    department: str
    parent_key: uuid.UUID | None
    position: int
    remarks: str


ITEM_FIELDS = tuple(ItemOut.model_fields)


class ItemPage(PageMeta):
    version: VersionOut
    items: list[ItemOut]


class ItemFilters(Schema):
    version: str | None = None
    as_of: dt.date | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _version_or_404(request, catalog_list, ref: str | None, as_of: dt.date | None = None):
    if as_of is not None:
        version = selectors.version_as_of(catalog_list=catalog_list, day=as_of)
    else:
        version = selectors.version_visible_to(
            user=request.auth, catalog_list=catalog_list, ref=ref or "current"
        )
    if version is None:
        raise NotFound()
    return version


@router.get(
    "/lists/{ref}/items",
    response=ItemPage,
    summary="清单事项 · Items of a version (current by default, or as of a date)",
)
def list_items(request: HttpRequest, ref: str, filters: Query[ItemFilters]) -> dict:
    if filters.version is None and filters.as_of is None:
        # The current version, as nearly every call asks: the version (the list's visibility
        # checked in the same statement) and the page of its items in two fixed statements,
        # rendered without building a model or validating through ninja for each row
        # (test_api_items_rows_match_the_schema keeps them equal to ItemPage's).
        version = selectors.current_version_row(user=request.auth, list_ref=ref)
        if version is None:
            raise NotFound()
        after = integer_cursor_after(filters.cursor, limit=filters.limit)
        rows = selectors.version_items_after(
            version_id=version["id"], after=after, count=filters.limit + 1
        )
        page = page_of(rows, key="id", limit=filters.limit)
        # UUIDs as the text the JSON encoder writes for them, without its fallback for each.
        for row in page["items"]:
            row["key"] = str(row["key"])
            if row["parent_key"] is not None:
                row["parent_key"] = str(row["parent_key"])
    else:
        catalog_list = _list_or_404(request, ref)
        found_version = _version_or_404(request, catalog_list, filters.version, filters.as_of)
        page = cursor_page(
            found_version.items.values(*ITEM_FIELDS),
            key="id",
            cursor=filters.cursor,
            limit=filters.limit,
        )
        version = {field: getattr(found_version, field) for field in VersionOut.model_fields}
    body = {"next_cursor": page["next_cursor"], "version": version, "items": page["items"]}
    # Imported here: the API module imports this router.
    from jianfu.api.api import api

    return api.create_response(request, body, status=200)


class FieldChange(Schema):
    before: Any
    after: Any


class ModifiedItem(Schema):
    key: str
    name: str
    fields: dict[str, FieldChange]


class DiffEntry(Schema):
    key: str
    name: str
    code: str
    how: str | None
    other: list[str]


class DiffOut(Schema):
    from_version: VersionOut
    to_version: VersionOut
    counts: dict[str, int]
    added: list[DiffEntry]
    removed: list[DiffEntry]
    modified: list[ModifiedItem]


def diff_document(before: ListVersion, after: ListVersion) -> dict:
    diff = selectors.version_diff(before=before, after=after)

    def entries(snapshot: dict) -> list[dict]:
        return [
            {
                "key": key,
                "name": values["name"],
                "code": values["code"],
                "how": diff.explained.get(key, (None, []))[0],
                "other": diff.explained.get(key, (None, []))[1],
            }
            for key, values in snapshot.items()
        ]

    after_names = selectors.version_snapshot(after)
    return {
        "from_version": before,
        "to_version": after,
        "counts": diff.counts(),
        "added": entries(diff.added),
        "removed": entries(diff.removed),
        "modified": [
            {
                "key": key,
                "name": after_names[key]["name"],
                "fields": {f: {"before": b, "after": a} for f, (b, a) in changed.items()},
            }
            for key, changed in diff.modified.items()
        ],
    }


@router.get(
    "/lists/{ref}/diff",
    response=DiffOut,
    summary="版本比较 · What changed between two versions",
)
def list_diff(request: HttpRequest, ref: str, from_: str = Query(..., alias="from"), to: str = ""):
    catalog_list = _list_or_404(request, ref)
    before = _version_or_404(request, catalog_list, from_)
    after = _version_or_404(request, catalog_list, to or "current")
    return diff_document(before, after)


class SearchHit(ItemOut):
    list_id: int
    list_name: str
    version_label: str

    @staticmethod
    def resolve_list_id(obj) -> int:
        return obj.version.list_id

    @staticmethod
    def resolve_list_name(obj) -> str:
        return obj.version.list.name

    @staticmethod
    def resolve_version_label(obj) -> str:
        return obj.version.label


class SearchFilters(Schema):
    q: str = ""
    list: int | None = None
    kind: ListKind | None = None
    power_type: str | None = None
    department: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/items", response=list[SearchHit], summary="事项检索 · Search items across your lists")
def item_search(request: HttpRequest, filters: Query[SearchFilters]):
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise InvalidInput(
            _("每页条数应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    return list(
        selectors.items_search(
            user=request.auth,
            query=filters.q,
            list_id=filters.list,
            kind=filters.kind,
            power_type=filters.power_type,
            department=filters.department,
        )[: filters.limit]
    )


class ImportOut(Schema):
    id: uuid.UUID
    status: str
    dry_run: bool
    done: int
    total: int
    percent: int
    result: dict

    @staticmethod
    def resolve_dry_run(obj) -> bool:
        return bool(obj.options.get("dry_run"))


@router.post(
    "/lists/{ref}/imports",
    response={202: ImportOut},
    summary="导入清单 · Import a spreadsheet into the list's draft (dry run by default)",
)
def list_import(
    request: HttpRequest,
    ref: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
):
    catalog_list = _list_or_404(request, ref)
    job = list_import_start(
        actor=request.auth,
        catalog_list=catalog_list,
        data=file.read(),
        filename=file.name or "upload.csv",
        dry_run=dry_run,
    )
    job.refresh_from_db()
    return Status(202, job)


@router.get("/imports/{job_id}", response=ImportOut, summary="导入进度 · An import's status")
def import_detail(request: HttpRequest, job_id: uuid.UUID):
    return get_object_or_404(BackgroundJob, pk=job_id, owner=request.auth, kind="list_import")
