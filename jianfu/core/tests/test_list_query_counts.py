"""Every list page and list endpoint costs the same number of queries whatever the page size and
however many rows there are (DESIGN: pages stay fast at province scale).

Each case names a list (a URL name for a page, a path for the API), the persona who may read it
and a way to add `n` rows that persona sees. The test adds N rows, then 2N more, and at both sizes
asks for pages of 5 and of 50 rows (and, where there is one, the page after the first): the
number of queries must be the same every time.

A new list page is added to CASES, and its view name to PAGED_VIEWS; the last test walks the URL
resolver and fails for a view that uses the keyset paginator but is not listed here.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jianfu.core.audit import audit_record
from jianfu.core.models import Notification
from jianfu.org.models import Region, RegionLevel, Unit, UnitType

N = 3
ZHONGGULOU = "511002001001"  # 钟鼓楼社区, community_officer's
CHENGDONG = "511002001000"  # 城东街道, street_officer's
DISTRICT = "511002000000"  # 市中区


@dataclass
class Case:
    name: str
    persona: str | None  # None: a public page, read without logging in
    grow: Callable  # grow(personas, state, n): add n rows the persona sees
    url: Callable  # url(state) -> the list's address
    api: bool = False


_counter = itertools.count(1)


# Growers: each adds n rows to one list, through the services where the rows have rules ------------


def _tasks(personas, state, n):
    from jianfu.dispatch.tests.conftest import dispatch

    for _ in range(n):
        state["task"] = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])


def _recipients(personas, state, n):
    """One task reaching n more communities (made for the purpose under 城东街道)."""
    from jianfu.dispatch.models import Task
    from jianfu.dispatch.services import task_fan_out

    made = [f"511002001{900 - next(_counter):03d}" for _ in range(n)]
    Region.objects.bulk_create(
        Region(
            code=code, name=f"测试社区{code[-3:]}", level=RegionLevel.COMMUNITY, parent_id=CHENGDONG
        )
        for code in made
    )
    if "task" not in state:
        _tasks(personas, state, 1)
        made = made[1:]
    task = Task.objects.get(pk=state["task"].pk)
    if made:
        task_fan_out(task=task, codes=made)


def _refusals(personas, state, n):
    """Admitted work that 钟鼓楼社区 refused, waiting for 城东街道's review."""
    from jianfu.admission.models import ApplicationState
    from jianfu.admission.tests.conftest import advance, make_application
    from jianfu.dispatch.services import delivery_act
    from jianfu.dispatch.tests.conftest import dispatch

    if "admission" not in state:
        application = advance(
            personas, make_application(personas.dept_clerk), ApplicationState.APPROVED
        )
        state["admission"] = application.admissions.get()
    for _ in range(n):
        task = dispatch(
            personas.dept_clerk,
            recipients=[ZHONGGULOU],
            admission_number=state["admission"].number,
        )
        delivery_act(
            actor=personas.community_officer,
            delivery=task.deliveries.get(),
            action="refuse",
            reason="本社区无此类服务对象，无法开展。",
        )


def _applications(personas, state, n):
    from jianfu.admission.tests.conftest import make_application

    for _ in range(n):
        make_application(personas.dept_clerk)


def _admissions(personas, state, n):
    from jianfu.funds.tests.conftest import admission_row

    for _ in range(n):
        admission_row(personas, scope={ZHONGGULOU: 100_000, "511002001002": 50_000})


def _notifications(personas, state, n):
    Notification.objects.bulk_create(
        Notification(recipient=personas.dept_clerk, message=f"通知{i}", url="/tasks/")
        for i in range(n)
    )


def _audit(personas, state, n):
    for i in range(n):
        audit_record(action="test.event", actor=personas.dept_clerk, changes={"n": i})


def _units(personas, state, n):
    from jianfu.core.text import pinyin_sort_key

    Unit.objects.bulk_create(
        Unit(
            name=f"测试单位{(k := next(_counter))}",
            type=UnitType.DEPARTMENT,
            region_id=DISTRICT,
            district_code="511002",
            sort_key=pinyin_sort_key(f"测试单位{k}"),
        )
        for _ in range(n)
    )


def _accounts(personas, state, n):
    from jianfu.org.roles import Role
    from jianfu.org.services import account_create

    for _ in range(n):
        account_create(
            actor=None,
            username=f"reader{next(_counter)}",
            display_name="测试账号",
            unit=personas.dept_clerk.unit,
            roles=[Role.DEPT_CLERK],
            password="Persona-Pass-2026",
            granted_by_command=True,
        )


def _certificate_requests(personas, state, n):
    from jianfu.certificates.tests.conftest import request_make

    community = Region.objects.get(code=ZHONGGULOU)
    for _ in range(n):
        request_make(personas.community_officer, community, None, type_name="居住证明")


def _seal_uses(personas, state, n):
    from jianfu.certificates.services import seal_use_record

    community = Region.objects.get(code=ZHONGGULOU)
    for i in range(n):
        seal_use_record(
            actor=personas.community_officer,
            community=community,
            content=f"工作联系函第{i}号",
            approver=personas.community_head,
            requester_name="张三",
        )


def _ledger(personas, state, n):
    from jianfu.funds import services
    from jianfu.funds.tests.conftest import YEAR, admission_row

    if "budget" not in state:
        state["budget"] = services.budget_line(personas.dept_clerk.unit, "区级财政专项")
        services.ledger_appropriate(
            actor=personas.finance_officer,
            budget=state["budget"],
            amount_fen=5_000_000,
            memo="预算",
            year=YEAR,
        )
        state["admission"] = admission_row(personas, scope={ZHONGGULOU: 1_000_000})
        # The budget line's own statement: one posting per transfer.
        state["account"] = state["budget"]
    for _ in range(n):
        services.ledger_transfer(
            actor=personas.dept_clerk,
            budget=state["budget"],
            admission=state["admission"],
            allocations=[(ZHONGGULOU, 1_000)],
            memo="经费",
            year=YEAR,
        )


def _snapshots(personas, state, n):
    from jianfu.burden.models import BurdenSnapshot

    day = dt.date(2026, 1, 1)
    BurdenSnapshot.objects.bulk_create(
        BurdenSnapshot(
            community_id=code,
            taken_on=day + dt.timedelta(days=(k := next(_counter))),
            label=f"快照{k}",
            tasks=k,
        )
        for _ in range(n)
        for code in (ZHONGGULOU, "511002001002")
    )


def _evaluators(personas, state, n):
    from jianfu.evaluation import services
    from jianfu.evaluation.models import GroupKind
    from jianfu.evaluation.tests.conftest import campaign_create

    if "campaign" not in state:
        from jianfu.funds.tests.conftest import admission_row

        # A campaign has targets only where admitted work reached.
        admission_row(personas, scope={ZHONGGULOU: 1_000_000})
        state["campaign"] = campaign_create(personas.group_secretary)
    services.tokens_issue(
        actor=personas.group_secretary,
        campaign=state["campaign"],
        region=Region.objects.get(code=ZHONGGULOU),
        group_kind=GroupKind.RESIDENTS,
        count=n,
    )


def _draft_changes(personas, state, n):
    from jianfu.catalog import services

    if "draft" not in state:
        created = services.list_create(
            actor=personas.review_officer,
            name="市中区社区工作事项测试清单",
            kind="duty",
            level="community",
            region=Region.objects.get(code=DISTRICT),
            code=f"511002-test-{next(_counter)}",
            first_label="2026版",
        )
        state["list"] = created
        state["draft"] = created.versions.get()
    for _ in range(n):
        services.item_add(
            actor=personas.review_officer,
            version=state["draft"],
            values={"name": f"测试事项{next(_counter)}", "department": "市中区民政局"},
            reason="测试",
        )


def _published_items(personas, state, n):
    """A published list of n more items (a published version is frozen, so each call makes a
    new list)."""
    from jianfu.catalog.tests.conftest import publish

    fresh: dict = {}
    _draft_changes(personas, fresh, n)
    publish(personas.review_officer, fresh["draft"], "市中编发〔2026〕1号", dt.date(2026, 1, 1))


def _lists(personas, state, n):
    """n more published lists of one item each."""
    for _ in range(n):
        _published_items(personas, state, 1)


# The cases -------------------------------------------------------------------------------------


def _page(name, *args):
    return lambda state: reverse(name, args=[a(state) if callable(a) else a for a in args])


def _fixed(path):
    return lambda state: path


CASES = [
    Case("task_index", "dept_clerk", _tasks, _page("task_index")),
    Case("task_detail", "dept_clerk", _recipients, _page("task_detail", lambda s: s["task"].pk)),
    Case("inbox", "community_officer", _tasks, _page("inbox")),
    Case("refusal_reviews", "street_officer", _refusals, _page("refusal_reviews")),
    Case("application_index", "dept_clerk", _applications, _page("application_index")),
    Case("notification_index", "dept_clerk", _notifications, _page("notification_index")),
    Case("admission_index", "review_officer", _admissions, _page("admission_index")),
    Case("public_admissions", None, _admissions, _page("public_admissions")),
    Case("audit_list", "audit_admin", _audit, _page("audit_list")),
    Case("unit_index", "system_admin", _units, _page("unit_index")),
    Case("account_index", "system_admin", _accounts, _page("account_index")),
    Case(
        "certificates_index",
        "community_officer",
        _certificate_requests,
        _page("certificates_index"),
    ),
    Case("certificates_seal", "community_officer", _seal_uses, _page("certificates_seal")),
    Case(
        "funds_account",
        "finance_officer",
        _ledger,
        _page("funds_account", lambda s: s["account"].pk),
    ),
    Case("burden_snapshots", "group_secretary", _snapshots, _page("burden_snapshots")),
    Case(
        "evaluation_evaluators",
        "group_secretary",
        _evaluators,
        _page("evaluation_evaluators", lambda s: s["campaign"].pk),
    ),
    Case(
        "catalog_draft",
        "review_officer",
        _draft_changes,
        _page("catalog_draft", lambda s: s["list"].pk),
    ),
    Case(
        "catalog_search",
        "review_officer",
        _published_items,
        lambda s: reverse("catalog_search") + "?department=民政局",
    ),
    Case("catalog_index", "review_officer", _lists, _page("catalog_index")),
    Case("public_lists", None, _lists, _page("public_lists")),
    # The API's lists (each pages with jianfu.api.pagination.cursor_page).
    Case("api tasks", "dept_clerk", _tasks, _fixed("/api/v1/tasks"), api=True),
    Case(
        "api task deliveries",
        "dept_clerk",
        _recipients,
        lambda s: f"/api/v1/tasks/{s['task'].pk}/deliveries",
        api=True,
    ),
    Case("api inbox", "community_officer", _tasks, _fixed("/api/v1/inbox"), api=True),
    Case(
        "api refusal reviews",
        "street_officer",
        _refusals,
        _fixed("/api/v1/refusal-reviews"),
        api=True,
    ),
    Case("api applications", "dept_clerk", _applications, _fixed("/api/v1/applications"), api=True),
    Case("api admissions", None, _admissions, _fixed("/api/v1/admissions"), api=True),
    Case("api units", "system_admin", _units, _fixed("/api/v1/units"), api=True),
    Case(
        "api certificate requests",
        "community_officer",
        _certificate_requests,
        _fixed("/api/v1/certificates/requests"),
        api=True,
    ),
    Case(
        "api seal uses",
        "community_officer",
        _seal_uses,
        _fixed("/api/v1/certificates/seal-uses"),
        api=True,
    ),
    Case("api ledger", "finance_officer", _ledger, _fixed("/api/v1/ledger/transactions"), api=True),
    Case(
        "api list items",
        "review_officer",
        _draft_changes,
        lambda s: f"/api/v1/lists/{s['list'].pk}/items?version=draft",
        api=True,
    ),
]

# The HTML views that page with jianfu.core.paging.keyset_page; the resolver walk below keeps
# this list (and so CASES) complete.
PAGED_VIEWS = {
    "jianfu.dispatch.views.task_index": "task_index",
    "jianfu.dispatch.views.task_detail": "task_detail",
    "jianfu.dispatch.views.inbox": "inbox",
    "jianfu.dispatch.views.refusal_reviews": "refusal_reviews",
    "jianfu.admission.views.application_index": "application_index",
    "jianfu.admission.views.notification_index": "notification_index",
    "jianfu.admission.register_views.admission_index": "admission_index",
    "jianfu.admission.register_views.public_register": "public_admissions",
    "jianfu.core.views.audit_list": "audit_list",
    "jianfu.org.views.unit_index": "unit_index",
    "jianfu.org.views.account_index": "account_index",
    "jianfu.certificates.views.certificates_index": "certificates_index",
    "jianfu.certificates.views.certificates_seal": "certificates_seal",
    "jianfu.funds.views.account_detail": "funds_account",
    "jianfu.burden.views.snapshots": "burden_snapshots",
    "jianfu.evaluation.views.evaluators": "evaluation_evaluators",
    "jianfu.catalog.views.draft_detail": "catalog_draft",
    "jianfu.catalog.views.item_search": "catalog_search",
    "jianfu.catalog.views.list_index": "catalog_index",
    # POST views that show their list again when the form has errors.
    "jianfu.dispatch.views.task_cancel": "task_detail",
    "jianfu.certificates.views.certificates_find": "certificates_index",
    "jianfu.burden.views.snapshot_take": "burden_snapshots",
    "jianfu.burden.views.baseline_record": "burden_snapshots",
}


def _client(personas, login, case: Case):
    from django.test import Client

    return Client() if case.persona is None else login(getattr(personas, case.persona))


def _with_size(url: str, size: int, api: bool) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}{'limit' if api else 'size'}={size}"


def _next_link(response, api: bool) -> str | None:
    """The address of the page after this one, as the page or the endpoint gives it."""
    if api:
        cursor = response.json().get("next_cursor")
        if not cursor:
            return None
        request = response.wsgi_request
        return f"{request.get_full_path()}&cursor={cursor}"
    page = response.context["page"] if "page" in response.context else response.context["results"]
    return page.next_url and response.wsgi_request.path + page.next_url


def _count(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    offsets = [q["sql"] for q in queries if " OFFSET " in q["sql"].upper()]
    assert not offsets, offsets
    return len(queries), response


def _rows(response, api: bool) -> int:
    if api:
        return len(response.json()["items"])
    context = response.context
    page = context["page"] if "page" in context else context["results"]
    return len(page)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_query_count_does_not_grow_with_page_size_or_data(personas, login, case):
    state: dict = {}
    client = _client(personas, login, case)
    counts = {}
    grown = 0
    for total in (N, 3 * N):
        case.grow(personas, state, total - grown)
        grown = total
        url = case.url(state)
        if total == N:
            # Warm the caches a first request fills (the session, the user's roles …).
            client.get(url)
        for size in (5, 50):
            counts[(total, size)], response = _count(client, _with_size(url, size, case.api))
            assert _rows(response, case.api) >= min(size, total) - 1, (case.name, total, size)
            following = _next_link(response, case.api)
            if following:
                counts[(total, size, "next")], _response = _count(client, following)
    assert len(set(counts.values())) == 1, counts
    # The data did reach beyond one page of five, so the cursor path was measured too.
    assert (3 * N, 5, "next") in counts, counts


def _views():
    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                yield entry.callback

    for callback in walk(get_resolver().url_patterns):
        view = inspect.unwrap(callback)
        yield f"{getattr(view, '__module__', '')}.{getattr(view, '__name__', '')}", view


def _pages_with_keyset(view) -> bool:
    """Whether the view (or a helper in its module that it calls) pages with keyset_page."""
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return False
    if "keyset_page(" in source:
        return True
    module = inspect.getmodule(view)
    helpers = [
        name
        for name, member in vars(module).items()
        if inspect.isfunction(member)
        and member.__module__ == module.__name__
        and "keyset_page(" in inspect.getsource(member)
    ]
    return any(f"{name}(" in source for name in helpers)


def test_every_paged_view_is_measured():
    paged = {name for name, view in _views() if _pages_with_keyset(view)}
    assert paged, "the resolver walk found no paged views"
    missing = paged - set(PAGED_VIEWS)
    assert not missing, f"add these views to PAGED_VIEWS and CASES: {sorted(missing)}"
    measured = {case.name for case in CASES}
    assert set(PAGED_VIEWS.values()) <= measured


def test_no_view_uses_the_offset_paginator():
    offenders = []
    for name, view in _views():
        try:
            module_source = inspect.getsource(inspect.getmodule(view))
        except (OSError, TypeError):
            continue
        if "Paginator(" in module_source and name.startswith("jianfu."):
            offenders.append(name.rsplit(".", 1)[0])
    assert not offenders, sorted(set(offenders))


def test_the_pages_hold_jurisdiction_across_cursors(personas, login):
    """Following a cursor never reaches another community's rows."""
    state: dict = {}
    _tasks(personas, state, 7)
    own = login(personas.community_officer)
    other = login(personas.community_officer2)
    first = own.get(reverse("inbox") + "?size=5")
    following = _next_link(first, api=False)
    assert following and len(first.context["page"]) == 5
    assert len(own.get(following).context["page"]) == 2
    # The same link in the hands of 西林社区 shows nothing of 钟鼓楼社区's.
    assert len(other.get(following).context["page"]) == 0
    assert parse_qs(urlsplit(following).query)["size"] == ["5"]
