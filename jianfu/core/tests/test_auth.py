"""Login, lockout, idle timeout and the password policy."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from conftest import PASSWORD
from jianfu.core.models import AuditRecord, AuditResult


def _login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_is_chinese_by_default(db):
    page = Client().get("/login/").content.decode()
    assert "登录" in page and "账号" in page


def test_login_and_logout_are_audited(personas):
    client = Client()
    response = _login(client, "street_officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "城东街道办事处" in client.get("/").content.decode()
    client.post("/logout/")
    actions = list(
        AuditRecord.objects.filter(actor=personas.street_officer).values_list("action", flat=True)
    )
    assert actions[:2] == ["auth.logout", "auth.login"]
    assert client.get("/").status_code == 302


def test_failed_login_is_audited_with_the_username_tried(personas):
    _login(Client(), "street_officer", "wrong-password")
    record = AuditRecord.objects.order_by("-id").first()
    assert (record.action, record.result, record.actor_username) == (
        "auth.login",
        AuditResult.FAILURE,
        "street_officer",
    )


def test_five_failures_lock_the_account_for_thirty_minutes(personas):
    client = Client()
    for _attempt in range(4):
        assert _login(client, "dept_clerk", "wrong-password").status_code == 200
    assert _login(client, "dept_clerk", "wrong-password").status_code == 403
    # Even the right password is refused while locked.
    locked = _login(client, "dept_clerk", PASSWORD)
    assert locked.status_code == 403
    assert "锁定" in locked.content.decode()
    assert AuditRecord.objects.filter(action="auth.login_locked").exists()
    # Another account is not affected.
    assert _login(Client(), "dept_head", PASSWORD).status_code == 302
    with time_machine.travel(dt.timedelta(minutes=31)):
        assert _login(Client(), "dept_clerk", PASSWORD).status_code == 302


def test_four_failures_do_not_lock(personas):
    client = Client()
    for _attempt in range(4):
        _login(client, "dept_clerk", "wrong-password")
    assert _login(client, "dept_clerk", PASSWORD).status_code == 302


def test_idle_session_expires_after_thirty_minutes(personas):
    client = Client()
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _login(client, "community_officer", PASSWORD)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    # Activity at 29 minutes restarted the clock.
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert AuditRecord.objects.filter(action="auth.session_expired").exists()


@pytest.mark.parametrize(
    "password",
    ["Short-1a", "alllowercaseletters", "ALLUPPER12345678", "1234567890123456"],
)
def test_password_policy_refuses_weak_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_policy_accepts_twelve_characters_of_three_classes():
    validate_password("Grassroots-2026")


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)
def test_passwords_are_hashed_with_argon2(personas):
    from jianfu.org.services import account_set_password

    user = personas.dept_clerk
    account_set_password(actor=user, account=user, password="Another-Strong-Pass-9")
    user.refresh_from_db()
    assert user.password.startswith("argon2")


def test_user_changes_own_password(personas, login):
    client = login(personas.evaluator)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": "weak", "new_password_again": "weak"},
    )
    assert response.status_code == 200
    assert "12" in response.content.decode()
    new = "Residents-First-2026"
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert response.status_code == 302
    personas.evaluator.refresh_from_db()
    assert personas.evaluator.check_password(new)


def test_home_page_per_role(personas, login):
    admin_home = login(personas.system_admin).get("/").content.decode()
    assert "区划管理" in admin_home and "账号管理" in admin_home
    community_home = login(personas.community_officer).get("/").content.decode()
    assert "待办事项" in community_home
    assert "区划管理" not in community_home
    assert "钟鼓楼社区" in community_home
    security_home = login(personas.security_admin).get("/").content.decode()
    assert "当前被锁定的账号" in security_home


def test_interface_switches_to_english(personas, login):
    client = login(personas.dept_clerk)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Pending work" in page
    assert "待办事项" not in page


def test_healthz_checks_the_database(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
