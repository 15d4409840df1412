"""Tasks for the personas: 市中区民政局 sends work to the communities of 市中区.

The admission fixture admits 民政局's 高龄津贴申领初审 for 钟鼓楼社区 and 箭道街社区 (城东街道)
with money for both; 西林社区 and 桂湖街社区 (城西街道) are outside it.
"""

import datetime as dt

import pytest
from django.utils import timezone

from jianfu.admission.models import Admission, ApplicationState
from jianfu.admission.tests.conftest import (  # noqa: F401  (shared fixtures)
    CHENGDONG,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    advance,
    duty_list,
    make_application,
)
from jianfu.catalog import services as catalog_services
from jianfu.catalog.models import CatalogList, ListKind, ListLevel
from jianfu.catalog.tests.conftest import publish
from jianfu.dispatch import services
from jianfu.org.models import Region

DISTRICT = "511002000000"  # 市中区
CHENGXI = "511002002000"  # 城西街道
GUIHUJIE = "511002002002"  # 桂湖街社区


def task_values(**overrides):
    return {
        "title": "高龄津贴申领材料收集",
        "content": "收集辖区 80 周岁以上老人的高龄津贴申领材料，核对户籍与年龄后报区民政局。",
        "deadline": timezone.localdate() + dt.timedelta(days=20),
        "outputs": [{"kind": "form", "name": "高龄津贴申领汇总表"}],
        **overrides,
    }


def dispatch(actor, *, recipients, admission_number="", duty_item="", level="community", **values):
    return services.task_dispatch(
        actor=actor,
        values=task_values(**values),
        recipients=recipients,
        level=level,
        admission_number=admission_number,
        duty_item=duty_item,
    )


@pytest.fixture
def admission(personas) -> Admission:
    application = advance(
        personas, make_application(personas.dept_clerk), ApplicationState.APPROVED
    )
    return application.admissions.get()


@pytest.fixture
def negative_list(personas) -> CatalogList:
    """市中区 社区工作负面清单 with 招商引资、项目引进等经济指标任务 and 协税护税, published."""
    reviewer = personas.review_officer
    catalog_list = catalog_services.list_create(
        actor=reviewer,
        name="市中区社区工作事项负面清单",
        kind=ListKind.NEGATIVE,
        level=ListLevel.COMMUNITY,
        region=Region.objects.get(code=DISTRICT),
        code="511002-negative",
        first_label="2025版",
    )
    draft = catalog_list.versions.get()
    for name in ("招商引资、项目引进等经济指标任务", "协税护税"):
        catalog_services.item_add(
            actor=reviewer, version=draft, values={"name": name}, reason="入单"
        )
    publish(reviewer, draft, "市中减负〔2025〕1号", dt.date(2025, 1, 1))
    return catalog_list
