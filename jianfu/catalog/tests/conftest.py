"""Lists for the personas: a published 市中区 duty list and a reviewer from another district."""

import datetime as dt

import pytest

from jianfu.catalog import services
from jianfu.catalog.models import CatalogList, ListKind, ListLevel, ListVersion
from jianfu.org.models import Region, Unit
from jianfu.org.roles import Role
from jianfu.org.services import account_create

DUTY_ITEMS = [
    {
        "code": "SZQ-ZZ-001",
        "name": "召集居民会议，办理本社区居民的公共事务和公益事业",
        "category": "社区建设",
        "legal_law": "《中华人民共和国城市居民委员会组织法》",
        "legal_article": "第三条",
    },
    {
        "code": "SZQ-ZZ-002",
        "name": "调解民间纠纷",
        "category": "社区平安",
        "legal_law": "《中华人民共和国人民调解法》",
        "legal_article": "第八条",
    },
    {
        "code": "SZQ-ZZ-003",
        "name": "协助维护社会治安",
        "category": "社区平安",
        "legal_law": "《中华人民共和国城市居民委员会组织法》",
        "legal_article": "第三条",
        "department": "公安分局",
    },
]


def publish(actor, version: ListVersion, document: str, day: dt.date) -> ListVersion:
    return services.version_publish(
        actor=actor, version=version, document_number=document, valid_from=day
    )


@pytest.fixture
def duty_list(personas) -> CatalogList:
    """市中区 社区依法履行职责事项, "2025版" published on 2025-01-01 with three items."""
    reviewer = personas.review_officer
    catalog_list = services.list_create(
        actor=reviewer,
        name="市中区社区依法履行职责事项清单",
        kind=ListKind.DUTY,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code="511002000000"),
        code="511002-duty",
        first_label="2025版",
    )
    draft = catalog_list.versions.get()
    for values in DUTY_ITEMS:
        services.item_add(actor=reviewer, version=draft, values=values, reason="梳理入单")
    publish(reviewer, draft, "市中委编〔2025〕3号", dt.date(2025, 1, 1))
    return catalog_list


@pytest.fixture
def other_reviewer(personas):
    """The review officer of 徐州市云龙区, another district."""
    return account_create(
        actor=None,
        username="yunlong_reviewer",
        display_name="云龙区初审员",
        unit=Unit.objects.get(name="云龙区委编办（准入办）"),
        roles=[Role.REVIEW_OFFICER],
        password="Persona-Pass-2026",
    )
