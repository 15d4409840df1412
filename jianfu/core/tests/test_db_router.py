"""The primary/replica router: read-only pages read from the replica, everything else (every
write, every read after a write or inside a transaction, sessions) from the primary; without a
replica configured, everything from the primary, as before.

Most tests give the test database a second alias, `replica`, with a connection of its own (as
Django's test mirror does), and look at which connection ran each query. The tests marked
`replica` run against a real streaming replica (deploy/cluster-demo.sh runs them); they are
skipped unless JIANFU_TEST_REPLICA=1.
"""

from __future__ import annotations

import os
import re
from copy import deepcopy

import pytest
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jianfu.api.services import token_create
from jianfu.core.db_router import (
    DEFAULT,
    REPLICA,
    reads_from_replica,
    replica_configured,
    replica_reads,
    replica_wait_for_primary,
)
from jianfu.org.models import Region, RegionLevel
from jianfu.reports.tests.test_api import (  # noqa: F401  (shared fixtures)
    BURDEN,
    CHENGXI,
    DISTRICT,
    admitted,
    budget,
    counted,
    duty_list,
    world,
)

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)
NEW_CODE = "990101000000"


@pytest.fixture
def replica(request):
    """A `replica` alias for the test database, on a connection of its own.

    The second connection sees only committed rows, so the test gets a live (transactional)
    database that allows both aliases. With a real replica configured (the `replica` tests)
    that one is used as it is.
    """
    if replica_configured():
        request.getfixturevalue("live_db")
        yield connections[REPLICA]
        return
    mirror = deepcopy(connections[DEFAULT].settings_dict)
    # A mirror is neither created nor emptied by the test runner: it is the same database.
    mirror["TEST"]["MIRROR"] = DEFAULT
    connections.settings[REPLICA] = mirror
    request.node.add_marker(pytest.mark.django_db(transaction=True, databases=[DEFAULT, REPLICA]))
    try:
        request.getfixturevalue("live_db")
        yield connections[REPLICA]
    finally:
        wrapper = connections[REPLICA]
        wrapper.close()
        if hasattr(wrapper, "close_pool"):
            wrapper.close_pool()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def new_region(code: str = NEW_CODE) -> Region:
    return Region.objects.create(code=code, name="新设区", level=RegionLevel.DISTRICT)


class Queries:
    """The statements each connection ran inside the block."""

    def __init__(self) -> None:
        self.default = CaptureQueriesContext(connections[DEFAULT])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self) -> Queries:
        self.default.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.replica.__exit__(*exc)
        self.default.__exit__(*exc)

    @staticmethod
    def _sql(context: CaptureQueriesContext) -> list[str]:
        return [query["sql"] for query in context.captured_queries]

    @property
    def on_default(self) -> list[str]:
        return self._sql(self.default)

    @property
    def on_replica(self) -> list[str]:
        return self._sql(self.replica)

    def touched(self, table: str) -> tuple[bool, bool]:
        """(the primary read or wrote `table`, the replica did)."""
        return (
            any(table in sql for sql in self.on_default),
            any(table in sql for sql in self.on_replica),
        )


# ---------------------------------------------------------------------------------------------
# Without a replica


@pytest.fixture
def no_replica():
    if replica_configured():
        pytest.skip("a replica is configured")


@pytest.mark.django_db
def test_without_a_replica_every_read_goes_to_the_primary(no_replica):
    with replica_reads(), CaptureQueriesContext(connections[DEFAULT]) as queries:
        assert router.db_for_read(Region) == DEFAULT
        assert Region.objects.filter(code=NEW_CODE).count() == 0
    assert len(queries.captured_queries) == 1


@pytest.mark.django_db
def test_without_a_replica_a_caught_up_scope_reads_the_primary_and_waits_for_nothing(no_replica):
    with replica_reads(caught_up=True), CaptureQueriesContext(connections[DEFAULT]) as queries:
        assert not Region.objects.filter(code=NEW_CODE).exists()
    assert len(queries.captured_queries) == 1


# ---------------------------------------------------------------------------------------------
# With a replica: which connection runs what


def test_reads_inside_a_read_only_scope_go_to_the_replica(replica):
    new_region()
    with replica_reads(), Queries() as queries:
        found = Region.objects.get(code=NEW_CODE)
    assert found._state.db == REPLICA
    assert queries.touched("org_region") == (False, True)


def test_reads_outside_a_scope_go_to_the_primary(replica):
    new_region()
    with Queries() as queries:
        found = Region.objects.get(code=NEW_CODE)
    assert found._state.db == DEFAULT
    assert queries.touched("org_region") == (True, False)


def test_a_write_goes_to_the_primary_and_later_reads_in_the_scope_follow_it(replica):
    with replica_reads(), Queries() as queries:
        assert not Region.objects.filter(code=NEW_CODE).exists()  # the replica
        new_region()  # the primary
        # Read your own write: the primary has it even if the replica has not replayed it yet.
        assert Region.objects.filter(code=NEW_CODE).exists()
    assert len(queries.on_replica) == 1
    assert not any(WRITES.match(sql) for sql in queries.on_replica)
    assert sum("org_region" in sql for sql in queries.on_default) == 2


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    new_region()
    with replica_reads(), Queries() as queries, transaction.atomic():
        assert Region.objects.get(code=NEW_CODE)._state.db == DEFAULT
        locked = Region.objects.select_for_update().get(code=NEW_CODE)
    assert locked._state.db == DEFAULT
    assert queries.touched("org_region") == (True, False)


def test_get_or_create_in_a_scope_reads_and_writes_the_primary(replica):
    with replica_reads(), Queries() as queries:
        region, created = Region.objects.get_or_create(
            code=NEW_CODE, defaults={"name": "新设区", "level": RegionLevel.DISTRICT}
        )
    assert created and region._state.db == DEFAULT
    assert queries.touched("org_region") == (True, False)


def test_an_object_read_from_the_replica_is_saved_to_the_primary(replica):
    new_region()
    with replica_reads():
        region = Region.objects.get(code=NEW_CODE)
        with Queries() as queries:
            region.name = "更名区"
            region.save(update_fields=["name"])
    assert region._state.db == DEFAULT
    assert queries.on_replica == []
    assert Region.objects.get(code=NEW_CODE).name == "更名区"


def test_an_object_from_the_replica_is_read_again_on_the_primary_after_the_scope(replica):
    new_region()
    with replica_reads():
        region = Region.objects.get(code=NEW_CODE)
    with Queries() as queries:
        region.refresh_from_db()
    assert queries.touched("org_region") == (True, False)


def test_sessions_are_always_read_from_the_primary(replica):
    with replica_reads(), Queries() as queries:
        assert not Session.objects.filter(session_key="nothing").exists()
    assert queries.touched("django_session") == (True, False)


def test_nested_scopes_share_the_outer_scopes_write(replica):
    with replica_reads():
        new_region()
        with replica_reads(), Queries() as queries:
            assert Region.objects.filter(code=NEW_CODE).exists()
    assert queries.touched("org_region") == (True, False)


def test_a_caught_up_scope_on_a_mirror_reads_the_replica(replica):
    new_region()
    assert replica_wait_for_primary()
    with replica_reads(caught_up=True), Queries() as queries:
        assert Region.objects.filter(code=NEW_CODE).exists()
    assert queries.touched("org_region") == (False, True)


def test_only_public_calls_read_from_the_replica_when_asked(replica):
    new_region()

    @reads_from_replica(only_public=True)
    def page(*, public: bool) -> str:
        return Region.objects.get(code=NEW_CODE)._state.db

    assert page(public=True) == REPLICA
    assert page(public=False) == DEFAULT


def test_the_replica_is_never_migrated_and_relations_cross_the_aliases(replica):
    assert router.allow_migrate(REPLICA, "org") is False
    assert router.allow_migrate(DEFAULT, "org") is True
    new_region()
    with replica_reads():
        parent = Region.objects.get(code=NEW_CODE)
    child = Region(code="990101001000", name="新街道", level=RegionLevel.STREET)
    # Django would refuse to relate objects of two databases unless the router allows it.
    child.parent = parent
    assert router.allow_relation(child, parent) is True
    child.save()
    assert child._state.db == DEFAULT
    assert Region.objects.get(code="990101001000").parent_id == NEW_CODE


# ---------------------------------------------------------------------------------------------
# The pages


def test_public_pages_read_their_figures_from_the_replica(replica, counted):  # noqa: F811
    client = Client()
    for url in (
        reverse("portal_index"),
        reverse("public_stats_region", args=[DISTRICT]),
        reverse("public_lists"),
        reverse("public_admissions"),
    ):
        with Queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert queries.on_replica, url
        assert queries.on_default == [], (url, queries.on_default)


def test_the_dashboard_reads_figures_from_the_replica_and_the_session_from_the_primary(
    replica,
    personas,
    counted,  # noqa: F811
):
    client = Client()
    client.force_login(personas.group_secretary)
    with Queries() as queries:
        response = client.get(reverse("stats_region", args=[DISTRICT]))
    assert response.status_code == 200
    assert queries.touched("reports_regionfigures") == (False, True)
    assert queries.touched("django_session") == (True, False)
    assert not any(WRITES.match(sql) for sql in queries.on_replica)


def test_the_stats_api_reads_figures_from_the_replica(replica, personas, counted):  # noqa: F811
    issued = token_create(actor=personas.review_officer, name="统计大屏")
    with Queries() as queries:
        response = Client().get(
            BURDEN, {"region": CHENGXI}, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
        )
    assert response.status_code == 200
    assert response.json()["region"]["code"] == CHENGXI
    assert queries.touched("reports_regionfigures") == (False, True)


def test_the_stats_api_reads_its_parameters_and_the_replica_before_any_refresh(replica, personas):
    issued = token_create(actor=personas.review_officer, name="统计大屏")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    with Queries() as queries:
        refused = client.get(BURDEN, {"region": CHENGXI, "year": "去年"})
        not_counted = client.get(BURDEN, {"region": CHENGXI})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["location"] == ["query", "year"]
    assert not_counted.status_code == 404
    assert not_counted.json()["error"]["code"] == "not_counted"
    assert queries.on_replica and not any(WRITES.match(sql) for sql in queries.on_replica)


def test_staff_list_pages_and_verification_read_from_the_primary(replica, personas):
    client = Client()
    client.force_login(personas.dept_clerk)
    for url in (
        reverse("catalog_index"),
        reverse("verify_admission_form"),
        reverse("certificate_verify_form"),
    ):
        with Queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert queries.on_replica == [], url


# ---------------------------------------------------------------------------------------------
# Against a real streaming replica (deploy/cluster-demo.sh)

real_replica = pytest.mark.skipif(
    os.environ.get("JIANFU_TEST_REPLICA") != "1",
    reason="needs a real streaming replica: JIANFU_TEST_REPLICA=1 and DATABASE_REPLICA_URL "
    "(deploy/cluster-demo.sh sets both)",
)


def _server(alias: str) -> tuple[bool, int]:
    """(in recovery, port) of the server behind a connection."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        return tuple(cursor.fetchone())


@pytest.fixture
def standby(replica):
    assert replica_configured(), "JIANFU_TEST_REPLICA=1 needs DATABASE_REPLICA_URL"
    assert connections[REPLICA].vendor == "postgresql"
    in_recovery, replica_port = _server(REPLICA)
    primary_in_recovery, primary_port = _server(DEFAULT)
    assert in_recovery and not primary_in_recovery, "the replica alias is not a standby"
    assert replica_port != primary_port
    return connections[REPLICA]


@pytest.mark.replica
@real_replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT, REPLICA])
def test_a_row_committed_on_the_primary_is_read_through_the_replica_after_replay(standby):
    new_region()
    assert replica_wait_for_primary(timeout=30)
    with replica_reads(), Queries() as queries:
        found = Region.objects.get(code=NEW_CODE)
    assert found._state.db == REPLICA and found.name == "新设区"
    assert queries.touched("org_region") == (False, True)


@pytest.mark.replica
@real_replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT, REPLICA])
def test_the_portal_and_the_stats_api_are_served_by_the_standby(standby, personas, counted):  # noqa: F811
    assert replica_wait_for_primary(timeout=30)
    with Queries() as queries:
        page = Client().get(reverse("public_stats_region", args=[DISTRICT]))
    assert page.status_code == 200
    assert queries.touched("reports_regionfigures") == (False, True)
    issued = token_create(actor=personas.review_officer, name="统计大屏")
    assert replica_wait_for_primary(timeout=30)
    with Queries() as queries:
        response = Client().get(
            BURDEN, {"region": CHENGXI}, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
        )
    assert response.status_code == 200 and response.json()["region"]["code"] == CHENGXI
    assert queries.touched("reports_regionfigures") == (False, True)
    # The connection that served them is the standby's.
    assert _server(REPLICA)[0] is True


@pytest.mark.replica
@real_replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT, REPLICA])
def test_the_standby_refuses_writes_and_the_app_never_sends_it_one(standby, personas):
    with pytest.raises(DatabaseError, match="read-only"), transaction.atomic(using=REPLICA):
        Region.objects.using(REPLICA).create(code=NEW_CODE, name="新设区", level="district")
    assert replica_wait_for_primary(timeout=30)
    # A scope that reads, writes, reads again and saves what it read: no write on the standby.
    with replica_reads(), Queries() as queries:
        parent = Region.objects.get(code=personas.dept_clerk.unit.region_id)
        new_region()
        parent.name = parent.name + "（改）"
        parent.save(update_fields=["name"])
    assert queries.on_replica and not any(WRITES.match(sql) for sql in queries.on_replica)
    assert Region.objects.get(code=parent.code).name.endswith("（改）")
