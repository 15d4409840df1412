"""Accounts, roles and the separation of the three administrators (三权分立)."""

import pytest
from django.db import IntegrityError, transaction

from conftest import PASSWORD
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.core.models import AuditRecord
from jianfu.org.models import Unit, User, UserRole
from jianfu.org.roles import Role
from jianfu.org.services import account_create, account_update


def test_the_database_refuses_a_second_admin_role_on_one_account(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserRole.objects.create(user=personas.system_admin, role=Role.AUDIT_ADMIN)
    assert personas.system_admin.roles.count() == 1


def test_no_account_may_hold_two_admin_roles_even_from_the_command_line(personas):
    with pytest.raises(InvalidInput, match="不能由同一账号兼任"):
        account_create(
            actor=None,
            username="both",
            display_name="",
            unit=personas.system_admin.unit,
            roles=[Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN],
            password=PASSWORD,
            granted_by_command=True,
        )
    assert not User.objects.filter(username="both").exists()


def test_admin_roles_cannot_be_granted_from_the_web(personas):
    with pytest.raises(InvalidInput, match="命令行"):
        account_create(
            actor=personas.system_admin,
            username="sneaky",
            display_name="",
            unit=personas.system_admin.unit,
            roles=[Role.AUDIT_ADMIN],
            password=PASSWORD,
        )
    with pytest.raises(InvalidInput, match="兼任业务角色"):
        account_update(
            actor=personas.system_admin,
            account=personas.dept_clerk,
            display_name="x",
            unit=personas.dept_clerk.unit,
            roles=[Role.DEPT_CLERK, Role.SECURITY_ADMIN],
            is_active=True,
        )


def test_admin_accounts_are_not_managed_from_the_web(personas):
    with pytest.raises(Forbidden):
        account_update(
            actor=personas.system_admin,
            account=personas.audit_admin,
            display_name="x",
            unit=personas.audit_admin.unit,
            roles=[Role.AUDIT_ADMIN],
            is_active=False,
        )
    personas.audit_admin.refresh_from_db()
    assert personas.audit_admin.is_active


def test_system_admin_opens_an_account_in_the_management_pages(personas, login):
    client = login(personas.system_admin)
    unit = Unit.objects.get(name="箭道街社区居民委员会")
    form = {
        "username": "jiandao_worker",
        "display_name": "王社工",
        "unit": unit.pk,
        "roles": [Role.COMMUNITY_OFFICER, Role.EVALUATOR],
        "password": "weak",
    }
    response = client.post("/manage/accounts/new/", form)
    assert response.status_code == 200
    assert "12" in response.content.decode()  # the policy's minimum length is explained
    assert not User.objects.filter(username="jiandao_worker").exists()
    form["password"] = "Jiandao-Street-2026"
    assert client.post("/manage/accounts/new/", form).status_code == 302
    account = User.objects.get(username="jiandao_worker")
    assert account.role_set == {Role.COMMUNITY_OFFICER, Role.EVALUATOR}
    assert account.jurisdiction_prefix == "511002001002"
    record = AuditRecord.objects.filter(action="account.create").order_by("-id").first()
    assert record.actor == personas.system_admin
    assert record.changes["after"]["username"] == "jiandao_worker"


def test_system_admin_edits_roles_and_resets_a_password(personas, login):
    client = login(personas.system_admin)
    clerk = personas.dept_clerk
    url = f"/manage/accounts/{clerk.pk}/"
    response = client.post(
        url,
        {
            "form": "edit",
            "display_name": "李经办",
            "unit": clerk.unit_id,
            "roles": [Role.DEPT_CLERK, Role.DEPT_HEAD],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    clerk = User.objects.get(pk=clerk.pk)
    assert clerk.role_set == {Role.DEPT_CLERK, Role.DEPT_HEAD}
    client.post(url, {"form": "password", "password": "Reset-By-Admin-2026"})
    clerk.refresh_from_db()
    assert clerk.check_password("Reset-By-Admin-2026")
    assert AuditRecord.objects.filter(action="account.password_reset", object_id=str(clerk.pk))


def test_a_deactivated_account_cannot_log_in(personas, login):
    from django.test import Client

    client = login(personas.system_admin)
    officer = personas.street_officer2
    client.post(
        f"/manage/accounts/{officer.pk}/",
        {
            "form": "edit",
            "display_name": officer.display_name,
            "unit": officer.unit_id,
            "roles": [Role.STREET_OFFICER],
        },
    )
    response = Client().post("/login/", {"username": officer.username, "password": PASSWORD})
    # Refused like a wrong password, so the page does not reveal which accounts exist.
    assert response.status_code == 200
    assert "账号或密码错误" in response.content.decode()


def test_unit_pages_create_and_edit(personas, login):
    client = login(personas.system_admin)
    response = client.post(
        "/manage/units/new/",
        {"name": "市中区退役军人事务局", "type": "department", "region": "511002000000"},
    )
    assert response.status_code == 302
    unit = Unit.objects.get(name="市中区退役军人事务局")
    duplicate = client.post(
        "/manage/units/new/",
        {"name": "市中区退役军人事务局", "type": "department", "region": "511002000000"},
    )
    assert "同名单位" in duplicate.content.decode()
    client.post(f"/manage/units/{unit.pk}/", {"name": unit.name, "type": "department"})
    unit.refresh_from_db()
    assert not unit.is_active
    assert AuditRecord.objects.filter(action="unit.update", object_id=str(unit.pk)).exists()


def test_only_a_whole_installation_admin_adds_a_province(personas, login):
    assert login(personas.system_admin).get("/manage/regions/new/").status_code == 200
    admin = personas.system_admin
    admin.unit = Unit.objects.get(name="市中区民政局")
    admin.save(update_fields=["unit"])
    assert login(admin).get("/manage/regions/new/").status_code == 403
