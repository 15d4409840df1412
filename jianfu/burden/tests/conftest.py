"""Burden inventories for the personas: 钟鼓楼社区 (community_officer, 城东街道) and 西林社区
(community_officer2, 城西街道) of 内江市市中区; an admission of 市中区民政局 in force all of 2026;
市中区's published lists of duties (a heading with two items under it, and one item alone) and
of the signboards a community may hang.

Days are fixed in 2026 (ON is the day the figures are counted), so the figures do not depend
on when the tests run, as long as it is after them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jianfu.admission.models import Admission
from jianfu.burden import services
from jianfu.burden.models import EntryKind, InventoryEntry, LedgerMedium
from jianfu.catalog import services as catalog_services
from jianfu.catalog.demo import catalog_demo_load
from jianfu.catalog.models import CatalogList, ListKind, ListLevel
from jianfu.funds.tests.conftest import admission_row, budget  # noqa: F401  (shared fixture)
from jianfu.org.models import Region

DISTRICT = "511002000000"  # 内江市市中区
CHENGDONG = "511002001000"  # 城东街道: street_officer
ZHONGGULOU = "511002001001"  # 钟鼓楼社区: community_officer
JIANDAOJIE = "511002001002"  # 箭道街社区
CHENGXI = "511002002000"  # 城西街道: street_officer2
XILIN = "511002002001"  # 西林社区: community_officer2
GUIHUJIE = "511002002002"  # 桂湖街社区
# The day the figures are counted, and days around it.
ON = dt.date(2026, 6, 30)
SINCE = dt.date(2026, 3, 1)
# The admission's yearly hours in each community it covers (30 minutes × 120 times).
HOURS = 60.0


def region(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code)


@pytest.fixture
def community(personas) -> Region:
    """钟鼓楼社区."""
    return region(ZHONGGULOU)


@pytest.fixture
def other_community(personas) -> Region:
    """西林社区, another street's community."""
    return region(XILIN)


@pytest.fixture
def catalog(personas):
    """The demo lists of 市中区 (duties, assistance, certificates, signboards)."""
    catalog_demo_load()


@pytest.fixture
def admitted(personas) -> Admission:
    """高龄津贴协助, admitted for 钟鼓楼社区 (10,000 yuan a year) and 箭道街社区 (8,000 yuan),
    in force all of 2026, 60 hours a year in each."""
    admission = admission_row(
        personas, scope={ZHONGGULOU: 1_000_000, JIANDAOJIE: 800_000}, title="高龄津贴协助"
    )
    admission.hours_per_community = HOURS
    admission.save(update_fields=["hours_per_community"])
    return admission


def list_publish(actor, *, name: str, kind: str, code: str, items, level=ListLevel.COMMUNITY):
    """A 市中区 list with `items` (a name, or (heading, [names under it])), published
    2025-01-01."""
    catalog_list = catalog_services.list_create(
        actor=actor,
        name=name,
        kind=kind,
        level=level,
        region=Region.objects.get(code=DISTRICT),
        code=code,
        first_label="2025版",
    )
    draft = catalog_list.versions.get()
    for entry in items:
        heading, children = (entry, []) if isinstance(entry, str) else entry
        parent = catalog_services.item_add(
            actor=actor, version=draft, values={"name": heading}, reason="梳理入单"
        )
        for child in children:
            catalog_services.item_add(
                actor=actor, version=draft, values={"name": child}, reason="梳理入单", parent=parent
            )
    catalog_services.version_publish(
        actor=actor,
        version=draft,
        document_number="市中委编〔2025〕3号",
        valid_from=dt.date(2025, 1, 1),
    )
    return catalog_list


@pytest.fixture
def duty_list(personas) -> CatalogList:
    """市中区's community duties: 社区建设 (a heading over two duties) and 调解民间纠纷 — three
    duties in all."""
    return list_publish(
        personas.review_officer,
        name="市中区社区依法履行职责事项清单",
        kind=ListKind.DUTY,
        code="511002-duty",
        items=[("社区建设", ["召集居民会议", "办理公共事务和公益事业"]), "调解民间纠纷"],
    )


@pytest.fixture
def signboard_list(personas) -> CatalogList:
    """The signboards a 市中区 community may hang."""
    return list_publish(
        personas.review_officer,
        name="市中区社区准许挂牌清单",
        kind=ListKind.SIGNBOARD,
        code="511002-signboard",
        items=["社区党组织", "社区居民委员会", "社区党群服务中心", "社区新时代文明实践站"],
    )


DEFAULTS = {
    EntryKind.SIGNBOARD: {"name": "平安社区创建示范点"},
    EntryKind.LEDGER: {"name": "计生台账", "medium": LedgerMedium.PAPER},
    EntryKind.CAMPAIGN: {"name": "文明社区评比"},
    EntryKind.SYSTEM: {"name": "社区网格化管理系统"},
}


def entry(actor, community: Region, kind: str, **values) -> InventoryEntry:
    """An entry of `kind` through the service, since SINCE unless `values` say otherwise."""
    return services.inventory_entry_create(
        actor=actor, community=community, kind=kind, **{**DEFAULTS[kind], "since": SINCE, **values}
    )
