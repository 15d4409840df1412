"""Every state change writes an audit record that cannot be altered without detection (invariant 8)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from jianfu.core.audit import audit_chain_verify, audit_record
from jianfu.core.models import AuditRecord


def _write_records(n: int) -> list[AuditRecord]:
    return [audit_record(action="test.event", changes={"n": i}) for i in range(n)]


class _TriggersOff:
    """What an intruder with the database owner's rights can do: switch the guard off."""

    def __enter__(self):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER core_auditrecord_no_update")
                cursor.execute("DROP TRIGGER core_auditrecord_no_delete")
            else:
                cursor.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER USER")

    def __exit__(self, *exc):
        return False


@pytest.mark.django_db
def test_an_intact_chain_verifies():
    _write_records(5)
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checked == 5


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_audit_records():
    record = _write_records(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "test.event"


@pytest.mark.django_db
def test_a_changed_record_is_detected():
    records = _write_records(5)
    with _TriggersOff():
        AuditRecord.objects.filter(pk=records[2].pk).update(changes={"n": 99})
    verdict = audit_chain_verify()
    assert not verdict.ok
    assert verdict.broken_at == records[2].pk
    assert verdict.reason == "content"


@pytest.mark.django_db
def test_a_deleted_record_is_detected():
    records = _write_records(5)
    with _TriggersOff():
        AuditRecord.objects.filter(pk=records[1].pk).delete()
    verdict = audit_chain_verify()
    assert not verdict.ok
    assert verdict.broken_at == records[2].pk
    assert verdict.reason == "link"


@pytest.mark.django_db
def test_removing_the_newest_records_is_detected():
    records = _write_records(3)
    with _TriggersOff():
        AuditRecord.objects.filter(pk=records[-1].pk).delete()
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.reason == "tail"


@pytest.mark.django_db
def test_audit_verify_command_exits_non_zero_on_a_broken_chain(capsys):
    records = _write_records(3)
    call_command("audit_verify")
    with _TriggersOff():
        AuditRecord.objects.filter(pk=records[0].pk).update(ip="10.0.0.9")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    assert str(records[0].pk) in capsys.readouterr().err


def test_services_write_their_own_audit_rows(personas, login):
    before = AuditRecord.objects.count()
    client = login(personas.system_admin)
    response = client.post(
        "/manage/regions/511002001000/",
        {"form": "child", "code": "511002001009", "name": "新建社区", "level": "community"},
    )
    assert response.status_code == 302
    record = AuditRecord.objects.order_by("-id").first()
    assert AuditRecord.objects.count() == before + 1
    assert record.action == "region.create"
    assert record.actor == personas.system_admin
    assert record.object_id == "511002001009"
    assert record.roles == "system_admin"
    assert record.unit_name == "平台运维中心"
    assert record.ip == "127.0.0.1"
    assert record.channel == "web"


def test_audit_admin_browses_and_verifies_the_trail(
    personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.audit_admin)
    page = client.get("/audit/?action=demo")
    assert page.status_code == 200
    assert "demo.load" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audit/verify/")
    job_page = client.get(response["Location"]).content.decode()
    assert "审计链完整" in job_page


def test_only_the_audit_admin_reads_the_trail(personas, login):
    for persona in (personas.system_admin, personas.security_admin, personas.auditor):
        assert login(persona).get("/audit/").status_code == 403
