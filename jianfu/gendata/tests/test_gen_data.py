"""The data generator's framework and its org, catalog, admission and dispatch steps, at a tiny
scale: the counts are the scale's, the same seed gives the same rows, the domain's rules hold
on what it wrote (read back through the apps' own selectors and services), and the command
refuses a database that already holds data."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from jianfu.admission.models import Admission, AdmissionCounter, ApplicationEvent
from jianfu.admission.selectors import admission_by_number, admissions_visible_to
from jianfu.catalog.models import Item, ListVersion, VersionStatus
from jianfu.dispatch.models import Delivery, DeliveryEvent, Task
from jianfu.dispatch.selectors import inbox_for
from jianfu.dispatch.services import arrival_check
from jianfu.gendata import generate
from jianfu.gendata.context import SCALES, Scale
from jianfu.org.models import Region, Unit, User
from jianfu.org.roles import Role

pytestmark = pytest.mark.django_db

TINY = Scale(
    "tiny",
    districts=2,
    streets=4,
    communities=24,
    departments=6,
    list_items=120,
    admissions=20,
    deliveries=400,
    ballots=2_000,
    postings=500,
)
MINE = ["org", "catalog", "admission", "dispatch"]
PASSWORD_HASH = make_password("Generated-Pass-2026")


def run(seed: int = 3, scale: Scale = TINY):
    return generate(
        scale=scale,
        seed=seed,
        today=timezone.localdate(),
        password_hash=PASSWORD_HASH,
        steps=MINE,
    )


def digest(tables) -> str:
    """A digest of every row of `tables`, their `id` left out: rows nothing points at get it
    from the database's sequence, which on PostgreSQL a rolled-back run still advanced."""
    sha = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(tables):
            columns = [
                c.name
                for c in connection.introspection.get_table_description(cursor, table)
                if c.name != "id"
            ]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in sorted(repr(row) for row in cursor.fetchall()):
                sha.update(row.encode())
    return sha.hexdigest()


def test_counts_match_the_scale():
    ctx = run()
    levels = Counter(Region.objects.values_list("level", flat=True))
    assert levels["district"] == TINY.districts
    assert levels["street"] == TINY.streets
    assert levels["community"] == TINY.communities
    assert len(ctx.departments) == TINY.departments
    assert Unit.objects.filter(type="community_committee").count() == TINY.communities
    assert Unit.objects.filter(type="street_office").count() == TINY.streets
    # The national banned-certificate list comes with the migrations; the rest is generated.
    assert ctx.counts["catalog_item"] == TINY.list_items
    assert Admission.objects.count() == TINY.admissions
    assert Delivery.objects.count() == TINY.deliveries
    assert sum(Task.objects.values_list("recipients_total", flat=True)) == TINY.deliveries
    # One officer per community and street office, a clerk and a head per department, four
    # district offices' staff per district, three administrators.
    expected_users = TINY.communities + TINY.streets + 2 * TINY.departments + 4 * TINY.districts + 3
    assert User.objects.count() == expected_users
    assert set(User.objects.values_list("password", flat=True)) == {PASSWORD_HASH}


def test_same_seed_gives_the_same_rows_and_another_seed_others():
    def digest_of(seed: int) -> str:
        with transaction.atomic():
            ctx = run(seed)
            found = digest(ctx.counts)
            transaction.set_rollback(True)
        return found

    first = digest_of(3)
    assert digest_of(3) == first
    assert digest_of(4) != first


def test_every_delivery_is_as_the_arrival_check_finds_it():
    run()
    for task in Task.objects.select_related("admission__department", "duty_list__region"):
        stored = dict(task.deliveries.values_list("region_id", "reasons"))
        day = timezone.localdate(task.created_at)
        check = arrival_check(task=task, codes=sorted(stored), day=day)
        assert {code: list(r) for code, r in check.reasons.items()} == stored, task.reference
        assert check.details == task.check_details, task.reference
        assert task.unadmitted_total == sum(1 for reasons in stored.values() if reasons)


def test_unadmitted_deliveries_have_reasons_and_realistic_shares():
    run(scale=Scale(**{**TINY.__dict__, "deliveries": 3_000, "admissions": 60}))
    total = Delivery.objects.count()
    unadmitted = Delivery.objects.filter(admitted=False)
    assert not unadmitted.filter(reasons=[]).exists()
    assert not Delivery.objects.filter(admitted=True).exclude(reasons=[]).exists()
    assert 0.03 < unadmitted.count() / total < 0.4
    # Refusals of admitted work are the street's to decide; the copies record it.
    refused = Delivery.objects.filter(status="refused")
    assert refused.filter(admitted=False).count() > refused.filter(admitted=True).count()
    assert not refused.filter(admitted=True, refused_while_admitted=False).exists()
    # Every step after arrival has its event, by the recipient's officer (or the street).
    accepted = Delivery.objects.exclude(accepted_at=None).count()
    assert DeliveryEvent.objects.filter(action="accept").count() == accepted


def test_community_officer_inbox_lists_the_communitys_deliveries():
    run()
    delivery = Delivery.objects.order_by("id").first()
    officer = User.objects.get(
        unit__region_id=delivery.region_id, roles__role=Role.COMMUNITY_OFFICER
    )
    inbox = inbox_for(user=officer)
    assert set(inbox.values_list("pk", flat=True)) == set(
        Delivery.objects.filter(region_id=delivery.region_id).values_list("pk", flat=True)
    )


def test_admissions_register_shows_the_generated_admissions():
    ctx = run()
    for district in ctx.districts:
        reviewer = User.objects.get(
            username=f"review_{district.code[:6]}", roles__role=Role.REVIEW_OFFICER
        )
        visible = admissions_visible_to(user=reviewer)
        assert visible.count() == Admission.objects.filter(district_id=district.code).count()
    for admission in Admission.objects.all():
        assert admission_by_number(admission.number) == admission
        assert admission.scope.count() > 0
        events = list(admission.application.events.values_list("action", flat=True))
        assert events[0] == "create" and events[-1] == "decide"
    # Numbers are gapless per district and year, and the counters know the last one.
    for counter in AdmissionCounter.objects.all():
        sequences = sorted(
            Admission.objects.filter(
                district_id=counter.district_id, year=counter.year
            ).values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, counter.last + 1))
    assert ApplicationEvent.objects.filter(action="opinion").exists()


def test_each_list_has_one_published_version_that_is_frozen():
    run()
    for catalog_list_id in ListVersion.objects.values_list("list_id", flat=True).distinct():
        versions = ListVersion.objects.filter(list_id=catalog_list_id)
        assert versions.filter(status=VersionStatus.PUBLISHED).count() == 1
        assert not versions.filter(status=VersionStatus.DRAFT).exists()
    item = Item.objects.filter(version__status=VersionStatus.PUBLISHED).first()
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(name="改")


def test_stats_refresh_runs_on_the_generated_data():
    from jianfu.reports.models import RegionFigures
    from jianfu.reports.services import stats_refresh

    run()
    stats_refresh(actor=None, years=[timezone.localdate().year])
    assert RegionFigures.objects.filter(region__level="district").count() == TINY.districts


def test_command_refuses_a_database_that_holds_regions():
    Region.objects.create(code="510000000000", name="四川省", level="province")
    with pytest.raises(CommandError, match="已有区划"):
        call_command("gen_data", scale="district")
    assert not User.objects.exists()


def test_command_refuses_a_bad_day():
    with pytest.raises(CommandError, match="无效"):
        call_command("gen_data", scale="district", today="2026-13-01")
    assert not Region.objects.exists()


def test_command_generates_and_prints_counts_and_logins(monkeypatch, capsys):
    monkeypatch.setitem(SCALES, "district", TINY)
    call_command("gen_data", scale="district", seed=5, password="Generated-Pass-2026")
    out = capsys.readouterr().out
    assert "Generated-Pass-2026" in out
    assert "dispatch_delivery" in out and "community_" in out
    officer = User.objects.filter(roles__role=Role.COMMUNITY_OFFICER).first()
    assert officer.check_password("Generated-Pass-2026")
