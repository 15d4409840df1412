"""The account behind a session: read with its unit, region and roles in one statement, and
refused as Django's ModelBackend refuses it (inactive, password changed, no such account)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from jianfu.org.backends import AccountBackend
from jianfu.org.models import User, UserRole
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db


def test_a_sessions_account_comes_with_its_unit_region_and_roles_in_one_statement(personas):
    officer = personas.community_officer
    with CaptureQueriesContext(connection) as statements:
        user = AccountBackend().get_user(officer.pk)
        unit, region, roles = user.unit, user.unit.region, user.role_set
    assert len(statements) == 1
    assert user == officer and user.password == officer.password
    assert (unit, region) == (officer.unit, officer.unit.region)
    assert unit.name == officer.unit.name and region.name == officer.unit.region.name
    assert roles == frozenset(officer.roles.values_list("role", flat=True))
    assert user.has_role(Role.COMMUNITY_OFFICER) and not user.has_role(Role.STREET_OFFICER)


def test_an_account_with_several_roles_or_none_or_no_unit_is_read_whole(personas):
    clerk = personas.dept_clerk
    UserRole.objects.create(user=clerk, role=Role.DEPT_HEAD)
    assert AccountBackend().get_user(clerk.pk).role_set == {Role.DEPT_CLERK, Role.DEPT_HEAD}
    UserRole.objects.filter(user=clerk).delete()
    User.objects.filter(pk=clerk.pk).update(unit=None)
    with CaptureQueriesContext(connection) as statements:
        user = AccountBackend().get_user(clerk.pk)
        assert (user.unit, user.role_set) == (None, frozenset())
    assert len(statements) == 1


def test_no_account_or_an_inactive_one_is_nobody(personas):
    assert AccountBackend().get_user(999_999) is None
    User.objects.filter(pk=personas.street_officer.pk).update(is_active=False)
    assert AccountBackend().get_user(personas.street_officer.pk) is None


def test_a_signed_in_page_reads_the_account_once_and_ends_with_a_password_change(personas):
    client = Client()
    signed_in = client.post(
        "/login/", {"username": personas.community_officer.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session[SESSION_KEY] == str(personas.community_officer.pk)
    assert client.session[BACKEND_SESSION_KEY] == "jianfu.org.backends.AccountBackend"
    with CaptureQueriesContext(connection) as statements:
        assert client.get(reverse("inbox")).status_code == 200
    reads = [s["sql"] for s in statements if "FROM org_user account" in s["sql"]]
    assert len(reads) == 1
    # Neither the unit nor the roles are read again on their own.
    assert not any(
        s["sql"].startswith(('SELECT "org_unit"', 'SELECT "org_userrole"')) for s in statements
    )
    officer = User.objects.get(pk=personas.community_officer.pk)
    officer.set_password("Another-Pass-2026")
    officer.save()
    assert client.get(reverse("inbox")).status_code == 302  # to the login page
