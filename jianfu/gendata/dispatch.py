"""Tasks and their deliveries: the departments' work sent to communities over three years, each
copy checked on arrival as `dispatch.services.arrival_check` checks it, and handled since.

Most tasks cite an admission in force and arrive admitted; the rest are unadmitted for the
reasons the app records, in realistic shares: no basis cited, a number that does not exist, an
admission past its term, revoked or suspended, another department's admission, recipients
outside the scope, work on the negative list. Community duty work cites the district's duty
list. Each copy has then been accepted, worked on, completed (some late), refused (nearly
always unadmitted work; refusals of admitted work went to the street, which upheld a few), or
is still waiting, with a `DeliveryEvent` for every step a recipient or street took, as
`delivery_act` writes them. The fan-out's notifications are not generated: they are messages
of the moment, not records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from jianfu.admission.models import AdmissionSettings, AdmissionState
from jianfu.dispatch.models import (
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Reason,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.gendata.catalog import NEGATIVE_ITEMS
from jianfu.gendata.context import AdmissionRow, Context
from jianfu.org.roles import Role

# Plain text, as the driver takes it (an enum member is a str subclass).
RECEIVED, ACCEPTED = DeliveryStatus.RECEIVED.value, DeliveryStatus.ACCEPTED.value
COMPLETED, REFUSED = DeliveryStatus.COMPLETED.value, DeliveryStatus.REFUSED.value
REFUSAL_REQUESTED = DeliveryStatus.REFUSAL_REQUESTED.value
# (kind, weight): what a task cites and so how its copies arrive.
KINDS = (
    ("admitted", 800),
    ("duty", 70),
    ("no_basis", 40),
    ("outside_scope", 30),
    ("expired", 20),
    ("negative", 15),
    ("other_department", 15),
    ("no_admission", 10),
)
DELIVERY_COLUMNS = (
    "id",
    "task_id",
    "region_id",
    "admitted_on_arrival",
    "admitted",
    "reasons",
    "status",
    "status_before_refusal",
    "progress_percent",
    "progress_note",
    "refusal_reason",
    "refusal_basis",
    "refused_while_admitted",
    "refused_at",
    "accepted_at",
    "completed_at",
    "completed_late",
    "arrived_at",
    "updated_at",
    "year",
)
EVENT_COLUMNS = ("id", "delivery_id", "action", "actor_id", "status", "admitted", "note", "at")
TASK_WORDS = ["季度报送", "专项排查", "入户核查", "数据更新", "宣传活动", "情况统计", "年度总结"]
NEGATIVE_TITLE = "辖区招商引资线索摸排"
NEGATIVE_LIST_NAME = "四川省社区工作负面清单"
REFUSAL_TEXTS = ["该任务未经准入，依据本区准入制度不予受理。", ""]
ADMITTED_REFUSAL = "社区无相应专业力量，无法承担，请部门另行安排。"
PROGRESS_NOTE = "已完成入户走访，正在汇总数据。"
COMPLETE_NOTE = "已按要求完成并报送材料。"


# The tasks' columns, in the order the step gives them.
TASK_COLUMNS = (
    "id",
    "reference",
    "department_id",
    "district_code",
    "created_by_id",
    "title",
    "content",
    "deadline",
    "outputs",
    "admission_number",
    "admission_id",
    "duty_list_id",
    "duty_item_key",
    "duty_item_name",
    "recipient_level",
    "recipient_codes",
    "status",
    "recipients_total",
    "unadmitted_total",
    "check_details",
    "job_id",
    "created_at",
    "year",
    "dispatched_at",
    "cancelled_at",
    "cancel_reason",
)


def _compact(codes: list[str], street_size: dict[str, int]) -> list[str]:
    """The picked regions as a clerk picks them: a whole street by its code, else communities."""
    by_street: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        by_street[code[:9] + "000"].append(code)
    picked = []
    for street, members in sorted(by_street.items()):
        picked += [street] if len(members) == street_size[street] else members
    return picked


def generate(ctx: Context) -> None:
    rng = ctx.rng("dispatch")
    today = ctx.today
    start = dt.date(ctx.year - 2, 1, 10)
    clerk = dict(zip((d.id for d in ctx.departments), ctx.users[Role.DEPT_CLERK], strict=True))
    unit_name = {unit.id: unit.name for unit in ctx.departments}
    district_of = {unit.id: unit.district_code for unit in ctx.departments}
    departments_in: dict[str, list[int]] = defaultdict(list)
    for department in ctx.departments:
        departments_in[department.district_code].append(department.id)
    street_size: dict[str, int] = defaultdict(int)
    street_communities: dict[str, list[str]] = defaultdict(list)
    district_communities: dict[str, list[str]] = defaultdict(list)
    for community in ctx.communities:
        street_size[community.parent_code] += 1
        street_communities[community.parent_code].append(community.code)
        district_communities[community.district_code].append(community.code)
    streets_of: dict[str, list[str]] = defaultdict(list)
    for street in ctx.streets:
        streets_of[street.district_code].append(street.code)
    in_force = [a for a in ctx.admissions if a.valid_from <= today]
    past_term = [a for a in in_force if a.valid_until < today - dt.timedelta(days=1)]
    active = [a for a in in_force if a.state == AdmissionState.ACTIVE]
    by_district: dict[str, list[AdmissionRow]] = defaultdict(list)
    for admission in ctx.admissions:
        by_district[admission.district_code].append(admission)
    districts = [d.code for d in ctx.districts]
    district_weights = [len(district_communities[d]) for d in districts]
    prefix = {d.code: (d.name[:-1] if d.name[-1:] in "区县市旗" else d.name) for d in ctx.districts}

    def some_communities(district: str) -> list[str]:
        street = rng.choice(streets_of[district])
        pool = street_communities[street]
        if rng.random() < 0.5:
            return pool
        return sorted(rng.sample(pool, rng.randint(1, len(pool))))

    # The tasks, decided first (they are numbered in the order they were sent) ------------------
    plans = []
    planned = 0
    kinds, weights = zip(*KINDS, strict=True)
    while planned < ctx.scale.deliveries:
        kind = rng.choices(kinds, weights)[0]
        admission = None
        department = None
        basis = ""
        if kind in ("admitted", "outside_scope", "negative", "other_department"):
            if not active:
                kind = "no_basis"
            else:
                admission = rng.choice(active)
        elif kind == "expired":
            if not past_term:
                kind = "no_basis"
            else:
                admission = rng.choice(past_term)
        if admission is not None:
            district = admission.district_code
            department = admission.department_id
            codes = list(admission.community_codes)
            if rng.random() < 0.4 and len(codes) > 1:
                codes = sorted(rng.sample(codes, rng.randint(1, len(codes))))
            if kind == "expired":
                first = admission.valid_until + dt.timedelta(days=1)
                last = today
            else:
                first = admission.valid_from
                last = min(admission.valid_until, today)
            day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
            if kind == "outside_scope":
                outside = set(some_communities(district)) - set(admission.community_codes)
                codes = sorted({*codes, *outside})
            if kind == "other_department":
                others = [d for d in departments_in[district] if d != department]
                if others:
                    department = rng.choice(others)
                else:
                    kind = "admitted"
        else:
            district = rng.choices(districts, district_weights)[0]
            department = rng.choice(departments_in[district])
            codes = some_communities(district)
            day = start + dt.timedelta(days=rng.randint(0, (today - start).days))
            if kind == "duty":
                duty = ctx.published_items.get(district, {}).get("duty")
                if duty and duty[1]:
                    basis = (duty[0], *rng.choice(duty[1]))
                else:
                    kind = "no_basis"
            elif kind == "no_admission":
                basis = f"{prefix[district]}准〔{day.year}〕{rng.randint(900, 999)}号"
        codes = codes[: ctx.scale.deliveries - planned]
        planned += len(codes)
        plans.append((day, rng.randrange(480, 1080), kind, department, admission, basis, codes))
    plans.sort(key=lambda p: (p[0], p[1]))

    # Writing ----------------------------------------------------------------------------------
    refusal_basis = AdmissionSettings._meta.get_field("refusal_basis").get_default()
    task_ids = ctx.ids(Task, len(plans))
    delivery_ids = iter(ctx.ids(Delivery, ctx.scale.deliveries))
    tasks = ctx.writer(Task, columns=TASK_COLUMNS)
    deliveries = ctx.writer(
        Delivery, label="任务接收", total=ctx.scale.deliveries, columns=DELIVERY_COLUMNS
    )
    events = ctx.writer(DeliveryEvent, columns=EVENT_COLUMNS)
    # Events are numbered as they are made; there are fewer than two per delivery.
    event_ids = iter(ctx.ids(DeliveryEvent, 3 * ctx.scale.deliveries))
    shared: dict[tuple[str, ...], list[str]] = {(): []}
    negative_detail = [{"list": NEGATIVE_LIST_NAME, "entry": NEGATIVE_ITEMS[0]}]
    for task_id, (day, minute, kind, department, admission, basis, codes) in zip(
        task_ids, plans, strict=True
    ):
        arrived = ctx.at(day, minute)
        deadline = day + dt.timedelta(days=rng.choice((7, 15, 30, 60)))
        common: list[str] = []
        details: dict = {}
        if kind == "no_basis":
            common.append(Reason.NO_BASIS)
        elif kind == "no_admission":
            common.append(Reason.NO_ADMISSION)
        if admission is not None:
            state = admission.state
            if state == AdmissionState.REVOKED:
                common.append(Reason.ADMISSION_REVOKED)
            elif state == AdmissionState.SUSPENDED:
                common.append(Reason.ADMISSION_SUSPENDED)
            elif day > admission.valid_until:
                common.append(Reason.ADMISSION_EXPIRED)
                state = AdmissionState.EXPIRED
            details["admission"] = {
                "number": admission.number,
                "state": state,
                "valid_from": admission.valid_from.isoformat(),
                "valid_until": admission.valid_until.isoformat(),
                "department": unit_name[admission.department_id],
            }
            if admission.department_id != department:
                common.append(Reason.OTHER_DEPARTMENT)
            scope = set(admission.community_codes)
        if kind == "negative":
            details["negative"] = negative_detail
        if admission is not None:
            title = f"{rng.choice(TASK_WORDS)}：{details['admission']['number']}事项"
        elif kind == "duty":
            title = f"{basis[2]}{rng.choice(TASK_WORDS)}"
        else:
            title = f"{rng.choice(TASK_WORDS)}工作"
        if kind == "negative":
            title = NEGATIVE_TITLE
        unadmitted = 0
        # Copies past their admission's term, or long past their deadline, are all closed: an
        # open copy there would have been re-checked by the daily job.
        closed = deadline < today - dt.timedelta(days=60) or (
            admission is not None and admission.valid_until < today
        )
        fresh = (today - day).days < 3
        # Nothing happened after yesterday evening (copies of the last three days still wait).
        latest = ctx.at(today - dt.timedelta(days=1), 1020)
        officer = ctx.officers
        for code in codes:
            found = list(common)
            if admission is not None and code not in scope:
                found.append(Reason.OUTSIDE_SCOPE)
            if kind == "negative":
                found.append(Reason.NEGATIVE_LIST)
            reasons = shared.setdefault(tuple(found), found)
            admitted = not reasons
            unadmitted += not admitted
            delivery_id = next(delivery_ids)
            status, before_refusal = RECEIVED, ""
            percent, progress_note, refusal_reason, basis_text = 0, "", "", ""
            refused_admitted = late = False
            refused_at = accepted_at = completed_at = None
            updated_at = arrived
            actor = officer[code]
            offset = 0
            for action in _history(rng, admitted, closed, fresh, deadline < today):
                offset += rng.randint(600, 6000)
                at = min(ctx.at(day, minute + offset), latest)
                actor_id = actor
                if action == "accept":
                    status, accepted_at, note = ACCEPTED, at, ""
                elif action == "progress":
                    percent, progress_note = 50, PROGRESS_NOTE
                    note = PROGRESS_NOTE
                elif action == "complete":
                    status, completed_at = COMPLETED, at
                    percent, progress_note = 100, COMPLETE_NOTE
                    late = at.date() > deadline
                    note = COMPLETE_NOTE
                elif action == "refuse" and not admitted:
                    note = rng.choice(REFUSAL_TEXTS)
                    status, refused_at = REFUSED, at
                    refusal_reason, basis_text = note, refusal_basis
                elif action == "refuse":
                    note = refusal_reason = ADMITTED_REFUSAL
                    before_refusal, status = status, REFUSAL_REQUESTED
                else:  # the street upholds a refusal of admitted work
                    note = ""
                    status, refused_at = REFUSED, at
                    refused_admitted, basis_text = True, refusal_basis
                    actor_id = officer[code[:9] + "000"]
                events.add(
                    (next(event_ids), delivery_id, action, actor_id, status, admitted, note, at)
                )
                updated_at = at
            deliveries.add(
                (
                    delivery_id,
                    task_id,
                    code,
                    admitted,
                    admitted,
                    reasons,
                    status,
                    before_refusal,
                    percent,
                    progress_note,
                    refusal_reason,
                    basis_text,
                    refused_admitted,
                    refused_at,
                    accepted_at,
                    completed_at,
                    late,
                    arrived,
                    updated_at,
                    day.year,
                )
            )
        tasks.add(
            (
                task_id,
                f"RW{day.year}-{task_id:06d}",
                department,
                district_of[department],
                clerk[department],
                title,
                f"请于{deadline:%Y年%m月%d日}前完成{title}，并报送有关材料。",
                deadline,
                [{"kind": "form", "name": f"{title}汇总表"}],
                admission.number
                if admission is not None
                else basis
                if kind == "no_admission"
                else "",
                admission.id if admission is not None else None,
                basis[0] if kind == "duty" else None,
                basis[1] if kind == "duty" else None,
                basis[2] if kind == "duty" else "",
                RecipientLevel.COMMUNITY,
                _compact(codes, street_size),
                TaskStatus.DISPATCHED,
                len(codes),
                unadmitted,
                details,
                None,
                arrived,
                day.year,
                arrived,
                None,
                "",
            )
        )
    for writer in (tasks, deliveries, events):
        writer.close()


def _history(
    rng: random.Random, admitted: bool, closed: bool, fresh: bool, overdue: bool
) -> tuple[str, ...]:
    """The steps a copy went through since it arrived (none: still waiting)."""
    if fresh:
        return ()
    roll = rng.random()
    if admitted:
        if closed:
            return ("accept", "complete") if roll < 0.99 else ("refuse", "uphold_refusal")
        if overdue:
            if roll < 0.90:
                return ("accept", "complete")
            if roll < 0.95:
                return ("accept", "progress")
            if roll < 0.99:
                return ()
            return ("accept", "refuse")
        if roll < 0.30:
            return ()
        if roll < 0.55:
            return ("accept",)
        if roll < 0.75:
            return ("accept", "progress")
        if roll < 0.99:
            return ("accept", "complete")
        return ("refuse",)
    if closed:
        return ("refuse",) if roll < 0.8 else ("accept", "complete")
    if roll < 0.55:
        return ("refuse",)
    if roll < 0.90:
        return ()
    if roll < 0.95:
        return ("accept",)
    return ("accept", "complete")
