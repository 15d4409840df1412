"""The HTML inbox's statements: the session, the account with its unit and roles (one
statement), the page, its count and the unread notifications; the navigation decides from the
roles already read, without Django's permission tables."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jianfu.core.tests.test_list_query_counts import _tasks


def test_the_inbox_page_costs_five_statements_and_no_permission_table(personas):
    _tasks(personas, {}, 3)
    client = Client()
    client.force_login(personas.community_officer)
    client.get("/inbox/")  # the idle clock's first session write is not the page's cost
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/inbox/")
    assert response.status_code == 200
    assert len(response.context["page"]) == 3
    statements = [q["sql"] for q in queries]
    assert not [sql for sql in statements if "auth_permission" in sql], statements
    assert len(statements) == 5, [sql[:80] for sql in statements]


ADMINISTRATION = ("region_index", "unit_index", "account_index", "calendar_edit")


def _navigation(user) -> set[str]:
    client = Client()
    client.force_login(user)
    return {item["url"] for item in client.get(reverse("home")).context["navigation"]}


def test_the_navigation_shows_what_the_rules_allow(personas):
    officer = _navigation(personas.community_officer)
    assert {reverse("inbox"), reverse("catalog_index")} <= officer
    assert not {reverse(name) for name in (*ADMINISTRATION, "audit_list")} & officer
    admin = _navigation(personas.system_admin)
    assert {reverse(name) for name in ADMINISTRATION} <= admin
    assert reverse("audit_list") not in admin
    assert reverse("audit_list") in _navigation(personas.audit_admin)
