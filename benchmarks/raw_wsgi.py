"""The raw floor of the HTTP load test (load.py): a plain WSGI callable, no Django, on psycopg 3
or sqlite3, answering the same five addresses as Jianfu with the same SQL work.

    gunicorn --workers 2 --bind 127.0.0.1:18402 --pythonpath benchmarks raw_wsgi:application

Configured by the environment: RAW_DATABASE (a `postgres://…` URL, or the path of the SQLite
file), SECRET_KEY (the server's, to check session signatures) and TIME_ZONE.

For each address it does what Jianfu's view must do and nothing else: authenticate the same way
(the bearer token's SM3 hash looked up in the token table, with its once-a-minute "last used"
write; or the session row by its key, its signature checked and the user's session hash
compared), read the user's unit and roles, run the page query with the same WHERE, ORDER BY,
LIMIT and cursor, and write the same fields — JSON for the API, a minimal HTML table for the
pages. It has no middleware, no templates, no ORM and no translations: that is the floor.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import os
import sqlite3
import uuid
import zlib
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes

UTC = dt.UTC
SECRET_KEY = os.environ.get("SECRET_KEY", "")
TIME_ZONE = ZoneInfo(os.environ.get("TIME_ZONE", "Asia/Shanghai"))
DATABASE = os.environ.get("RAW_DATABASE", "")
SESSION_COOKIE = "sessionid"
TOKEN_PREFIX = "jf_"  # noqa: S105 (the marker of Jianfu's tokens, not a secret)
LAST_USED_SECONDS = 60
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
HTML_PAGE_SIZE = 50
# The HTML pages count their rows no further than this (jianfu.core.paging.COUNT_CAP).
COUNT_CAP = 10_000
SENT_STATUSES = ("dispatched", "cancelled")
EDITOR_ROLES = {"review_officer", "group_secretary", "street_officer"}

DELIVERY_LABELS = {
    "received": "待处理",
    "accepted": "已接收",
    "refusal_requested": "拒绝待审核",
    "refused": "已拒绝",
    "completed": "已完成",
    "cancelled": "已撤回",
}
TASK_LABELS = {"dispatching": "派发中", "dispatched": "已派发", "failed": "派发失败"}
TASK_LABELS["cancelled"] = "已撤回"
ADMISSION_LABELS = {
    "active": "有效",
    "expired": "已到期",
    "revoked": "已撤销",
    "suspended": "已暂停",
}
REASON_LABELS = {
    "no_basis": "未引用准入编号或社区职责事项",
    "no_admission": "准入编号不存在",
    "admission_expired": "准入已到期",
    "admission_revoked": "准入已撤销",
    "admission_suspended": "准入已暂停",
    "admission_not_yet_valid": "准入尚未生效",
    "outside_scope": "接收单位不在准入范围内",
    "other_department": "准入属于其他部门",
    "unfunded": "准入未为该单位落实经费",
    "funds_overdue": "准入经费逾期未拨付到该单位，准入已对其暂停",
    "negative_list": "事项属于负面清单",
    "duty_not_listed": "所引事项不在本单位依法履行职责事项清单内",
}
# What a community officer may do with a delivery of their own community, by its status (the
# same table as jianfu.dispatch.services.DELIVERY_ACTIONS, for the recipient's permission).
RECIPIENT_ACTIONS = {
    "received": ["accept", "refuse"],
    "accepted": ["refuse", "progress", "complete"],
    "refusal_requested": ["refuse"],
}


# The connection: one per worker process, opened on its first request -----------------------------


class Database:
    def __init__(self, target: str):
        self.postgres = target.startswith(("postgres://", "postgresql://"))
        self.target = target
        self.connection = None

    def _connect(self):
        if self.postgres:
            import psycopg

            return psycopg.connect(self.target, autocommit=True)
        connection = sqlite3.connect(self.target, isolation_level=None, check_same_thread=False)
        # The same connection settings as Jianfu's (jianfu/settings.py).
        connection.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=1073741824; PRAGMA busy_timeout=20000;"
        )
        return connection

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.connection is None:
            self.connection = self._connect()
        if not self.postgres:
            sql = sql.replace("%s", "?")
        cursor = self.connection.execute(sql, params)
        return cursor.fetchall()

    def one(self, sql: str, params: tuple = ()) -> tuple | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def execute(self, sql: str, params: tuple = ()) -> None:
        if self.connection is None:
            self.connection = self._connect()
        if not self.postgres:
            sql = sql.replace("%s", "?")
        self.connection.execute(sql, params)

    def stamp(self, value: dt.datetime):
        """A datetime as a query parameter: SQLite holds Django's naive UTC text."""
        return value if self.postgres else value.replace(tzinfo=None).isoformat(" ")

    # Values as the two databases return them, in the form Jianfu's JSON writes them.

    def when(self, value) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value.astimezone(UTC) if value is not None else None
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)

    def day(self, value) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(value)

    def json(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def uuid(self, value) -> str | None:
        if value is None:
            return None
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))

    def boolean(self, value) -> bool:
        return bool(value)


db = Database(DATABASE)


def iso(value: dt.datetime | None) -> str | None:
    """A datetime as Django's JSON encoder writes it: milliseconds, "Z" for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# Authentication ---------------------------------------------------------------------------------


class User:
    __slots__ = ("id", "is_active", "level", "region", "roles", "unit_active", "unit_id")

    def __init__(self, row: tuple, roles: set[str]):
        self.id, self.is_active, self.unit_id, self.unit_active, self.region, self.level = row
        self.unit_active = db.boolean(self.unit_active)
        self.roles = roles


USER_COLUMNS = "u.id, u.is_active, n.id, n.is_active, n.region_id, r.level"
USER_JOINS = (
    "FROM org_user u LEFT JOIN org_unit n ON n.id = u.unit_id "
    "LEFT JOIN org_region r ON r.code = n.region_id"
)


def _roles(user_id: int) -> set[str]:
    return {
        row[0] for row in db.rows("SELECT role FROM org_userrole WHERE user_id = %s", (user_id,))
    }


def _sm3_hex(text: str) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(text.encode())
    return digest.finalize().hex()


def token_user(environ: dict) -> User | None:
    """The active user of the bearer token, as jianfu.api.services.token_authenticate finds it."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX):
        return None
    row = db.one(
        f"SELECT {USER_COLUMNS}, t.id, t.last_used_at FROM api_apitoken t "  # noqa: S608
        "JOIN org_user u ON u.id = t.user_id "
        "LEFT JOIN org_unit n ON n.id = u.unit_id LEFT JOIN org_region r ON r.code = n.region_id "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active LIMIT 1",
        (_sm3_hex(secret),),
    )
    if row is None:
        return None
    now = dt.datetime.now(UTC)
    last_used = db.when(row[7])
    if last_used is None or (now - last_used).total_seconds() > LAST_USED_SECONDS:
        db.execute(
            "UPDATE api_apitoken SET last_used_at = %s WHERE id = %s", (db.stamp(now), row[6])
        )
    return User(row[:6], _roles(row[0]))


def _salted_hmac(salt: str, value: str) -> hmac.HMAC:
    key = hashlib.sha256((salt + SECRET_KEY).encode()).digest()
    return hmac.new(key, msg=value.encode(), digestmod=hashlib.sha256)


def _b64_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _session_data(signed: str) -> dict | None:
    """The session's data if its signature is good (django.core.signing's format)."""
    value, _colon, signature = signed.rpartition(":")
    salt = "django.contrib.sessions.SessionStore"
    expected = base64.urlsafe_b64encode(_salted_hmac(salt + "signer", value).digest()).strip(b"=")
    if not hmac.compare_digest(expected, signature.encode()):
        return None
    payload = value.rpartition(":")[0]
    compressed = payload.startswith(".")
    data = _b64_decode(payload[1:] if compressed else payload)
    return json.loads(zlib.decompress(data) if compressed else data)


def session_user(environ: dict) -> User | None:
    """The user of the session cookie, checked as Django's session and auth middleware do."""
    key = None
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, _eq, value = part.strip().partition("=")
        if name == SESSION_COOKIE:
            key = value
    if not key:
        return None
    row = db.one(
        "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
        (key, db.stamp(dt.datetime.now(UTC))),
    )
    data = _session_data(row[0]) if row else None
    if not data or "_auth_user_id" not in data:
        return None
    found = db.one(
        f"SELECT {USER_COLUMNS}, u.password {USER_JOINS} WHERE u.id = %s",
        (int(data["_auth_user_id"]),),
    )
    if found is None or not found[1]:
        return None
    session_hash = _salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", found[6]
    ).hexdigest()
    if not hmac.compare_digest(session_hash, data.get("_auth_user_hash", "")):
        return None
    return User(found[:6], _roles(found[0]))


# Cursors ----------------------------------------------------------------------------------------


def cursor_encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def cursor_decode(text: str):
    return json.loads(_b64_decode(text))


def page_params(query: dict) -> tuple[int | None, int]:
    cursor = query.get("cursor", [""])[0]
    limit = int(query.get("limit", [DEFAULT_LIMIT])[0])
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(limit)
    return (cursor_decode(cursor) if cursor else None), limit


# The inbox ---------------------------------------------------------------------------------------

INBOX_SQL = (
    "SELECT d.id, d.region_id, r.name, d.admitted, d.reasons, d.admitted_on_arrival, d.status, "
    "d.progress_percent, d.progress_note, d.refusal_reason, d.refused_while_admitted, "
    "d.arrived_at, d.accepted_at, d.refused_at, d.completed_at, d.completed_late, d.updated_at, "
    "t.id, t.reference, t.title, t.department_id, dep.name, t.deadline, t.status, "
    "t.recipient_level, t.admission_number, t.duty_item_key, t.duty_item_name, "
    "t.recipients_total, t.unadmitted_total, t.created_at, t.dispatched_at, t.cancelled_at, "
    "t.content, t.outputs, t.cancel_reason, t.check_details "
    "FROM dispatch_delivery d JOIN dispatch_task t ON t.id = d.task_id "
    "JOIN org_unit dep ON dep.id = t.department_id JOIN org_region r ON r.code = d.region_id"
)


def _inbox_where(user: User) -> tuple[str, list] | None:
    """The WHERE of the user's inbox: the deliveries addressed to their own street or community
    (jianfu.dispatch.selectors.inbox_for); None when there are none."""
    if not user.unit_id or not user.region or not user.unit_active:
        return None
    levels = [
        level
        for role, level in (("community_officer", "community"), ("street_officer", "street"))
        if role in user.roles
    ]
    if not levels:
        return None
    marks = ", ".join(["%s"] * len(levels))
    where = f"d.region_id = %s AND t.recipient_level IN ({marks}) AND t.status IN (%s, %s)"
    return where, [user.region, *levels, *SENT_STATUSES]


def inbox_rows(user: User, *, before: int | None, limit: int, order: str) -> list[tuple]:
    """A page of the user's inbox in `order`, after the delivery `before` (by id, descending)."""
    found = _inbox_where(user)
    if found is None:
        return []
    where, params = found
    if before is not None:
        where += " AND d.id < %s"
        params.append(before)
    return db.rows(f"{INBOX_SQL} WHERE {where} ORDER BY {order} LIMIT %s", (*params, limit))


def inbox_count(user: User, cap: int) -> int:
    """How many deliveries the inbox holds, counted no further than cap + 1."""
    found = _inbox_where(user)
    if found is None:
        return 0
    where, params = found
    row = db.one(
        "SELECT COUNT(*) FROM (SELECT d.id FROM dispatch_delivery d "  # noqa: S608
        f"JOIN dispatch_task t ON t.id = d.task_id WHERE {where} LIMIT %s) AS capped",
        (*params, cap + 1),
    )
    return row[0]


def reason_texts(task_admission: str, details: dict, reasons: list[str]) -> list[str]:
    """The reasons as a recipient reads them (jianfu.dispatch.services.reason_texts)."""
    admission = details.get("admission") or {}
    number = admission.get("number", "")
    texts = []
    for code in reasons:
        if code == "no_admission":
            text = f"准入编号“{task_admission}”在准入目录中不存在"
        elif code == "admission_expired":
            text = f"准入 {number} 已于 {admission.get('valid_until', '')} 到期"
            if admission.get("renewed_as"):
                text += f"（已续期为 {admission['renewed_as']}）"
        elif code == "admission_not_yet_valid":
            text = f"准入 {number} 自 {admission.get('valid_from', '')} 起生效"
        elif code in ("admission_revoked", "admission_suspended"):
            text = f"{REASON_LABELS[code]}（{number}）"
        elif code == "other_department":
            department = admission.get("department", "")
            text = f"准入 {number} 属于{department}，不是派发部门的准入"
        elif code == "negative_list":
            entries = details.get("negative") or []
            text = "事项属于负面清单：" + "、".join(
                f"《{e['list']}》“{e['entry']}”" for e in entries
            )
        else:
            text = REASON_LABELS.get(code, code)
        texts.append(text)
    return texts


def delivery_json(user: User, row: tuple) -> dict:
    (
        pk, region, region_name, admitted, reasons, on_arrival, status, percent, note, refusal,
        refused_admitted, arrived, accepted, refused, completed, late, updated,
        task_id, reference, title, department_id, department, deadline, task_status, level,
        admission_number, duty_key, duty_name, total, unadmitted, created, dispatched, cancelled,
        content, outputs, cancel_reason, details,
    ) = row  # fmt: skip
    reasons = db.json(reasons)
    texts = reason_texts(admission_number, db.json(details) or {}, reasons)
    admitted = db.boolean(admitted)
    actions = []
    role = "street_officer" if level == "street" else "community_officer"
    if (
        task_status == "dispatched"
        and user.unit_active
        and region == user.region
        and role in (user.roles)
    ):
        actions = list(RECIPIENT_ACTIONS.get(status, ()))
        if status == "refusal_requested" and admitted:
            actions = []
    return {
        "id": pk,
        "region": region,
        "region_name": region_name,
        "admitted": admitted,
        "reasons": [{"code": c, "text": t} for c, t in zip(reasons, texts, strict=True)],
        "admitted_on_arrival": db.boolean(on_arrival),
        "status": status,
        "status_label": DELIVERY_LABELS[status],
        "progress_percent": percent,
        "progress_note": note,
        "refusal_reason": refusal,
        "refused_while_admitted": db.boolean(refused_admitted),
        "arrived_at": iso(db.when(arrived)),
        "accepted_at": iso(db.when(accepted)),
        "refused_at": iso(db.when(refused)),
        "completed_at": iso(db.when(completed)),
        "completed_late": db.boolean(late),
        "updated_at": iso(db.when(updated)),
        "actions": actions,
        "notice_url": f"/api/v1/deliveries/{pk}/notice.pdf" if status == "refused" else None,
        "task": {
            "id": task_id,
            "reference": reference,
            "title": title,
            "department": {"id": department_id, "name": department},
            "deadline": date_text(db.day(deadline)),
            "status": task_status,
            "status_label": TASK_LABELS[task_status],
            "recipient_level": level,
            "admission_number": admission_number or None,
            "duty_item": None
            if duty_key is None
            else {"key": db.uuid(duty_key), "name": duty_name},
            "recipients_total": total,
            "unadmitted_total": unadmitted,
            "created_at": iso(db.when(created)),
            "dispatched_at": iso(db.when(dispatched)),
            "cancelled_at": iso(db.when(cancelled)),
            "content": content,
            "outputs": db.json(outputs),
            "cancel_reason": cancel_reason,
        },
    }


def api_inbox(environ: dict, query: dict):
    user = token_user(environ)
    if user is None:
        return json_response(401, {"error": {"code": "unauthenticated"}})
    before, limit = page_params(query)
    rows = inbox_rows(user, before=before, limit=limit + 1, order="d.id DESC")
    more = len(rows) > limit
    items = [delivery_json(user, row) for row in rows[:limit]]
    return json_response(
        200, {"next_cursor": cursor_encode(items[-1]["id"]) if more else None, "items": items}
    )


def html_inbox(environ: dict, query: dict):
    user = session_user(environ)
    if user is None:
        return 302, "text/plain", b""
    if not user.roles & {"community_officer", "street_officer"}:
        return 403, "text/plain", b""
    # The first page in the page's keyset order (newest task first), and the total it shows.
    rows = inbox_rows(user, before=None, limit=HTML_PAGE_SIZE + 1, order="t.id DESC, d.id DESC")
    total = inbox_count(user, COUNT_CAP)
    shown = f"超过 {COUNT_CAP:,} 项" if total > COUNT_CAP else f"共 {total} 项"
    lines = [
        "<!doctype html><html lang='zh-hans'><meta charset='utf-8'><title>收到的任务</title>",
        f"<p>{shown}</p>",
        "<table><tr><th>任务</th><th>派发部门</th><th>完成时限</th><th>状态</th><th>操作</th></tr>",
    ]
    esc = html.escape
    for row in rows[:HTML_PAGE_SIZE]:
        delivery = delivery_json(user, row)
        task = delivery["task"]
        lines.append(
            f"<tr><td><a href='/deliveries/{delivery['id']}/'>{esc(task['title'])}</a>"
            f"<br><code>{esc(task['reference'])}</code></td>"
            f"<td>{esc(task['department']['name'])}</td><td>{task['deadline']}</td>"
            f"<td>{esc(delivery['status_label'])}"
            f"{''.join('<br>' + esc(r['text']) for r in delivery['reasons'])}</td>"
            f"<td>{' '.join(delivery['actions'])}</td></tr>"
        )
    if len(rows) > HTML_PAGE_SIZE:
        lines.append(f"<a href='?cursor={cursor_encode([task['id'], delivery['id']])}'>下一页</a>")
    lines.append("</table></html>")
    return 200, "text/html; charset=utf-8", "\n".join(lines).encode()


# A list's items -----------------------------------------------------------------------------------


def _ancestor_codes(code: str) -> list[str]:
    return [
        code[:length].ljust(12, "0")
        for length in (2, 4, 6, 9)
        if code[:length].ljust(12, "0") != code and code[length:].strip("0")
    ]


PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}


def api_list_items(environ: dict, query: dict, list_id: int):
    user = token_user(environ)
    if user is None:
        return json_response(401, {"error": {"code": "unauthenticated"}})
    # The lists the user may read: national ones, those inside the jurisdiction, and those of
    # the regions above it (jianfu.catalog.selectors.lists_visible_to).
    if not user.unit_id or not user.unit_active:
        visible = ("l.region_id IS NULL", ())
    elif user.region is None:
        visible = ("TRUE", ())
    else:
        ancestors = _ancestor_codes(user.region)
        prefix = user.region[: PREFIX_LENGTH[user.level]]
        visible = (
            "(l.region_id IS NULL OR l.region_id LIKE %s"
            + "".join(" OR l.region_id = %s" for _ in ancestors)
            + ")",
            (prefix + "%", *ancestors),
        )
    found = db.one(
        f"SELECT l.id FROM catalog_cataloglist l WHERE l.id = %s AND {visible[0]}",  # noqa: S608
        (list_id, *visible[1]),
    )
    if found is None:
        return json_response(404, {"error": {"code": "not_found"}})
    # Editors would see drafts too; the version asked for is the current (published) one.
    version = db.one(
        "SELECT id, label, status, document_number, valid_from, valid_until, published_at "
        "FROM catalog_listversion WHERE list_id = %s AND status = %s "
        "ORDER BY valid_from DESC, created_at DESC LIMIT 1",
        (list_id, "published"),
    )
    if version is None:
        return json_response(404, {"error": {"code": "not_found"}})
    after, limit = page_params(query)
    sql = (
        "SELECT id, key, code, name, category, power_type, legal_law, legal_article, legal_text, "
        "department, parent_key, position, remarks FROM catalog_item WHERE version_id = %s"
    )
    params: tuple = (version[0],)
    if after is not None:
        sql += " AND id > %s"
        params += (after,)
    rows = db.rows(sql + " ORDER BY id LIMIT %s", (*params, limit + 1))
    more = len(rows) > limit
    items = [
        {
            "id": pk,
            "key": db.uuid(key),
            "code": code,
            "name": name,
            "category": category,
            "power_type": power_type,
            "legal_law": law,
            "legal_article": article,
            "legal_text": text,
            "department": department,
            "parent_key": db.uuid(parent),
            "position": position,
            "remarks": remarks,
        }
        for (
            pk, key, code, name, category, power_type, law, article, text, department, parent,
            position, remarks,
        ) in rows[:limit]
    ]  # fmt: skip
    return json_response(
        200,
        {
            "next_cursor": cursor_encode(items[-1]["id"]) if more else None,
            "version": {
                "id": version[0],
                "label": version[1],
                "status": version[2],
                "document_number": version[3],
                "valid_from": date_text(db.day(version[4])),
                "valid_until": date_text(db.day(version[5])),
                "published_at": iso(db.when(version[6])),
            },
            "items": items,
        },
    )


# The public verification of an admission number ----------------------------------------------------


def verify_admission(number: str):
    number = number.strip().rstrip("/").replace(" ", "").replace("[", "〔").replace("]", "〕")
    found = db.one(
        "SELECT a.id, a.number, a.title, a.state, a.valid_from, a.valid_until, a.provisional, "
        "a.target_level, a.state_reason, a.state_reference, dep.name, dis.name, prev.number "
        "FROM admission_admission a JOIN org_unit dep ON dep.id = a.department_id "
        "JOIN org_region dis ON dis.code = a.district_id "
        "LEFT JOIN admission_admission prev ON prev.id = a.previous_id WHERE a.number = %s",
        (number,),
    )
    esc = html.escape
    if found is None:
        body = f"<!doctype html><meta charset='utf-8'><p>查无此准入编号：{esc(number)}</p>"
        return 404, "text/html; charset=utf-8", body.encode()
    pk, number, title, state, valid_from, valid_until, provisional = found[:7]
    target_level, reason, reference, department, district, previous = found[7:]
    regions = db.rows(
        "SELECT r.name FROM admission_admissionscope s JOIN org_region r ON r.code = s.region_id "
        "WHERE s.admission_id = %s ORDER BY s.region_id",
        (pk,),
    )
    renewals = db.rows(
        "SELECT number FROM admission_admission WHERE previous_id = %s ORDER BY id", (pk,)
    )
    today = dt.datetime.now(TIME_ZONE).date()
    valid_from, valid_until = db.day(valid_from), db.day(valid_until)
    status = "expired" if state == "active" and today > valid_until else state
    label = ADMISSION_LABELS[status]
    lines = [
        f"<!doctype html><html lang='zh-hans'><meta charset='utf-8'><title>{esc(number)}</title>",
        f"<p class='verdict'>{label} {esc(number)}{' 临时准入' if provisional else ''}</p><dl>",
        f"<dt>事项名称</dt><dd>{esc(title)}</dd><dt>主管部门</dt><dd>{esc(department)}</dd>",
        f"<dt>区县</dt><dd>{esc(district)}</dd>",
        f"<dt>{'适用街道' if target_level == 'street' else '适用社区'}</dt><dd>",
        "".join(f'<span class="tag">{esc(name)}</span>' for (name,) in regions) or "—",
        f"</dd><dt>有效期</dt><dd>{valid_from} – {valid_until}</dd>",
        f'<dt>状态</dt><dd><span class="status status-{status}">{label}</span></dd>',
    ]
    if state == "revoked":
        lines.append(
            f"<dt>撤销理由</dt><dd>{esc(reason)}</dd><dt>决定文号</dt><dd>{esc(reference)}</dd>"
        )
    if previous:
        lines.append(f"<dt>续期自</dt><dd>{esc(previous)}</dd>")
    if renewals:
        lines.append("<dt>已续期为</dt><dd>" + "、".join(esc(n) for (n,) in renewals) + "</dd>")
    lines.append(f"</dl><p>核验日期：{today}</p></html>")
    return 200, "text/html; charset=utf-8", "".join(lines).encode()


# The health check: one trivial statement ------------------------------------------------------------


def healthz():
    db.one("SELECT 1")
    return json_response(200, {"status": "ok", "database": "ok"})


# The WSGI callable ---------------------------------------------------------------------------------


def json_response(status: int, body: dict):
    return status, "application/json; charset=utf-8", json.dumps(body, ensure_ascii=False).encode()


REASONS = {200: "200 OK", 302: "302 Found", 401: "401 Unauthorized", 403: "403 Forbidden"}
REASONS |= {404: "404 Not Found", 400: "400 Bad Request"}


def application(environ: dict, start_response):
    # WSGI hands the path over as latin-1 text of the raw bytes.
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        if path == "/api/v1/inbox":
            status, content_type, body = api_inbox(environ, query)
        elif path.startswith("/api/v1/lists/") and path.endswith("/items"):
            status, content_type, body = api_list_items(environ, query, int(path.split("/")[4]))
        elif path == "/inbox/":
            status, content_type, body = html_inbox(environ, query)
        elif path.startswith("/verify/admission/"):
            status, content_type, body = verify_admission(path[len("/verify/admission/") :])
        elif path == "/healthz":
            status, content_type, body = healthz()
        else:
            status, content_type, body = 404, "text/plain", b""
    except ValueError:
        status, content_type, body = 400, "text/plain", b""
    start_response(
        REASONS[status], [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    )
    return [body]
