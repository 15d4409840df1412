"""The audit trail: every state change and every login writes one chained record here."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from jianfu.core.crypto import sm3_hex
from jianfu.core.models import AuditChainHead, AuditRecord, AuditResult

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditContext:
    ip: str = ""
    channel: str = "cli"


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=AuditContext(),  # noqa: B039 (frozen dataclass: immutable)
)


@contextmanager
def audit_context(*, ip: str, channel: str) -> Iterator[None]:
    """Attach the caller's address and channel (web, api, cli) to audit records written inside."""
    token = _context.set(AuditContext(ip=ip, channel=channel))
    try:
        yield
    finally:
        _context.reset(token)


def _normalise(changes: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so the hashed value is exactly what the database gives back.
    return json.loads(json.dumps(changes or {}, default=str, ensure_ascii=False))


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def record_digest(record: AuditRecord) -> str:
    """The SM3 hash over a record's content and the hash of the record before it."""
    content = {
        "created_at": _timestamp(record.created_at),
        "actor_id": record.actor_id,
        "actor_username": record.actor_username,
        "roles": record.roles,
        "unit_id": record.unit_id,
        "unit_name": record.unit_name,
        "ip": record.ip,
        "channel": record.channel,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "changes": record.changes,
        "result": record.result,
        "prev_hash": record.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sm3_hex(canonical)


def audit_record(
    *,
    actor: Any = None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict[str, Any] | None = None,
    result: str = AuditResult.SUCCESS,
    username: str = "",
) -> AuditRecord:
    """Append one record to the audit chain, inside the caller's transaction if there is one."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    unit = getattr(actor, "unit", None) if actor is not None else None
    context = _context.get()
    with transaction.atomic():
        # The row lock serialises concurrent appends, so each record links to the one before.
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
        record = AuditRecord(
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_username=getattr(actor, "username", "") or username,
            roles=",".join(sorted(actor.role_set)) if getattr(actor, "pk", None) else "",
            unit_id=getattr(unit, "pk", None),
            unit_name=getattr(unit, "name", ""),
            ip=context.ip,
            channel=context.channel,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=_normalise(changes),
            result=result,
            prev_hash=head.last_hash,
        )
        record.hash = record_digest(record)
        record.save(force_insert=True)
        head.last_record_id = record.pk
        head.last_hash = record.hash
        head.count += 1
        head.save(update_fields=["last_record_id", "last_hash", "count"])
    return record


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def audit_chain_verify(*, progress: Any = None) -> ChainVerdict:
    """Walk the whole chain in order and report the first record that does not fit."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    for record in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        if record.prev_hash != expected_prev:
            return ChainVerdict(False, checked, record.pk, "link")
        if record_digest(record) != record.hash:
            return ChainVerdict(False, checked, record.pk, "content")
        expected_prev = record.hash
        last_id = record.pk
        checked += 1
        if progress is not None:
            progress(checked)
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash, head_count = (head.last_hash, head.count) if head else (GENESIS_HASH, 0)
    if head_hash != expected_prev or head_count != checked:
        return ChainVerdict(False, checked, last_id or None, "tail")
    return ChainVerdict(True, checked)
