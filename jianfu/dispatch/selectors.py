"""Reads in dispatch, each scoped to the acting user (or, for the scorecard, the public)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, JSONField, Q, QuerySet, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone

from jianfu.admission import selectors as admission_selectors
from jianfu.admission.models import AdmissionState
from jianfu.catalog.models import Item, ListKind, VersionStatus
from jianfu.dispatch.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryStatus,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.org.models import (
    LEVEL_ORDER,
    NO_JURISDICTION,
    Region,
    RegionLevel,
    Unit,
    UnitType,
    User,
)
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.selectors import ancestor_codes


def _district_office_prefix(user: User) -> str | bool | None:
    """The code prefix a district office oversees (None: everything), or False for anyone else.

    A street's or community's staff are not district offices, whatever role they hold.
    """
    if not user.has_role(*DISTRICT_ROLES):
        return False
    prefix = user.jurisdiction_prefix
    if prefix == NO_JURISDICTION or (prefix is not None and len(prefix) > 6):
        return False
    return prefix


def tasks_visible_to(*, user: User) -> QuerySet[Task]:
    """Own department's tasks; every task from the district for its offices; for a street, the
    tasks that reached it or its communities."""
    if not user.is_authenticated or user.unit_id is None:
        return Task.objects.none()
    condition = Q(department_id=user.unit_id)
    office = _district_office_prefix(user)
    if office is None:
        condition = Q()
    elif office:
        # The district's own departments' tasks, and a city or province department's tasks
        # wherever they reach the district.
        reached = Delivery.objects.filter(region__code__startswith=office).values("task_id")
        condition |= Q(district_code__startswith=office) | Q(pk__in=reached)
    unit = user.unit
    if user.has_role(Role.STREET_OFFICER) and unit.region_id and unit.is_active:
        street = unit.region.prefix
        reached = Delivery.objects.filter(region__code__startswith=street).values("task_id")
        condition |= Q(pk__in=reached)
    return Task.objects.filter(condition).select_related("department", "admission")


def task_visible_to(*, user: User, task_id: int) -> Task | None:
    return tasks_visible_to(user=user).filter(pk=task_id).first()


def deliveries_of(*, user: User, task: Task) -> QuerySet[Delivery]:
    """The task's deliveries the user may see: all of them for the department and the district's
    offices; a street's own and its communities' for a street officer."""
    deliveries = task.deliveries.select_related("region")
    office = _district_office_prefix(user)
    if user.unit_id == task.department_id or office is None:
        return deliveries
    if office is not False and task.district_code.startswith(office):
        return deliveries
    if office:
        # A city or province department's task: the part of it that reached the district.
        return deliveries.filter(region__code__startswith=office)
    unit = user.unit
    if unit is not None and unit.region_id and user.has_role(Role.STREET_OFFICER):
        return deliveries.filter(region__code__startswith=unit.region.prefix)
    return deliveries.none()


def deliveries_visible_to(*, user: User) -> QuerySet[Delivery]:
    """Every delivery the user may open: sent by their department, in their district (offices),
    in their street (street officers), or to their own street or community."""
    if not user.is_authenticated or user.unit_id is None or not user.unit.is_active:
        return Delivery.objects.none()
    unit = user.unit
    condition = Q(task__department_id=unit.pk)
    office = _district_office_prefix(user)
    if office is None:
        condition = Q()
    elif office:
        condition |= Q(task__district_code__startswith=office) | Q(region__code__startswith=office)
    if unit.region_id and user.has_role(Role.STREET_OFFICER):
        condition |= Q(region__code__startswith=unit.region.prefix)
    if unit.region_id and user.has_role(Role.COMMUNITY_OFFICER):
        condition |= Q(region_id=unit.region_id)
    # A dispatch still fanning out has reached nobody yet.
    return Delivery.objects.filter(condition, task__status__in=SENT_STATUSES).select_related(
        "task__department", "region"
    )


SENT_STATUSES = (TaskStatus.DISPATCHED, TaskStatus.CANCELLED)


def delivery_visible_to(*, user: User, delivery_id: int) -> Delivery | None:
    return deliveries_visible_to(user=user).filter(pk=delivery_id).first()


def inbox_for(
    *, user: User, status: str = "", admitted: bool | None = None, task: int | None = None
) -> QuerySet[Delivery]:
    """The deliveries addressed to the user's own street or community, newest first."""
    unit = user.unit if user.is_authenticated else None
    if unit is None or not unit.region_id or not unit.is_active:
        return Delivery.objects.none()
    level = {
        Role.COMMUNITY_OFFICER: RecipientLevel.COMMUNITY,
        Role.STREET_OFFICER: RecipientLevel.STREET,
    }
    levels = [value for role, value in level.items() if user.has_role(role)]
    deliveries = Delivery.objects.filter(
        region_id=unit.region_id,
        task__recipient_level__in=levels,
        task__status__in=SENT_STATUSES,
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if admitted is not None:
        deliveries = deliveries.filter(admitted=admitted)
    if task:
        deliveries = deliveries.filter(task_id=task)
    return deliveries.select_related("task__department", "region").order_by("-task_id")


# The columns the inbox page shows or decides from, by the names the page reads them; the rest
# of a delivery and its task (the content, the outputs, the timestamps) it never reads.
INBOX_PAGE_COLUMNS = ("id", "task_id", "region_id", "status", "admitted", "reasons")
INBOX_PAGE_NAMED = {
    "progress": "progress_percent",
    "title": "task__title",
    "reference": "task__reference",
    "deadline": "task__deadline",
    "task_status": "task__status",
    "recipient_level": "task__recipient_level",
    "admission_number": "task__admission_number",
    "department": "task__department__name",
}


def inbox_page_rows(deliveries: QuerySet[Delivery]) -> QuerySet[dict]:
    """The inbox's deliveries (inbox_for) as dicts of the columns the inbox page shows."""
    # The check's details only explain the reasons of unadmitted work; an admitted row's would
    # be read and decoded for nothing.
    details = Case(
        When(admitted=False, then=F("task__check_details")),
        default=Value(None),
        output_field=JSONField(),
    )
    named = {name: F(column) for name, column in INBOX_PAGE_NAMED.items()}
    return deliveries.values(*INBOX_PAGE_COLUMNS, **named, check_details=details)


def refusals_to_review(*, user: User) -> QuerySet[Delivery]:
    """Refusals of admitted work waiting for this user's review: a street officer's for the
    street's communities, the group office's for the district's streets."""
    unit = user.unit if user.is_authenticated else None
    if unit is None or not unit.region_id or not unit.is_active:
        return Delivery.objects.none()
    condition = Q(pk__in=[])
    prefix = unit.region.prefix
    if user.has_role(Role.STREET_OFFICER) and len(prefix) == 9:
        condition |= Q(
            region__code__startswith=prefix, task__recipient_level=RecipientLevel.COMMUNITY
        )
    # Only a district's own group office reviews its streets' refusals; an office of a city or
    # province reviews none.
    if (
        user.has_role(Role.GROUP_SECRETARY)
        and unit.type == UnitType.GROUP_OFFICE
        and len(prefix) == 6
    ):
        condition |= Q(region__code__startswith=prefix, task__recipient_level=RecipientLevel.STREET)
    return (
        Delivery.objects.filter(
            condition,
            status=DeliveryStatus.REFUSAL_REQUESTED,
            task__status=TaskStatus.DISPATCHED,
        )
        .select_related("task__department", "region")
        .order_by("updated_at")
    )


# ---------------------------------------------------------------------------------------------
# Violation accounting


@dataclass
class ViolationRow:
    """One department's record for a year (requirement: violation accounting)."""

    department: Unit
    dispatches: int = 0
    unadmitted_dispatches: int = 0
    deliveries: int = 0
    unadmitted_deliveries: int = 0
    refusals: int = 0
    refusals_of_unadmitted: int = 0
    late_completions: int = 0
    # Still open after the deadline: late work not yet done counts too.
    overdue_open: int = 0

    @property
    def unadmitted_rate(self) -> float | None:
        """Share of deliveries that arrived unadmitted."""
        return self.unadmitted_deliveries / self.deliveries if self.deliveries else None


def violations(*, departments: QuerySet[Unit], year: int, within: str = "") -> list[ViolationRow]:
    """Each department's dispatches, unadmitted deliveries, refusals and late completions in
    `year` (by the day a task was sent); two queries, whatever the number of departments.

    `within` (a region code prefix) counts only the deliveries that reached that region, and
    the tasks that reached it: a district's scorecard shows a city department's work there.
    """
    rows = {unit.pk: ViolationRow(unit) for unit in departments}
    if not rows:
        return []
    tasks = (
        Task.objects.filter(department_id__in=rows, status__in=SENT_STATUSES)
        .annotate(sent_year=ExtractYear("created_at"))
        .filter(sent_year=year)
    )
    deliveries = Q(deliveries__region__code__startswith=within) if within else Q()
    if within:
        tasks = tasks.filter(
            pk__in=Delivery.objects.filter(region__code__startswith=within).values("task_id")
        )
    per_task = tasks.values("department_id").annotate(
        dispatches=Count("pk", distinct=True),
        unadmitted=Count(
            "pk", filter=Q(deliveries__admitted_on_arrival=False) & deliveries, distinct=True
        ),
    )
    for found in per_task:
        row = rows[found["department_id"]]
        row.dispatches, row.unadmitted_dispatches = found["dispatches"], found["unadmitted"]
    per_delivery = (
        Delivery.objects.filter(task__in=tasks.values("pk"), region__code__startswith=within)
        .values("task__department_id")
        .annotate(
            deliveries=Count("pk"),
            unadmitted=Count("pk", filter=Q(admitted_on_arrival=False)),
            refusals=Count("pk", filter=Q(status=DeliveryStatus.REFUSED)),
            refusals_of_unadmitted=Count(
                "pk", filter=Q(status=DeliveryStatus.REFUSED, refused_while_admitted=False)
            ),
            late=Count("pk", filter=Q(completed_late=True)),
            overdue=Count(
                "pk", filter=Q(status__in=OPEN_STATUSES, task__deadline__lt=timezone.localdate())
            ),
        )
    )
    for found in per_delivery:
        row = rows[found["task__department_id"]]
        row.deliveries, row.unadmitted_deliveries = found["deliveries"], found["unadmitted"]
        row.refusals = found["refusals"]
        row.refusals_of_unadmitted = found["refusals_of_unadmitted"]
        row.late_completions, row.overdue_open = found["late"], found["overdue"]
    return sorted(
        rows.values(),
        key=lambda r: (-r.unadmitted_deliveries, -r.refusals, r.department.sort_key),
    )


def departments_for_violations(*, user: User | None, district_code: str = "") -> QuerySet[Unit]:
    """The departments whose record the user may read: the district's, and the city or province
    departments that sent it work, for its offices and for the public scorecard (`user` None);
    a department's own otherwise."""
    departments = Unit.objects.filter(type=UnitType.DEPARTMENT)
    if user is not None:
        office = _district_office_prefix(user)
        if office is False:
            departments = departments.filter(pk=user.unit_id)
        elif office:
            departments = _working_in(departments, office)
    return _working_in(departments, district_code[:6]) if district_code else departments


def _working_in(departments: QuerySet[Unit], prefix: str) -> QuerySet[Unit]:
    """The departments of the region with this code prefix, and those above it whose tasks
    reached it."""
    # Straight from the deliveries: a subquery of tasks by delivery made PostgreSQL's planner
    # misjudge the rows and pick a plan a hundred times slower (benchmarks/stats.py).
    sent_there = Delivery.objects.filter(region__code__startswith=prefix).values(
        "task__department_id"
    )
    return departments.filter(Q(district_code__startswith=prefix) | Q(pk__in=sent_there))


# ---------------------------------------------------------------------------------------------
# The dispatch form's choices and the scorecard's districts


def admission_choices(user: User) -> list[tuple[str, str]]:
    """The department's admissions in force today, by number."""
    today = timezone.localdate()
    admissions = (
        admission_selectors.admissions_visible_to(user=user)
        .filter(department_id=user.unit_id, state=AdmissionState.ACTIVE)
        .filter(valid_from__lte=today, valid_until__gte=today)
        .defer("agreement_pdf")
        .order_by("-year", "-sequence")
    )
    return [(a.number, f"{a.number} {a.title}") for a in admissions]


def duty_item_choices(unit: Unit) -> list[tuple[str, list[tuple[str, str]]]]:
    """The items of the duty lists in force for the department's district (its own, the
    regions' above it and the national ones), grouped by list."""
    district = unit.district_code or unit.region_id
    codes = [district, *ancestor_codes(district)]
    items = (
        Item.objects.filter(
            version__status=VersionStatus.PUBLISHED, version__list__kind=ListKind.DUTY
        )
        .filter(Q(version__list__region__isnull=True) | Q(version__list__region_id__in=codes))
        .select_related("version__list")
        .order_by("version__list__region_id", "version__list_id", "position", "id")
    )
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for item in items:
        catalog_list = item.version.list
        label = f"{catalog_list.name}（{catalog_list.get_level_display()}）"
        group = groups.setdefault(catalog_list.pk, (label, []))
        group[1].append((str(item.key), f"{item.code} {item.name}".strip()))
    return list(groups.values())


def recipient_tree(unit: Unit) -> tuple[Region, list[tuple[Region, list[Region]]]]:
    """The department's region and the two levels below it (a district's streets and their
    communities), for the recipient checkboxes; one query."""
    root = unit.region
    below = LEVEL_ORDER[LEVEL_ORDER.index(root.level) + 1 :][:2]
    today = timezone.localdate()
    regions = (
        Region.objects.filter(code__startswith=root.prefix, level__in=below)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("code")
    )
    parents: dict[str, tuple[Region, list[Region]]] = {}
    children = []
    for region in regions:
        if region.level == below[0]:
            parents[region.code] = (region, [])
        else:
            children.append(region)
    for region in children:
        if region.parent_id in parents:
            parents[region.parent_id][1].append(region)
    return root, list(parents.values())


def districts_of(departments: QuerySet[Unit]) -> list[Region]:
    """The districts these departments belong to."""
    codes = departments.order_by().values("district_code")
    return list(Region.objects.filter(code__in=codes, level=RegionLevel.DISTRICT).order_by("code"))
