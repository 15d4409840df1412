"""Admissions (准入) as the register holds them after the workflow ran: each district's settings
and its communities' capacity, the departments' applications from draft to the joint meeting's
decision (every step an event, the consultation with the opinions of the streets and
communities in scope), the admissions they issued with numbers sequential per district and
year, their scope and money per community, and a few applications still under way, rejected or
withdrawn.

Admissions of this year and the two before; most in force, a few revoked after the annual
evaluation or suspended, last years' past their term (which the app reads as expired).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    AdmissionScope,
    AdmissionSettings,
    AdmissionState,
    Application,
    ApplicationEvent,
    ApplicationScope,
    ApplicationState,
    CommunityCapacity,
    Consultation,
    Decision,
    DecisionOutcome,
    ObjectKind,
    Opinion,
    OpinionVerdict,
    TargetLevel,
)
from jianfu.gendata.catalog import DOMAINS, LAWS
from jianfu.gendata.context import AdmissionRow, Context, RegionRow
from jianfu.org.roles import Role

S = ApplicationState
ALL_CRITERIA = {"legal_basis": True, "higher_requirement": True, "real_need": True}
WORK = ["专项工作", "入户走访", "信息核查", "台账填报", "数据统计报送", "宣传动员", "排查整治"]
HIGHER_DOCUMENTS = [
    ("川民发〔{y}〕{n}号", "关于进一步做好{d}工作的通知"),
    ("川办发〔{y}〕{n}号", "关于加强{d}工作的实施意见"),
    ("民发〔{y}〕{n}号", "关于推进{d}服务体系建设的指导意见"),
]
OPINION_TEXTS = {
    OpinionVerdict.AGREE: "",
    OpinionVerdict.AGREE_WITH_CONDITIONS: "同意，但请明确经费拨付时间并提供业务培训。",
    OpinionVerdict.DISAGREE: "社区工作者人手不足，建议由部门派员或购买服务承担。",
}
# How the scopes are shaped: a whole district, one street's communities, or a few (1 to
# FEW_MOST) communities of a street. Mostly narrow, about eight communities per admission on
# average: so the figures hold together, a province's million ledger postings paying
# the current year's commitments and its ten million ballots giving each target of a finished
# evaluation about 40 (docs/scale.md).
# The big tables' columns, in the order the rows below give them (ids from the sequence).
SCOPE = ("region_id", "funding_fen", "revoked_on", "revoked_reason", "revoked_reference")
ADMISSION_SCOPE_COLUMNS = ("admission_id", *SCOPE)
APPLICATION_SCOPE_COLUMNS = ("application_id", *SCOPE)
OPINION_COLUMNS = (
    "consultation_id",
    "region_id",
    "verdict",
    "text",
    "author_id",
    "answered_at",
    "response",
)
EVENT_COLUMNS = (
    "application_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_unit",
    "comment",
    "data",
    "created_at",
)
SCOPE_SHAPES = (("district", 0.005), ("street", 0.15), ("few", 0.845))
FEW_MOST = 6


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def generate(ctx: Context) -> None:
    rng = ctx.rng("admission")
    today = ctx.today
    years = [ctx.year - 2, ctx.year - 1, ctx.year]
    reviewer = dict(
        zip((d.code for d in ctx.districts), ctx.users[Role.REVIEW_OFFICER], strict=True)
    )
    secretary = dict(
        zip((d.code for d in ctx.districts), ctx.users[Role.GROUP_SECRETARY], strict=True)
    )
    clerk = dict(zip((d.id for d in ctx.departments), ctx.users[Role.DEPT_CLERK], strict=True))
    head = dict(zip((d.id for d in ctx.departments), ctx.users[Role.DEPT_HEAD], strict=True))
    unit_name = {unit.id: unit.name for unit in ctx.departments}
    offices = {code: units for code, units in ctx.district_offices.items()}
    departments_in: dict[str, list] = defaultdict(list)
    for department in ctx.departments:
        departments_in[department.district_code].append(department)
    streets_in: dict[str, list[RegionRow]] = defaultdict(list)
    for street in ctx.streets:
        streets_in[street.district_code].append(street)
    communities_in: dict[str, list[str]] = defaultdict(list)  # district or street -> codes
    for community in ctx.communities:
        communities_in[community.district_code].append(community.code)
        communities_in[community.parent_code].append(community.code)

    # Settings and capacity ----------------------------------------------------------------------
    prefixes = {}
    for district in ctx.districts:
        prefix = district.name[:-1] if district.name[-1:] in "区县市旗" else district.name
        prefixes[district.code] = prefix if prefix not in prefixes.values() else district.name
    ctx.insert(
        AdmissionSettings,
        (
            {"district_id": district.code, "number_prefix": prefixes[district.code]}
            for district in ctx.districts
        ),
    )
    # Seed 002: a community has six or seven workers.
    ctx.insert(
        CommunityCapacity,
        ({"community_id": c.code, "workers": rng.randint(5, 9)} for c in ctx.communities),
    )

    # Admissions, decided before anything is written ----------------------------------------------
    # More admissions where there are more communities (largest remainders).
    weights = [len(communities_in[d.code]) for d in ctx.districts]
    shares = [ctx.scale.admissions * w / sum(weights) for w in weights]
    per_district = [int(share) for share in shares]
    behind = sorted(range(len(shares)), key=lambda i: per_district[i] - shares[i])
    for i in behind[: ctx.scale.admissions - sum(per_district)]:
        per_district[i] += 1
    plans = []  # (district, department, valid_from, valid_until, state, codes, fen, item)
    for district, count in zip(ctx.districts, per_district, strict=True):
        departments = departments_in[district.code]
        streets = streets_in[district.code]
        assist = ctx.published_items.get(district.code, {}).get("assist")
        for _n in range(count):
            year = rng.choices(years, weights=(15, 30, 55))[0]
            first = dt.date(year, 1, 10)
            last = min(dt.date(year, 11, 30), today - dt.timedelta(days=1))
            if last < first:  # early in the year: this year's first admissions are days old
                first = last = max(dt.date(year, 1, 1), today - dt.timedelta(days=1))
            valid_from = _day_between(rng, first, last)
            valid_until = dt.date(year + (rng.random() < 0.1), 12, 31)
            state = AdmissionState.ACTIVE
            if year >= ctx.year - 1:
                roll = rng.random()
                state = (
                    AdmissionState.REVOKED
                    if roll < 0.03
                    else AdmissionState.SUSPENDED
                    if roll < 0.04
                    else AdmissionState.ACTIVE
                )
            shape = rng.choices([s for s, _w in SCOPE_SHAPES], [w for _s, w in SCOPE_SHAPES])[0]
            if shape == "district":
                codes = communities_in[district.code]
            elif shape == "street":
                codes = communities_in[rng.choice(streets).code]
            else:
                pool = communities_in[rng.choice(streets).code]
                codes = sorted(rng.sample(pool, min(len(pool), rng.randint(1, FEW_MOST))))
            item = rng.choice(assist[1]) if assist and assist[1] and rng.random() < 0.7 else None
            plans.append(
                (
                    district,
                    rng.choice(departments),
                    valid_from,
                    valid_until,
                    state,
                    tuple(codes),
                    rng.randrange(20, 201) * 10_000,
                    (assist[0], *item) if item else None,
                )
            )
    # Numbers are issued in order of the meeting day, gaplessly per district and year.
    plans.sort(key=lambda p: (p[0].code, p[2].year, p[2]))
    admission_ids = ctx.ids(Admission, len(plans))
    application_ids = ctx.ids(Application, len(plans))
    decision_ids = ctx.ids(Decision, len(plans))
    consultation_ids = ctx.ids(Consultation, len(plans))
    counters: dict[tuple[str, int], int] = {}
    admissions, applications, decisions, consultations = [], [], [], []
    # The big ones go to the database a chunk at a time.
    admission_scope = ctx.writer(AdmissionScope, columns=ADMISSION_SCOPE_COLUMNS)
    application_scope = ctx.writer(ApplicationScope, columns=APPLICATION_SCOPE_COLUMNS)
    opinions = ctx.writer(Opinion, columns=OPINION_COLUMNS)
    events = ctx.writer(ApplicationEvent, columns=EVENT_COLUMNS)
    for index, plan in enumerate(plans):
        district, department, valid_from, valid_until, state, codes, fen, item = plan
        key = (district.code, valid_from.year)
        sequence = counters[key] = counters.get(key, 0) + 1
        number = f"{prefixes[district.code]}准〔{valid_from.year}〕{sequence}号"
        admission_id, application_id = admission_ids[index], application_ids[index]
        domain = rng.choice(DOMAINS)
        title = item[2] if item else f"{domain}{rng.choice(WORK)}"
        minutes, occurrences = rng.choice((30, 60, 90, 120, 240)), rng.choice((4, 12, 24, 52))
        law, article = rng.choice(LAWS)
        document, document_title = rng.choice(HIGHER_DOCUMENTS)
        conditions = "经费须于每年3月底前拨付到社区，并提供业务培训。" if rng.random() < 0.1 else ""
        meeting = valid_from
        staff = (clerk[department.id], head[department.id], reviewer[district.code])
        group = secretary[district.code]
        common = {
            "district_id": district.code,
            "department_id": department.id,
            "title": title,
            "object_kind": ObjectKind.TASK,
            "target_level": TargetLevel.COMMUNITY,
            "list_kind": "assist",
            "content": f"由社区协助开展{title}，部门负责业务指导和结果使用。",
            "service_objects": "辖区居民",
            "powers": "入户了解情况、收集和报送有关材料",
            "funding_source": f"{unit_name[department.id]}部门预算",
            "catalog_list_id": item[0] if item else None,
            "item_key": item[1] if item else None,
        }
        applications.append(
            {
                "id": application_id,
                **common,
                "reference": f"SQ{district.code[:6]}-{meeting - dt.timedelta(days=30):%Y%m%d}"
                f"-{rng.getrandbits(24):06X}",
                "created_by_id": staff[0],
                "state": S.APPROVED,
                "term_from": valid_from,
                "term_until": valid_until,
                "legal_law": law,
                "legal_article": article,
                "higher_document_number": document.format(
                    y=valid_from.year - 1, n=rng.randint(1, 90)
                ),
                "higher_document_title": document_title.format(d=domain),
                "need_statement": f"辖区{domain}对象底数需要及时掌握，部门力量难以覆盖到户。",
                "work_plan": "按季度组织实施，部门提供表格和培训，社区按要求报送。",
                "staffing_support": "部门指定专人联系社区，不增加社区工作人员负担。",
                "training_support": "每年组织一次业务培训。",
                "minutes_per_occurrence": minutes,
                "occurrences_per_year": occurrences,
                "ledger_books": rng.choice((0, 0, 1, 2)),
                "submitted_at": ctx.at(meeting - dt.timedelta(days=27), 600),
                "stage_due": None,
                "decision_due": meeting + dt.timedelta(days=3),
                "criteria": ALL_CRITERIA,
                "created_at": ctx.at(meeting - dt.timedelta(days=30), 560),
                "updated_at": ctx.at(meeting, 900),
            }
        )
        issued_at = ctx.at(meeting, 900)
        revoked = state == AdmissionState.REVOKED
        admissions.append(
            {
                "id": admission_id,
                **common,
                "number": number,
                "year": valid_from.year,
                "sequence": sequence,
                "application_id": application_id,
                "conditions": conditions,
                "hours_per_community": minutes * occurrences / 60,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "state": state,
                "state_reason": "年度评议群众满意率未过半数，予以撤销。"
                if revoked
                else "经费未按协议拨付到位，暂停执行。"
                if state == AdmissionState.SUSPENDED
                else "",
                "state_reference": f"{prefixes[district.code]}减负〔{ctx.year}〕{rng.randint(1, 30)}号"
                if state != AdmissionState.ACTIVE
                else "",
                "issued_by_id": group,
                "issued_at": issued_at,
            }
        )
        decisions.append(
            {
                "id": decision_ids[index],
                "application_id": application_id,
                "outcome": DecisionOutcome.APPROVE_WITH_CONDITIONS
                if conditions
                else DecisionOutcome.APPROVE,
                "meeting_date": meeting,
                "attendees": "区社区减负工作领导小组成员单位",
                "minutes": f"会议审议{unit_name[department.id]}“{title}”准入申请，同意准入。",
                "conditions": conditions,
                "decided_by_id": group,
                "decided_at": issued_at,
            }
        )
        consultation_id = consultation_ids[index]
        opened = ctx.at(meeting - dt.timedelta(days=23), 600)
        deadline = meeting - dt.timedelta(days=9)
        consultations.append(
            {
                "id": consultation_id,
                "application_id": application_id,
                "opened_by_id": group,
                "opened_at": opened,
                "deadline": deadline,
                "closed_at": ctx.at(meeting - dt.timedelta(days=8), 600),
            }
        )
        for code in codes:
            application_scope.add((application_id, code, fen, None, "", ""))
            admission_scope.add((admission_id, code, fen, None, "", ""))
        invited = sorted({*codes, *(code[:9] + "000" for code in codes)})
        answered_at = ctx.at(meeting - dt.timedelta(days=15), 630)
        opinion_events = []
        for code in invited:
            if rng.random() < 0.3:
                opinions.add((consultation_id, code, "", "", None, None, ""))
                continue
            verdict = rng.choices(list(OPINION_TEXTS), (90, 8, 2))[0]
            text = OPINION_TEXTS[verdict]
            author = ctx.officers[code]
            opinions.add(
                (
                    consultation_id,
                    code,
                    verdict,
                    text,
                    author,
                    answered_at,
                    "已要求申请部门落实经费和培训，工作量计入社区负担预算。"
                    if verdict == OpinionVerdict.DISAGREE
                    else "",
                )
            )
            opinion_events.append(
                (
                    "opinion",
                    S.IN_CONSULTATION,
                    S.IN_CONSULTATION,
                    author,
                    "",
                    text,
                    {"region": code, "verdict": verdict},
                    answered_at,
                )
            )
        steps = [
            (
                "create",
                "",
                S.DRAFT,
                staff[0],
                unit_name[department.id],
                "",
                {},
                ctx.at(meeting - dt.timedelta(days=30), 560),
            ),
            (
                "send_for_signoff",
                S.DRAFT,
                S.AWAITING_SIGNOFF,
                staff[0],
                unit_name[department.id],
                "",
                {},
                ctx.at(meeting - dt.timedelta(days=28), 600),
            ),
            (
                "sign_off",
                S.AWAITING_SIGNOFF,
                S.SUBMITTED,
                staff[1],
                unit_name[department.id],
                "",
                {},
                ctx.at(meeting - dt.timedelta(days=27), 600),
            ),
            (
                "start_review",
                S.SUBMITTED,
                S.IN_REVIEW,
                staff[2],
                offices[district.code][0].name,
                "",
                {},
                ctx.at(meeting - dt.timedelta(days=26), 600),
            ),
            (
                "accept",
                S.IN_REVIEW,
                S.AWAITING_DECISION,
                staff[2],
                offices[district.code][0].name,
                "",
                {"criteria": ALL_CRITERIA},
                ctx.at(meeting - dt.timedelta(days=24), 600),
            ),
            (
                "open_consultation",
                S.AWAITING_DECISION,
                S.IN_CONSULTATION,
                group,
                offices[district.code][1].name,
                "",
                {"deadline": deadline.isoformat(), "invited": invited},
                opened,
            ),
            *opinion_events,
            (
                "close_consultation",
                S.IN_CONSULTATION,
                S.AWAITING_DECISION,
                group,
                offices[district.code][1].name,
                "",
                {"unanswered": len(invited) - len(opinion_events)},
                ctx.at(meeting - dt.timedelta(days=8), 600),
            ),
            (
                "decide",
                S.AWAITING_DECISION,
                S.APPROVED,
                group,
                offices[district.code][1].name,
                "",
                {"outcome": decisions[-1]["outcome"], "admission": number},
                issued_at,
            ),
        ]
        for step in steps:
            events.add((application_id, *step))
        ctx.admissions.append(
            AdmissionRow(
                id=admission_id,
                department_id=department.id,
                district_code=district.code,
                valid_from=valid_from,
                valid_until=valid_until,
                yearly_fen=fen,
                community_codes=codes,
                number=number,
                state=state,
            )
        )
        ctx.progress("准入", index + 1, len(plans))
    # Foreign keys are checked at commit, so the order of the writes does not matter.
    ctx.insert(Application, applications)
    ctx.insert(Consultation, consultations)
    ctx.insert(Decision, decisions)
    ctx.insert(Admission, admissions)
    for writer in (application_scope, admission_scope, opinions, events):
        writer.close()
    ctx.insert(
        AdmissionCounter,
        (
            {"district_id": district, "year": year, "last": last}
            for (district, year), last in sorted(counters.items())
        ),
    )
