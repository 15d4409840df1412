"""Benchmark: HTTP load on Jianfu's real server against a raw WSGI app doing the same SQL.

    .venv/bin/python benchmarks/load.py [--database sqlite|postgres|both] [--duration 10]
                                        [--connections 8] [--workers 2] [--rounds 3]
                                        [--json PATH] [--quick]

Needs wrk (`apt-get install wrk`). Each database is migrated and given a district (by
`jianfu gen-data --scale district` when the command exists, else the script's own bulk data),
and, for the load, API tokens and login sessions of community officers. Then two gunicorn
servers run on loopback with the same worker count: Jianfu (`jianfu.wsgi`, production
settings) and raw_wsgi.py (no Django; psycopg 3 or sqlite3). Each endpoint is checked to answer
the same content on both, and then loaded with wrk, ours and raw alternately. See
benchmarks/README.md for what is compared and the goals. This is a measurement, not a test: it
prints a table and exits 0 whether or not the goals are met.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import harness

# Run again with --child for the preparation of each database.
SCRIPT = Path(__file__)
RAW_APP = SCRIPT.with_name("raw_wsgi.py")
# The PostgreSQL scratch database; its template is this name with "_template".
POSTGRES_NAME = "jianfu_bench_load"
WRK_INSTALL = "wrk is not installed; this benchmark needs it: sudo apt-get install wrk"
RESULT_MARK = "LOAD-RESULT "
# The goals of the issue, as fractions of the raw app's throughput.
LIST_GOAL, VERIFY_GOAL = 0.3, 0.5
PAGE_LIMIT = 50

# The script's own district, when gen-data is not there: Chengdu's Jinjiang district, 14 streets
# of 24 communities, 30 departments, 100 tasks sent to every community (33,600 deliveries),
# a duty list of 1,000 items, 550 admissions.
PROVINCE, CITY, DISTRICT = "510000000000", "510100000000", "510104000000"
STREET_NAMES = (
    "督院街", "盐市口", "春熙路", "书院街", "合江亭", "水井坊", "牛市口",
    "龙舟路", "双桂路", "莲新", "沙河", "东光", "狮子山", "成龙路",
)  # fmt: skip
COMMUNITIES_PER_STREET = 24
DEPARTMENTS = (
    "区民政局", "区人力社保局", "区卫生健康局", "区住房建设局", "区城管委", "区市场监管局",
    "区应急管理局", "区司法局", "区教育局", "区文体旅局", "区生态环境局", "区商务局",
    "区统计局", "区医保局", "区退役军人局", "区残联", "区妇联", "团区委", "区总工会",
    "区科协", "区农业农村局", "区交通运输局", "区水务局", "区规划和自然资源局",
    "区发展改革局", "区财政局", "区审计局", "区档案馆", "区委政法委", "区委宣传部",
)  # fmt: skip
TASKS, LIST_ITEMS, ADMISSIONS = 100, 1_000, 550
TASK_TITLES = (
    "高龄津贴申领材料收集", "独居老人走访登记", "城乡居民医保参保动员", "燃气安全入户排查",
    "退役军人信息核对", "残疾人两项补贴复核", "防汛应急物资清点", "垃圾分类督导记录",
    "流动人口信息登记", "社区养老服务需求调查",
)  # fmt: skip


# Child processes ----------------------------------------------------------------------------------


def _gen_data_available() -> bool:
    from django.core.management import get_commands

    return "gen_data" in get_commands()


def _populate(data: str) -> str:
    """Fill the migrated database with a district; returns which data it is."""
    use_gen_data = data == "gen-data" or (data == "auto" and _gen_data_available())
    if use_gen_data:
        from django.core.management import call_command

        try:
            call_command("gen_data", "--scale", "district", "--seed", "2026")
        except Exception as error:
            raise SystemExit(
                f"jianfu gen-data failed ({error!r}); run with --data own to use this script's "
                "own district instead"
            ) from error
        return "jianfu gen-data --scale district --seed 2026"
    _own_district()
    return "load.py's own district"


def _own_district() -> None:
    """A district written in bulk: regions, units, officers, tasks and their deliveries, a list of
    1,000 items and 550 admissions, with a fixed seed."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from jianfu.admission.models import Admission, AdmissionScope
    from jianfu.dispatch.models import Delivery, Task
    from jianfu.org.models import Region, Unit, User, UserRole
    from jianfu.org.roles import Role

    rng = random.Random(2026)  # noqa: S311 (generated data, not secrets)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        regions = [
            Region(code=PROVINCE, name="四川省", level="province"),
            Region(code=CITY, name="成都市", level="city", parent_id=PROVINCE),
            Region(code=DISTRICT, name="锦江区", level="district", parent_id=CITY),
        ]
        streets, communities = [], []
        for s, street_name in enumerate(STREET_NAMES, start=1):
            street = f"{DISTRICT[:6]}{s:03d}000"
            streets.append(street)
            regions.append(
                Region(code=street, name=f"{street_name}街道", level="street", parent_id=DISTRICT)
            )
            for c in range(1, COMMUNITIES_PER_STREET + 1):
                code = f"{street[:9]}{c:03d}"
                communities.append(code)
                regions.append(
                    Region(
                        code=code,
                        name=f"{street_name}第{c}社区",
                        level="community",
                        parent_id=street,
                    )
                )
        Region.objects.bulk_create(regions)
        names = {r.code: r.name for r in regions}
        departments = Unit.objects.bulk_create(
            [
                Unit(
                    name=n,
                    type="department",
                    region_id=DISTRICT,
                    district_code=DISTRICT,
                    sort_key=n,
                )
                for n in DEPARTMENTS
            ]
        )
        Unit.objects.bulk_create(
            [
                Unit(
                    name=f"{names[code]}办事处",
                    type="street_office",
                    region_id=code,
                    district_code=DISTRICT,
                )
                for code in streets
            ]
        )
        committees = Unit.objects.bulk_create(
            [
                Unit(
                    name=f"{names[code]}居民委员会",
                    type="community_committee",
                    region_id=code,
                    district_code=DISTRICT,
                )
                for code in communities
            ]
        )
        unusable = make_password(None)
        officers = User.objects.bulk_create(
            [
                User(
                    username=f"sq{unit.region_id}",
                    display_name=f"{names[unit.region_id]}社工",
                    unit_id=unit.pk,
                    password=unusable,
                )
                for unit in committees
            ]
        )
        UserRole.objects.bulk_create(
            [UserRole(user_id=u.pk, role=Role.COMMUNITY_OFFICER) for u in officers]
        )

        admissions = []
        for n in range(1, ADMISSIONS + 1):
            year = 2025 if n <= 250 else 2026
            sequence = n if year == 2025 else n - 250
            start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 120))
            state = rng.choices(("active", "suspended", "revoked"), (90, 5, 5))[0]
            admissions.append(
                Admission(
                    number=f"锦江准〔{year}〕{sequence}号",
                    district_id=DISTRICT,
                    year=year,
                    sequence=sequence,
                    department=departments[n % len(departments)],
                    title=f"{rng.choice(TASK_TITLES)}（{n}）",
                    object_kind="task",
                    target_level="community",
                    content="按月收集、核对并报送相关材料。",
                    valid_from=start,
                    valid_until=start + dt.timedelta(days=rng.choice((364, 729))),
                    state=state,
                    state_reason="经费未按期到位" if state != "active" else "",
                )
            )
        admissions = Admission.objects.bulk_create(admissions)
        # Forty 2026 admissions renew one of 2025.
        for old, new in zip(admissions[:40], admissions[250:290], strict=True):
            new.previous = old
        Admission.objects.bulk_update(admissions[250:290], ["previous"])
        scope = []
        for admission in admissions:
            street = rng.randrange(len(STREET_NAMES))
            chosen = communities[
                street * COMMUNITIES_PER_STREET : (street + 1) * COMMUNITIES_PER_STREET
            ]
            for code in sorted(rng.sample(chosen, rng.randint(1, COMMUNITIES_PER_STREET))):
                scope.append(
                    AdmissionScope(
                        admission=admission,
                        region_id=code,
                        funding_fen=rng.randrange(5, 50) * 100_000,
                    )
                )
        AdmissionScope.objects.bulk_create(scope, batch_size=5000)

        tasks = []
        for n in range(1, TASKS + 1):
            admission = admissions[250 + n]
            cited = n % 10 != 0  # one task in ten cites a number that does not exist
            sent = now - dt.timedelta(days=TASKS - n, hours=rng.randrange(8))
            tasks.append(
                Task(
                    reference=f"JJ-2026-{n:04d}",
                    department=departments[n % len(departments)],
                    district_code=DISTRICT,
                    title=TASK_TITLES[n % len(TASK_TITLES)],
                    content="请各社区按要求收集材料，核对后于期限内报送。",
                    deadline=today + dt.timedelta(days=rng.randrange(-10, 40)),
                    outputs=[
                        {"kind": "form", "name": "汇总表"},
                        {"kind": "report", "name": "工作情况说明"},
                    ],
                    admission_number=admission.number if cited else f"锦江准〔2026〕{900 + n}号",
                    admission=admission if cited else None,
                    recipient_level="community",
                    recipient_codes=[DISTRICT],
                    status="cancelled" if n % 25 == 0 else "dispatched",
                    recipients_total=len(communities),
                    unadmitted_total=0 if cited else len(communities),
                    dispatched_at=sent,
                    cancelled_at=sent + dt.timedelta(days=1) if n % 25 == 0 else None,
                    cancel_reason="任务已合并" if n % 25 == 0 else "",
                )
            )
        tasks = Task.objects.bulk_create(tasks)
        deliveries = []
        for task in tasks:
            cited = task.admission_id is not None
            for code in communities:
                status = rng.choices(
                    ("received", "accepted", "completed", "refused"), (40, 30, 25, 5)
                )[0]
                if task.status == "cancelled":
                    status = "cancelled"
                elif not cited and status == "refused":
                    status = "received"
                arrived = task.dispatched_at
                accepted = (
                    arrived + dt.timedelta(hours=rng.randrange(1, 48))
                    if status in ("accepted", "completed")
                    else None
                )
                deliveries.append(
                    Delivery(
                        task=task,
                        region_id=code,
                        admitted_on_arrival=cited,
                        admitted=cited,
                        reasons=[] if cited else ["no_admission"],
                        status=status,
                        progress_percent=100
                        if status == "completed"
                        else (rng.randrange(0, 90, 10) if status == "accepted" else 0),
                        progress_note="已完成入户核对" if status == "completed" else "",
                        refusal_reason="非社区法定职责" if status == "refused" else "",
                        refused_at=arrived + dt.timedelta(days=1) if status == "refused" else None,
                        accepted_at=accepted,
                        completed_at=accepted + dt.timedelta(days=3)
                        if status == "completed"
                        else None,
                    )
                )
        Delivery.objects.bulk_create(deliveries, batch_size=5000)
        # auto_now_add wrote the clock of the insert; a delivery arrives when its task was sent.
        for task in tasks:
            Delivery.objects.filter(task=task).update(
                arrived_at=task.dispatched_at, updated_at=task.dispatched_at
            )
    _own_list(rng)


def _own_list(rng: random.Random) -> None:
    """The district's community duty list: 1,000 items (a tenth of them sub-items), published."""
    from django.db import transaction

    from jianfu.catalog import services as catalog
    from jianfu.catalog.models import Item
    from jianfu.org.models import Region

    duty = catalog.list_create(
        actor=None,
        name="锦江区社区依法履行职责事项清单",
        kind="duty",
        level="community",
        region=Region.objects.get(code=DISTRICT),
        code=f"{DISTRICT}-duty",
        first_label="2026版",
    )
    draft = duty.versions.get()
    items, parent = [], None
    for n in range(1, LIST_ITEMS + 1):
        sub = parent is not None and rng.random() < 0.1
        item = Item(
            version=draft,
            code=f"JJ-ZZ-{n:04d}",
            name=f"{rng.choice(TASK_TITLES)}第{n}项",
            category=rng.choice(("基层党建", "居民自治", "公共服务", "平安建设", "环境卫生")),
            legal_law="《中华人民共和国城市居民委员会组织法》",
            legal_article=f"第{rng.randint(2, 20)}条",
            department=rng.choice(DEPARTMENTS),
            parent_key=parent.key if sub else None,
            position=n,
        )
        items.append(item)
        if not sub:
            parent = item
    with transaction.atomic():
        Item.objects.bulk_create(items)
    catalog.version_publish(
        actor=None,
        version=draft,
        document_number="锦江减负〔2026〕1号",
        valid_from=dt.date(2026, 1, 1),
    )


def _fixtures(*, officers: int, admissions: int) -> dict:
    """Tokens and login sessions for the community officers with the fullest inboxes (in one
    district), the largest published list they read, and admission numbers to verify."""
    from django.db.models import Count
    from django.test import Client

    from jianfu.admission.models import Admission
    from jianfu.api.services import token_create
    from jianfu.catalog.models import ListVersion
    from jianfu.catalog.selectors import lists_visible_to
    from jianfu.dispatch.models import Delivery
    from jianfu.org.models import User
    from jianfu.org.roles import Role

    busiest = (
        Delivery.objects.filter(task__status="dispatched", task__recipient_level="community")
        .values("region_id")
        .annotate(n=Count("id"))
        .order_by("-n", "region_id")
    )
    district = busiest[0]["region_id"][:6]
    chosen, seen = [], set()
    for row in busiest.filter(region__code__startswith=district)[: officers * 4]:
        user = (
            User.objects.filter(
                unit__region_id=row["region_id"],
                unit__is_active=True,
                is_active=True,
                roles__role=Role.COMMUNITY_OFFICER,
            )
            .order_by("id")
            .first()
        )
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            chosen.append(user)
        if len(chosen) == officers:
            break
    people = []
    for user in chosen:
        client = Client()
        client.force_login(user, backend="jianfu.org.backends.AccountBackend")
        issued = token_create(actor=user, name="负载测试")
        people.append(
            {
                "username": user.username,
                "token": issued.secret,
                "session": client.cookies["sessionid"].value,
            }
        )
    version = (
        ListVersion.objects.filter(status="published", list__in=lists_visible_to(user=chosen[0]))
        .annotate(n=Count("items"))
        .order_by("-n", "id")
        .first()
    )
    numbers = list(Admission.objects.order_by("id").values_list("number", flat=True)[:admissions])
    return {
        "officers": people,
        "list_id": version.list_id,
        "list_items": version.n,
        "admissions": numbers,
    }


def child_prepare(spec: dict) -> dict:
    """The database: migrated, the district written, the officers' tokens and sessions issued."""
    fixtures: dict = {}

    def populate() -> None:
        source = _populate(spec["data"])
        fixtures.update(
            _fixtures(officers=spec["officers"], admissions=spec["admissions"]), source=source
        )

    info = harness.template_prepare(populate, analyze=True)
    return {**info, "fixtures": fixtures}


CHILDREN = {"prepare": child_prepare}


# The servers ---------------------------------------------------------------------------------------


def _gunicorn(
    app: str, *, port: int, workers: int, env: dict, log: Path, extra=()
) -> subprocess.Popen:
    """gunicorn serving app on loopback, as production runs it but without the access log
    (nginx keeps that in production; both servers are configured alike)."""
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning",
        "--forwarded-allow-ips", "127.0.0.1", *extra, app,
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, cwd=harness.PROJECT_DIR, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server at {url} stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not start:\n{log.read_text()[-3000:]}")


@contextmanager
def servers(env: dict, raw_database: str, *, port: int, workers: int, folder: Path):
    """Jianfu and the raw app, each under gunicorn with `workers` workers; yields their URLs."""
    raw_env = {**env, "RAW_DATABASE": raw_database, "TIME_ZONE": "Asia/Shanghai"}
    logs = folder / "ours.log", folder / "raw.log"
    ours = _gunicorn("jianfu.wsgi:application", port=port, workers=workers, env=env, log=logs[0])
    raw = _gunicorn(
        "raw_wsgi:application",
        port=port + 1,
        workers=workers,
        env=raw_env,
        log=logs[1],
        extra=("--pythonpath", str(RAW_APP.parent)),
    )
    urls = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    try:
        _wait_ready(urls[0], ours, logs[0])
        _wait_ready(urls[1], raw, logs[1])
        yield urls
    finally:
        for server in (ours, raw):
            server.terminate()
        for server in (ours, raw):
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(base: str, path: str, header: str = "") -> tuple[int, bytes]:
    """GET base+path with one optional "Name: value" header; redirects are not followed."""
    request = urllib.request.Request(base + path)  # noqa: S310
    if header:
        name, _colon, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# The endpoints -------------------------------------------------------------------------------------


class Endpoint:
    """One row of the table: its requests (path and header), the goal, and how to tell that two
    answers hold the same content."""

    name = ""
    operation = ""
    goal = LIST_GOAL

    def requests(self, fixtures: dict, ours: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def content(self, body: bytes):
        """What must be equal in ours and raw's answers, and whether it is non-empty."""
        raise NotImplementedError


def _bearer(person: dict) -> str:
    return f"Authorization: Bearer {person['token']}"


def _page_chain(ours: str, path: str, header: str, pages: int) -> list[str]:
    """The first `pages` pages of a cursor-paginated API list, as paths (cursors from ours)."""
    chain = [path]
    while len(chain) < pages:
        status, body = fetch(ours, chain[-1], header)
        cursor = json.loads(body).get("next_cursor") if status == 200 else None
        if not cursor:
            break
        chain.append(f"{path}&cursor={cursor}")
    return chain


class ApiInbox(Endpoint):
    name = "api_inbox"
    operation = "API list page: a community's inbox (/api/v1/inbox)"

    def requests(self, fixtures, ours):
        rows = []
        for person in fixtures["officers"]:
            # Pages 1 and 2 of each officer's inbox.
            for path in _page_chain(ours, f"/api/v1/inbox?limit={PAGE_LIMIT}", _bearer(person), 2):
                rows.append((path, _bearer(person)))
        return rows

    def content(self, body):
        data = json.loads(body)
        return data, bool(data.get("items"))


class ApiItems(Endpoint):
    name = "api_items"
    operation = "API list page: a list's items (/api/v1/lists/{id}/items)"

    def requests(self, fixtures, ours):
        people = fixtures["officers"]
        path = f"/api/v1/lists/{fixtures['list_id']}/items?limit={PAGE_LIMIT}"
        pages = _page_chain(ours, path, _bearer(people[0]), 10_000)
        # Every page of the list, each read with a different officer's token.
        return [(page, _bearer(people[n % len(people)])) for n, page in enumerate(pages * 2)]

    def content(self, body):
        data = json.loads(body)
        return data, bool(data.get("items"))


DELIVERY_LINK = re.compile(r"""href=["']/deliveries/(\d+)/["']""")


class HtmlInbox(Endpoint):
    name = "html_inbox"
    operation = "HTML list page: the inbox (/inbox/)"

    def requests(self, fixtures, ours):
        return [("/inbox/", f"Cookie: sessionid={p['session']}") for p in fixtures["officers"]]

    def content(self, body):
        ids = list(dict.fromkeys(DELIVERY_LINK.findall(body.decode())))
        return ids, bool(ids)


class VerifyAdmission(Endpoint):
    name = "verify"
    operation = "public verify: an admission number (/verify/admission/…)"
    goal = VERIFY_GOAL

    def requests(self, fixtures, ours):
        return [(f"/verify/admission/{quote(n)}", "") for n in fixtures["admissions"]]

    def content(self, body):
        text = body.decode()
        regions = re.findall(r'<span class="tag">([^<]*)</span>', text)
        status = re.search(r'class="status status-(\w+)"', text)
        return (regions, status.group(1) if status else None), bool(regions) and bool(status)


class Healthz(Endpoint):
    """The frame alone, without a goal: the health check runs one `SELECT 1` through every
    middleware and answers a small JSON body. It shows what the framework costs around any page,
    beside the goals of the rows above."""

    name = "healthz"
    operation = "the frame alone: the health check (/healthz, SELECT 1)"
    goal = None

    def requests(self, fixtures, ours):
        return [("/healthz", "")]

    def content(self, body):
        data = json.loads(body)
        return data, data.get("database") == "ok"


ENDPOINTS = (ApiInbox(), ApiItems(), HtmlInbox(), VerifyAdmission(), Healthz())


def _first_difference(ours, raw, where: str = "") -> str:
    if isinstance(ours, dict) and isinstance(raw, dict):
        for key in sorted(set(ours) | set(raw)):
            if ours.get(key, "<missing>") != raw.get(key, "<missing>"):
                return _first_difference(
                    ours.get(key, "<missing>"), raw.get(key, "<missing>"), f"{where}.{key}"
                )
    if isinstance(ours, list | tuple) and isinstance(raw, list | tuple) and len(ours) == len(raw):
        for n, (a, b) in enumerate(zip(ours, raw, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{where}[{n}]")
    return f"{where or 'answer'}: ours {str(ours)[:200]!r}, raw {str(raw)[:200]!r}"


def check_same(endpoint: Endpoint, requests: list, urls: tuple[str, str]) -> str | None:
    """Compare ours and raw's answers on a spread of the requests; the problem, or None."""
    step = max(1, len(requests) // 12)
    filled = False
    for path, header in requests[::step]:
        (status_ours, body_ours), (status_raw, body_raw) = (fetch(u, path, header) for u in urls)
        if status_ours != 200 or status_raw != 200:
            return f"{path}: HTTP {status_ours} from ours, {status_raw} from raw"
        (ours, ours_filled), (raw, _) = endpoint.content(body_ours), endpoint.content(body_raw)
        if ours != raw:
            return f"{path}: the answers differ, {_first_difference(ours, raw)}"
        filled = filled or ours_filled
    return None if filled else "every answer checked was empty"


# wrk -----------------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- Rotate through the requests listed in the file given after "--", one per line:
-- path<TAB>header line (optional). Count every answer that is not 2xx.
-- non2xx is a global: done() reads it from each thread with thread:get().
local prepared = {}
local counter = 0
local threads = {}
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, header = line:match("^([^\t]*)\t?(.*)$")
    local headers = {}
    if header ~= "" then
      local name, value = header:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    table.insert(prepared, wrk.format("GET", path, headers))
  end
  counter = (number or 1) * 7919
end

function request()
  counter = counter + 1
  return prepared[(counter % #prepared) + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'LOAD-RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
    '"p99_ms": %.3f, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, bad,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_run(url: str, lua: Path, requests_file: Path, *, seconds: float, connections: int) -> dict:
    """One wrk run (one thread: the machine's cores are for the servers); its LOAD-RESULT."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(lua), url, "--", str(requests_file),
    ]  # fmt: skip
    proc = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
            result["rps"] = result["requests"] / result["seconds"]
            return result
    raise SystemExit(f"wrk failed (exit code {proc.returncode}):\n{proc.stdout}{proc.stderr}")


def measure_endpoint(endpoint, requests, urls, folder: Path, args) -> dict:
    """Warm both servers, then load ours and raw alternately `rounds` times; medians count."""
    lua = folder / "rotate.lua"
    lua.write_text(WRK_SCRIPT)
    listing = folder / f"{endpoint.name}.txt"
    listing.write_text("".join(f"{path}\t{header}\n" for path, header in requests))
    run = lambda url, seconds: wrk_run(  # noqa: E731
        url, lua, listing, seconds=seconds, connections=args.connections
    )
    for url in urls:
        run(url, args.warmup)
    runs = {"ours": [], "raw": []}
    for _ in range(args.rounds):
        runs["ours"].append(run(urls[0], args.duration))
        runs["raw"].append(run(urls[1], args.duration))
    return runs


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


# The parent ----------------------------------------------------------------------------------------


def run_database(database: str, work: Path, args) -> tuple[list[dict], str]:
    """Prepare the database, start both servers, check and load every endpoint."""
    rows = []
    with harness.scratch_database(database, work, postgres_name=POSTGRES_NAME) as target:
        print(f"[{database}] migrating and writing the district …", flush=True)
        spec = {"mode": "prepare", "data": args.data, "officers": args.officers, "admissions": 500}
        prepared = harness.run_child(SCRIPT, spec, target.template_env())
        fixtures = prepared["fixtures"]
        print(
            f"[{database}] data: {fixtures['source']} ({prepared['setup_seconds']:.0f} s); "
            f"{len(fixtures['officers'])} officers, a list of {fixtures['list_items']} items, "
            f"{len(fixtures['admissions'])} admission numbers",
            flush=True,
        )
        env = target.fresh_env()
        raw_database = (
            env["DATABASE_URL"]
            if database == "postgres"
            else str(Path(env["JIANFU_DATA_DIR"]) / "jianfu.sqlite3")
        )
        folder = work / f"load-{database}"
        folder.mkdir()
        with servers(
            env, raw_database, port=args.port, workers=args.workers, folder=folder
        ) as urls:
            for endpoint in ENDPOINTS:
                if args.only and endpoint.name not in args.only:
                    continue
                requests = endpoint.requests(fixtures, urls[0])
                problem = check_same(endpoint, requests, urls)
                if problem:
                    print(f"[{database}] {endpoint.name}: NOT MEASURED, {problem}", flush=True)
                    rows.append(
                        harness.result_row(
                            operation=endpoint.operation,
                            database=database,
                            ours=0.0,
                            floor=0.0,
                            goal=endpoint.goal,
                            unit="req/s",
                            direction="min",
                            passed=False,
                            note=f"not measured: raw and ours differ: {problem}",
                        )
                    )
                    continue
                print(
                    f"[{database}] {endpoint.name}: {len(requests)} requests in rotation …",
                    flush=True,
                )
                runs = measure_endpoint(endpoint, requests, urls, folder, args)
                rows.append(_row(endpoint, database, runs))
        return rows, prepared["server"]


def _row(endpoint: Endpoint, database: str, runs: dict) -> dict:
    """The protocol row of an endpoint: the median runs' throughputs, invalid (failed) if any
    run saw an answer that was not 2xx or a socket error."""
    ours, raw = median_run(runs["ours"]), median_run(runs["raw"])
    failures = [
        f"{side}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors"
        for side in ("ours", "raw")
        for r in runs[side]
        if r["non2xx"] or r["socket_errors"]
    ]
    note = (
        f"p50/p95 ours {ours['p50_ms']:.1f}/{ours['p95_ms']:.1f} ms, "
        f"raw {raw['p50_ms']:.1f}/{raw['p95_ms']:.1f} ms; "
        f"req/s ours {_rates(runs['ours'])}, raw {_rates(runs['raw'])}"
    )
    if failures:
        note = "INVALID (" + "; ".join(dict.fromkeys(failures)) + "); " + note
    row = harness.result_row(
        operation=endpoint.operation,
        database=database,
        ours=round(ours["rps"], 1),
        floor=round(raw["rps"], 1),
        goal=endpoint.goal,
        unit="req/s",
        direction="min",
        passed=False if failures else None,
        note=note,
    )
    row["latency_ms"] = {
        side: {k: r[k] for k in ("p50_ms", "p95_ms", "p99_ms")}
        for side, r in (("ours", ours), ("raw", raw))
    }
    return row


def _rates(runs: list[dict]) -> str:
    return ", ".join(f"{r['rps']:.0f}" for r in runs)


def _versions() -> list[str]:
    import gunicorn

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (wrk.stdout + wrk.stderr).strip().splitlines()
    return [f"gunicorn {gunicorn.__version__}", first[0].split(" [")[0] if first else "wrk"]


def main() -> None:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--duration", type=float, default=10, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=8, help="open connections of wrk")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server")
    parser.add_argument("--rounds", type=int, default=3, help="ours/raw runs per endpoint")
    parser.add_argument("--officers", type=int, default=40, help="officers whose requests rotate")
    parser.add_argument("--port", type=int, default=18401, help="ours on PORT, raw on PORT+1")
    parser.add_argument(
        "--data",
        choices=("auto", "gen-data", "own"),
        default="auto",
        help="the district: jianfu gen-data if it exists (auto), or this script's own",
    )
    parser.add_argument("--only", nargs="*", choices=[e.name for e in ENDPOINTS])
    parser.add_argument("--quick", action="store_true", help="3 s runs, one round, 10 officers")
    args = parser.parse_args()
    if args.child:
        harness.child_main(CHILDREN, args.child)
        return
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_INSTALL)
    # Stopped with SIGTERM, the script still stops its servers and drops its databases.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.quick:
        args.duration, args.warmup, args.rounds, args.officers = 3, 1, 1, 10

    rows, servers_seen = [], []
    with harness.scratch_folder("jianfu-load-") as work:
        for database in harness.databases_chosen(args.database):
            database_rows, server = run_database(database, work, args)
            rows += database_rows
            servers_seen.append(server)
    machine = harness.machine_description(servers_seen, libraries=_versions())
    print()
    print(machine)
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.duration:g} s per run, "
        f"{args.rounds} round(s) of ours then raw after {args.warmup:g} s of warm-up each; "
        f"median run counts. gunicorn: {args.workers} sync workers each, no access log."
    )
    print()
    harness.print_table(
        (
            "operation",
            "database",
            "ours req/s",
            "raw req/s",
            "ratio",
            "goal",
            "pass",
            "p50/p95 ours ms",
            "p50/p95 raw ms",
        ),
        [_table_row(row) for row in rows],
    )
    for row in rows:
        if row["note"].startswith(("INVALID", "not measured")):
            print(f"! {row['operation']} ({row['database']}): {row['note']}")
    harness.write_results(args.json, benchmark="load", machine=machine, rows=rows)


def _table_row(row: dict) -> list[str]:
    latency = row.get("latency_ms")

    def pair(side: str) -> str:
        if not latency:
            return "-"
        return f"{latency[side]['p50_ms']:.1f}/{latency[side]['p95_ms']:.1f}"

    return [
        row["operation"],
        row["database"],
        f"{row['ours']:.0f}" if row["ratio"] else "-",
        f"{row['floor']:.0f}" if row["ratio"] else "-",
        f"{row['ratio']:.2f}" if row["ratio"] else "-",
        f"≥ {row['goal']}" if row["goal"] is not None else "—",
        "—" if row["goal"] is None else "yes" if row["passed"] else "NO",
        pair("ours"),
        pair("raw"),
    ]


if __name__ == "__main__":
    main()
