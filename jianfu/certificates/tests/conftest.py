"""Certificates for the personas: 市中区's published list of what a community may certify (the
demo lists), 钟鼓楼社区 where community_officer takes requests and community_head approves the
seal, and a resident with a valid ID number."""

from __future__ import annotations

import datetime as dt

import pytest

from jianfu.catalog import services as catalog_services
from jianfu.catalog.demo import catalog_demo_load
from jianfu.catalog.models import CatalogList, Item, ListKind, ListLevel
from jianfu.certificates import services
from jianfu.certificates.models import Certificate, CertificateRequest
from jianfu.certificates.selectors import allowed_items
from jianfu.org.models import Region

DISTRICT = "511002000000"  # 内江市市中区
ZHONGGULOU = "511002001001"  # 钟鼓楼社区 (城东街道): community_officer, community_head
JIANDAOJIE = "511002001002"  # 箭道街社区 (城东街道)
XILIN = "511002002001"  # 西林社区 (城西街道): community_officer2
# Valid GB 11643 numbers (made up: region 511002, a birth date, sequence, check digit).
ID_NUMBER = "511002198001011239"
OTHER_ID_NUMBER = "511002199003070026"
ID_NUMBER_X = "51100219850615100X"
# The allowed type the tests issue: on 市中区社区可出具证明事项清单 (demo lists).
ALLOWED_NAME = "申请继承不动产登记时的关系证明"


def region(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code)


@pytest.fixture
def catalog(personas):
    """The demo lists: 市中区 gets its published certificate list (level community); the
    national banned list (20 items) is there from the migration."""
    catalog_demo_load()


@pytest.fixture
def community(personas) -> Region:
    """钟鼓楼社区."""
    return region(ZHONGGULOU)


@pytest.fixture
def other_community(personas) -> Region:
    """西林社区, another street's community (community_officer2's)."""
    return region(XILIN)


@pytest.fixture
def id_number() -> str:
    return ID_NUMBER


@pytest.fixture
def allowed_item(catalog, community) -> Item:
    """申请继承不动产登记时的关系证明, an item of 市中区's certificate list."""
    return next(item for item in allowed_items(community) if item.name == ALLOWED_NAME)


def request_values(item: Item | None = None, **overrides) -> dict:
    """Everything a complete request records, for `item` (by its key)."""
    values = {
        "item_key": item.key if item is not None else None,
        "resident_name": "王秀英",
        "id_number": ID_NUMBER,
        "resident_phone": "0832-2012345",
        "asking_body": "市中区不动产登记中心",
        "asking_clause": "《不动产登记暂行条例实施细则》第十四条",
        "asking_clause_text": "因继承、受遗赠取得不动产申请登记的，应当提交相关材料。",
        "purpose": "办理继承不动产转移登记",
        "materials_checked": ["居民身份证", "户口簿"],
        "pledged": True,
    }
    values.update(overrides)
    return values


def request_make(actor, community: Region, item: Item | None = None, **overrides):
    return services.certificate_request_create(
        actor=actor, community=community, **request_values(item, **overrides)
    )


@pytest.fixture
def complete_request(personas, community, allowed_item) -> CertificateRequest:
    """A complete request for the allowed type in 钟鼓楼社区, taken by community_officer."""
    return request_make(personas.community_officer, community, allowed_item)


def issue(personas, request: CertificateRequest, **overrides) -> tuple[Certificate, str]:
    """community_officer issues, community_head approves the seal's use."""
    values = {
        "actor": personas.community_officer,
        "request": request,
        "statement": "兹证明王秀英系被继承人王德明之女。",
        "approver": personas.community_head,
        "copies": 2,
        **overrides,
    }
    return services.certificate_issue(**values)


@pytest.fixture
def issued(personas, complete_request) -> tuple[Certificate, str]:
    """The complete request issued: (certificate, verification code)."""
    return issue(personas, complete_request)


@pytest.fixture
def local_banned_list(personas) -> CatalogList:
    """市中区's own additions to the banned list, published: 居住证明 and the list's own
    申请继承不动产登记时的关系证明 (a ban wins over a listing)."""
    reviewer = personas.review_officer
    catalog_list = catalog_services.list_create(
        actor=reviewer,
        name="市中区不应由社区出具证明事项补充清单",
        kind=ListKind.CERTIFICATE_BANNED,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code=DISTRICT),
        code="511002-certificate_banned",
        first_label="2025版",
    )
    draft = catalog_list.versions.get()
    for name in ("居住证明", ALLOWED_NAME):
        catalog_services.item_add(
            actor=reviewer, version=draft, values={"name": name}, reason="区级补充"
        )
    catalog_services.version_publish(
        actor=reviewer,
        version=draft,
        document_number="市中减负〔2025〕2号",
        valid_from=dt.date(2025, 1, 1),
    )
    return catalog_list
