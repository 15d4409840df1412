"""Demo admissions, built through the real services: applications in every state.

内江市市中区: 区民政局's applications from draft to approved, returned, rejected, withdrawn, a
purchase of services, a provisional (emergency) admission, an expired and a revoked one.
宁波市江北区: seed 003's example, 区人社局 moving window services down to the streets in batches,
with staff, funds, training and guidance.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    Application,
    CommunityCapacity,
    DecisionOutcome,
    Opinion,
    OpinionVerdict,
)
from jianfu.core.models import CalendarDay
from jianfu.org.models import Region, RegionLevel, Unit, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

PDF = b"%PDF-1.4\n% demo document\n"
ALL_CRITERIA = {"legal_basis": True, "higher_requirement": True, "real_need": True}
# Seed 002: a community has about seven workers.
WORKERS_PER_COMMUNITY = 7

# The State Council's 2026 holiday schedule (国办发明电〔2025〕7号): days off and make-up workdays.
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]
WORKDAYS_2026 = [
    ("2026-01-04", "元旦调休"),
    ("2026-02-14", "春节调休"),
    ("2026-02-28", "春节调休"),
    ("2026-05-09", "劳动节调休"),
    ("2026-09-20", "国庆节调休"),
    ("2026-10-10", "国庆节调休"),
]

# Accounts for 宁波市江北区, where seed 003's example takes place.
JIANGBEI_ACCOUNTS = [
    ("jb_clerk", Role.DEPT_CLERK, "江北区人社局"),
    ("jb_head", Role.DEPT_HEAD, "江北区人社局"),
    ("jb_reviewer", Role.REVIEW_OFFICER, "江北区委编办（准入办）"),
    ("jb_secretary", Role.GROUP_SECRETARY, "江北区社区减负工作领导小组办公室"),
    ("jb_street", Role.STREET_OFFICER, "甬江街道办事处"),
    ("jb_street2", Role.STREET_OFFICER, "庄桥街道办事处"),
]

SZQ_COMMUNITIES = ["511002001001", "511002001002"]  # 钟鼓楼社区, 箭道街社区 (城东街道)
SZQ_ALL = [*SZQ_COMMUNITIES, "511002002001", "511002002002"]  # and 西林, 桂湖街 (城西街道)


def _calendar() -> None:
    rows = []
    for first, last, name in HOLIDAYS_2026:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            rows.append(CalendarDay(date=day, is_workday=False, name=name))
            day += dt.timedelta(days=1)
    rows += [
        CalendarDay(date=dt.date.fromisoformat(day), is_workday=True, name=name)
        for day, name in WORKDAYS_2026
    ]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)


def _values(title: str, **extra) -> dict:
    return {
        "title": title,
        "object_kind": "task",
        "target_level": "community",
        "list_kind": "assist",
        "content": extra.pop("content", f"协助区民政局开展{title}相关工作。"),
        "service_objects": extra.pop("service_objects", "辖区居民"),
        "legal_law": extra.pop("legal_law", "《社会救助暂行办法》"),
        "legal_article": extra.pop("legal_article", "第十一条"),
        "higher_document_number": extra.pop("higher_document_number", "川民发〔2025〕35号"),
        "need_statement": extra.pop("need_statement", "群众就近办理，减少往返。"),
        "work_plan": extra.pop("work_plan", "社区受理、登记，区民政局审核办理并统一培训。"),
        "funding_source": "区级财政专项",
        "minutes_per_occurrence": extra.pop("minutes", 30),
        "occurrences_per_year": extra.pop("times", 48),
        **extra,
    }


class _Demo:
    def __init__(self, people: dict[str, User]):
        self.people = people

    def create(self, clerk: str, values: dict, scope) -> Application:
        application = services.application_create(
            actor=self.people[clerk], values=values, scope=scope
        )
        services.application_attach(
            actor=self.people[clerk],
            application=application,
            kind="work_plan",
            name="工作方案.pdf",
            content=PDF,
        )
        return application

    def act(self, who: str, application: Application, action: str, **fields) -> Application:
        return services.application_transition(
            actor=self.people[who], application=application, action=action, **fields
        )

    def to_review(self, application: Application, *, clerk: str, head: str, reviewer: str):
        application = self.act(clerk, application, "send_for_signoff")
        application = self.act(head, application, "sign_off")
        return self.act(reviewer, application, "start_review")

    def consult(self, application: Application, *, secretary: str, answers: dict[str, tuple]):
        application = self.act(secretary, application, "open_consultation")
        for opinion in Opinion.objects.filter(consultation__application=application):
            verdict, text = answers.get(opinion.region_id, (OpinionVerdict.AGREE, ""))
            opinion.verdict, opinion.text = verdict, text
            opinion.answered_at = timezone.now()
            opinion.save(update_fields=["verdict", "text", "answered_at"])
        return application

    def decide(self, application: Application, who: str, outcome: str, **fields):
        return self.act(
            who,
            application,
            "decide",
            outcome=outcome,
            meeting_date=fields.pop("meeting_date", timezone.localdate()),
            attendees=fields.pop(
                "attendees", "区委副书记（领导小组组长）、区委编办、区民政局、区财政局、各街道"
            ),
            minutes=fields.pop("minutes", "联席会议逐项审议准入申请，听取街道社区意见。"),
            **fields,
        )


def admission_demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """Admission demo data; returns the extra login rows (username, role label, unit) to print."""
    _calendar()
    CommunityCapacity.objects.bulk_create(
        CommunityCapacity(community=region, workers=WORKERS_PER_COMMUNITY)
        for region in Region.objects.filter(level=RegionLevel.COMMUNITY)
    )
    people = {u.username: u for u in User.objects.all()}
    units = {u.name: u for u in Unit.objects.filter(district_code="330205000000")}
    rows = []
    for username, role, unit_name in JIANGBEI_ACCOUNTS:
        people[username] = account_create(
            actor=None,
            username=username,
            display_name=f"{Role(role).label}（江北演示）",
            unit=units[unit_name],
            roles=[role],
            password=password,
            granted_by_command=True,
        )
        rows.append((username, str(Role(role).label), unit_name))
    demo = _Demo(people)
    _shizhong(demo)
    _jiangbei(demo)
    return rows


def _shizhong(demo: _Demo) -> None:
    clerk, head, reviewer, secretary = (
        "dept_clerk",
        "dept_head",
        "review_officer",
        "group_secretary",
    )
    funded = [(code, 1_200_000) for code in SZQ_COMMUNITIES]
    path = {"clerk": clerk, "head": head, "reviewer": reviewer}

    # Approved: the disability subsidies, with money for each community.
    approved = demo.create(
        clerk,
        _values(
            "残疾人两项补贴申请受理",
            legal_law="《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
            legal_article="第三条",
            times=60,
        ),
        [(code, 915_000) for code in SZQ_ALL],
    )
    approved = demo.to_review(approved, **path)
    approved = demo.act(reviewer, approved, "accept", criteria=ALL_CRITERIA)
    approved = demo.consult(approved, secretary=secretary, answers={})
    approved = demo.act(secretary, approved, "close_consultation")
    demo.decide(approved, secretary, DecisionOutcome.APPROVE)

    # Approved with conditions after a community disagreed and was answered.
    conditional = demo.create(clerk, _values("高龄津贴申领初审", times=120), funded)
    conditional = demo.to_review(conditional, **path)
    conditional = demo.act(reviewer, conditional, "accept", criteria=ALL_CRITERIA)
    conditional = demo.consult(
        conditional,
        secretary=secretary,
        answers={"511002001002": (OpinionVerdict.DISAGREE, "社区仅 5 名工作人员，月均受理量大。")},
    )
    conditional = demo.act(secretary, conditional, "close_consultation")
    disagreeing = Opinion.objects.get(
        consultation__application=conditional, verdict=OpinionVerdict.DISAGREE
    )
    demo.decide(
        conditional,
        secretary,
        DecisionOutcome.APPROVE_WITH_CONDITIONS,
        conditions="区民政局每季度派员到社区集中办理一次，并开展业务培训。",
        responses={disagreeing.pk: "区民政局派员集中办理，减轻社区日常受理量。"},
    )

    # Expired: last year's admission, never renewed.
    expired = demo.create(clerk, _values("冬季困难群众走访慰问"), funded)
    expired = demo.to_review(expired, **path)
    expired = demo.act(reviewer, expired, "accept", criteria=ALL_CRITERIA)
    expired = demo.consult(expired, secretary=secretary, answers={})
    expired = demo.act(secretary, expired, "close_consultation")
    _as_last_years(demo.decide(expired, secretary, DecisionOutcome.APPROVE).admissions.get())

    # Revoked: residents' satisfaction did not pass half.
    revoked = demo.create(clerk, _values("社区殡葬改革宣传台账", object_kind="ledger"), funded)
    revoked = demo.to_review(revoked, **path)
    revoked = demo.act(reviewer, revoked, "accept", criteria={"real_need": True})
    revoked = demo.consult(revoked, secretary=secretary, answers={})
    revoked = demo.act(secretary, revoked, "close_consultation")
    revoked = demo.decide(revoked, secretary, DecisionOutcome.APPROVE)
    services.admission_change_state(
        actor=demo.people[secretary],
        admission=revoked.admissions.get(),
        move="revoke",
        reason="年度评议群众满意率 41%，不过半数。",
        reference="市中减负〔2026〕5号",
    )

    # Purchase of services instead of a community task.
    purchase = demo.create(
        clerk, _values("社区心理健康服务", need_statement="需要专业社工力量。"), funded
    )
    purchase = demo.to_review(purchase, **path)
    purchase = demo.act(reviewer, purchase, "accept", criteria={"real_need": True})
    purchase = demo.consult(purchase, secretary=secretary, answers={})
    purchase = demo.act(secretary, purchase, "close_consultation")
    year = timezone.localdate().year
    demo.decide(
        purchase,
        secretary,
        DecisionOutcome.PURCHASE_SERVICES,
        purchase={
            "provider": "市中区社会工作服务中心",
            "value_fen": 12_000_000,
            "term_from": dt.date(year, 1, 1),
            "term_until": dt.date(year, 12, 31),
            "deliverables": "每个社区每月驻点服务 4 次，按季度提交服务报告。",
        },
    )

    # Rejected by the joint meeting: a duplicate ledger.
    rejected = demo.create(
        clerk,
        _values("文明城市创建迎检台账", object_kind="ledger", higher_document_number=""),
        funded,
    )
    rejected = demo.to_review(rejected, **path)
    rejected = demo.act(reviewer, rejected, "accept", criteria={"real_need": True})
    demo.decide(
        rejected,
        secretary,
        DecisionOutcome.REJECT,
        minutes="与已准入的电子台账重复，以做台账代替做工作，不予准入。",
    )

    # Awaiting the decision, one community against.
    waiting = demo.create(clerk, _values("低保对象入户调查", times=24), funded)
    waiting = demo.to_review(waiting, **path)
    waiting = demo.act(reviewer, waiting, "accept", criteria=ALL_CRITERIA)
    waiting = demo.consult(
        waiting,
        secretary=secretary,
        answers={"511002001001": (OpinionVerdict.DISAGREE, "入户调查应由区民政局工作人员完成。")},
    )
    demo.act(secretary, waiting, "close_consultation")

    # In consultation: the street and one community have answered, one has not.
    consulting = demo.create(clerk, _values("居家养老服务补贴申请受理"), funded)
    consulting = demo.to_review(consulting, **path)
    consulting = demo.act(reviewer, consulting, "accept", criteria=ALL_CRITERIA)
    consulting = demo.act(secretary, consulting, "open_consultation")
    services.opinion_give(
        actor=demo.people["street_officer"],
        application=consulting,
        region=Region.objects.get(code="511002001000"),
        verdict=OpinionVerdict.AGREE_WITH_CONDITIONS,
        text="经费须在每年 3 月底前拨付到街道统一账户。",
    )

    # In review, overdue: submitted two weeks ago and not yet checked.
    overdue = demo.create(clerk, _values("困难群众救助对象动态核查"), funded)
    overdue = demo.to_review(overdue, **path)
    Application.objects.filter(pk=overdue.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=14),
        stage_due=timezone.localdate() - dt.timedelta(days=5),
    )

    # Returned for supplement.
    returned = demo.create(
        clerk, _values("社区慈善超市运营协助", legal_law="", legal_article=""), funded
    )
    returned = demo.to_review(returned, **path)
    demo.act(reviewer, returned, "return", comment="请补充上级文件原件和经费测算表。")

    # Submitted, awaiting sign-off, draft, withdrawn.
    submitted = demo.create(clerk, _values("临时救助申请受理"), funded)
    demo.act(head, demo.act(clerk, submitted, "send_for_signoff"), "sign_off")
    signoff = demo.create(clerk, _values("社区养老服务需求摸底调查", times=2), funded)
    demo.act(clerk, signoff, "send_for_signoff")
    demo.create(clerk, _values("婚姻登记预约咨询"), [])
    withdrawn = demo.create(clerk, _values("社区老年人能力评估"), funded)
    demo.act(clerk, withdrawn, "withdraw", comment="改由区养老服务指导中心承担。")

    # An emergency: flood checks before a regular application can be approved.
    services.admission_issue_provisional(
        actor=demo.people[secretary],
        department=demo.people[clerk].unit,
        title="汛期危房住户应急排查",
        content="汛期对辖区危房住户逐户排查并登记转移安置情况。",
        target_level="community",
        regions=SZQ_ALL,
        reason="气象部门发布暴雨红色预警，需立即组织排查。",
        days=30,
    )


def _as_last_years(admission: Admission) -> None:
    """Move the admission just issued into last year's register, as history for the demo.

    Services only issue admissions today; this one stands for last winter's work, so it takes
    last year's first number and gives this year's back, keeping both years without gaps.
    """
    year = admission.year - 1
    prefix = admission.number.split("准〔", 1)[0]
    AdmissionCounter.objects.filter(district=admission.district, year=admission.year).update(
        last=F("last") - 1
    )
    AdmissionCounter.objects.create(district=admission.district, year=year, last=1)
    Admission.objects.filter(pk=admission.pk).update(
        year=year,
        sequence=1,
        number=f"{prefix}准〔{year}〕1号",
        valid_from=dt.date(year, 1, 10),
        valid_until=dt.date(year, 3, 31),
    )


def _jiangbei(demo: _Demo) -> None:
    """Seed 003: window services moved to the streets first, in batches, with staff and money."""
    application = demo.create(
        "jb_clerk",
        {
            "title": "人社窗口服务事项下放街道办理（第一批）",
            "object_kind": "task",
            "target_level": "street",
            "list_kind": "devolved",
            "content": "将社会保险参保登记、就业失业登记等群众办事频次高、基层承接要求适中的 12 项"
            "窗口服务事项，下放至街道便民服务中心办理。",
            "service_objects": "辖区参保人员和求职人员",
            "powers": "受理、初审、办结反馈",
            "legal_law": "《中华人民共和国就业促进法》",
            "legal_article": "第三十五条",
            "higher_document_number": "浙政办发〔2018〕7号",
            "higher_document_title": "“最多跑一次”改革向基层延伸的实施意见",
            "need_statement": "群众就近办事，实现“最多跑一次”。",
            "work_plan": "先易后难、分批分次：第一批 12 项，运行半年评估后再下放第二批。",
            "funding_source": "区级财政",
            "staffing_support": "区人社局派驻业务骨干各 1 名，街道配备窗口人员 2 名。",
            "training_support": "上岗前集中培训 3 天，此后每季度业务培训和现场指导。",
            "minutes_per_occurrence": 15,
            "occurrences_per_year": 2400,
        },
        [("330205001000", 15_000_000), ("330205002000", 15_000_000)],
    )
    application = demo.to_review(
        application, clerk="jb_clerk", head="jb_head", reviewer="jb_reviewer"
    )
    application = demo.act("jb_reviewer", application, "accept", criteria=ALL_CRITERIA)
    application = demo.consult(
        application,
        secretary="jb_secretary",
        answers={
            "330205002000": (
                OpinionVerdict.AGREE_WITH_CONDITIONS,
                "须先完成窗口人员培训并开通业务系统权限。",
            )
        },
    )
    application = demo.act("jb_secretary", application, "close_consultation")
    demo.decide(
        application,
        "jb_secretary",
        DecisionOutcome.APPROVE_WITH_CONDITIONS,
        attendees="区委编办、区人社局、区财政局、甬江街道、庄桥街道",
        minutes="联席会议审议：先将群众办事频次高、基层承接要求适中的事项分批分次下放。",
        conditions="区人社局落实人员、经费、培训和业务指导等保障措施；第二批下放须另行申请准入。",
    )
