"""Applications for the personas: 市中区民政局 asks to place work on two 城东街道 communities."""

import datetime as dt

import pytest
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import Application, ApplicationState, DecisionOutcome, OpinionVerdict
from jianfu.catalog.tests.conftest import duty_list  # noqa: F401  (shared fixture)
from jianfu.org.models import Region

ZHONGGULOU = "511002001001"  # 钟鼓楼社区, where community_officer works
JIANDAOJIE = "511002001002"  # 箭道街社区
CHENGDONG = "511002001000"  # 城东街道, where street_officer works
XILIN = "511002002001"  # 西林社区 (城西街道), where community_officer2 works
PDF = b"%PDF-1.4 test document"

GOOD_VALUES = {
    "title": "高龄津贴申领初审",
    "object_kind": "task",
    "target_level": "community",
    "list_kind": "assist",
    "content": "协助受理辖区 80 周岁以上老人高龄津贴申请，核对户籍与年龄。",
    "service_objects": "辖区 80 周岁以上户籍老人",
    "legal_law": "《四川省老年人权益保障条例》",
    "legal_article": "第二十八条",
    "higher_document_number": "川民发〔2025〕12号",
    "need_statement": "老人就近申领，减少往返区民政局。",
    "work_plan": "每月集中受理一次，区民政局负责审核发放。",
    "funding_source": "区级财政专项",
    "minutes_per_occurrence": 30,
    "occurrences_per_year": 120,
}


def make_application(actor, *, values=None, scope=None) -> Application:
    application = services.application_create(
        actor=actor,
        values={**GOOD_VALUES, **(values or {})},
        scope=scope if scope is not None else [(ZHONGGULOU, 1_000_000), (JIANDAOJIE, 800_000)],
    )
    services.application_attach(
        actor=actor, application=application, kind="work_plan", name="工作方案.pdf", content=PDF
    )
    return application


ALL_CRITERIA = {"legal_basis": True, "higher_requirement": True, "real_need": True}


def advance(personas, application: Application, target: str) -> Application:
    """Walk the application along the usual path until it reaches `target`.

    AWAITING_DECISION is reached after a consultation everyone answered with "agree".
    """
    steps = [
        (ApplicationState.DRAFT, personas.dept_clerk, "send_for_signoff", {}),
        (ApplicationState.AWAITING_SIGNOFF, personas.dept_head, "sign_off", {}),
        (ApplicationState.SUBMITTED, personas.review_officer, "start_review", {}),
        (ApplicationState.IN_REVIEW, personas.review_officer, "accept", {"criteria": ALL_CRITERIA}),
        (ApplicationState.AWAITING_DECISION, personas.group_secretary, "open_consultation", {}),
    ]
    for state, actor, action, fields in steps:
        application.refresh_from_db()
        # "Awaiting decision" means after the consultation, as a decision to admit needs one.
        if application.state == target and target != ApplicationState.AWAITING_DECISION:
            return application
        assert application.state == state, (application.state, state)
        application = services.application_transition(
            actor=actor, application=application, action=action, **fields
        )
    if target == ApplicationState.IN_CONSULTATION:
        return application
    answer_all(personas, application)
    application = services.application_transition(
        actor=personas.group_secretary, application=application, action="close_consultation"
    )
    if target == ApplicationState.AWAITING_DECISION:
        return application
    return decide(personas, application, DecisionOutcome.APPROVE)


def answer_all(personas, application: Application, verdict=OpinionVerdict.AGREE) -> None:
    from jianfu.admission.models import Opinion

    for opinion in Opinion.objects.filter(consultation__application=application):
        opinion.verdict, opinion.answered_at = verdict, timezone.now()
        opinion.save(update_fields=["verdict", "answered_at"])


def decide(personas, application: Application, outcome: str, **fields) -> Application:
    return services.application_transition(
        actor=personas.group_secretary,
        application=application,
        action="decide",
        outcome=outcome,
        meeting_date=fields.pop("meeting_date", timezone.localdate()),
        attendees=fields.pop("attendees", "区委副书记（组长）、区委编办、区民政局、城东街道"),
        minutes=fields.pop("minutes", "会议审议了区民政局的准入申请。"),
        **fields,
    )


@pytest.fixture
def application(personas) -> Application:
    return make_application(personas.dept_clerk)


@pytest.fixture
def community(db):
    return lambda code: Region.objects.get(code=code)


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)
