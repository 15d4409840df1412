import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jianfu.api.pagination import DEFAULT_LIMIT, PageMeta, cursor_page
from jianfu.core.errors import NotFound
from jianfu.org import selectors
from jianfu.org.models import RegionLevel, UnitType

router = Router(tags=["org"])


class RegionOut(Schema):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent_id


class RegionPage(PageMeta):
    items: list[RegionOut]


class RegionFilters(Schema):
    parent: str | None = None
    level: RegionLevel | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/regions", response=RegionPage, summary="区划列表 · Regions in your jurisdiction")
def region_list(request: HttpRequest, filters: Query[RegionFilters]) -> dict:
    regions = selectors.regions_visible_to(
        user=request.auth, parent=filters.parent, level=filters.level
    )
    return cursor_page(regions, key="code", cursor=filters.cursor, limit=filters.limit)


@router.get("/regions/{code}", response=RegionOut, summary="区划 · One region")
def region_detail(request: HttpRequest, code: str):
    region = selectors.region_visible_to(user=request.auth, code=code)
    if region is None:
        raise NotFound()
    return region


class UnitOut(Schema):
    id: int
    name: str
    type: UnitType
    region_code: str | None
    district_code: str
    is_active: bool

    @staticmethod
    def resolve_region_code(obj) -> str | None:
        return obj.region_id


class UnitPage(PageMeta):
    items: list[UnitOut]


class UnitFilters(Schema):
    region: str | None = None
    type: UnitType | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/units", response=UnitPage, summary="单位列表 · Units you may see")
def unit_list(request: HttpRequest, filters: Query[UnitFilters]) -> dict:
    units = selectors.units_visible_to(
        user=request.auth, region=filters.region, unit_type=filters.type
    )
    return cursor_page(units, key="id", cursor=filters.cursor, limit=filters.limit)
