"""A user never sees or changes data outside their jurisdiction (DESIGN.md invariant 9)."""

import pytest

from jianfu.core.errors import Forbidden
from jianfu.org import selectors, services
from jianfu.org.models import Region, Unit


def codes(regions):
    return {r.code for r in regions}


def test_community_officer_sees_only_their_own_community(personas):
    visible = codes(selectors.regions_visible_to(user=personas.community_officer))
    assert visible == {personas.community_officer.unit.region_id}


def test_street_officer_sees_their_street_and_its_communities(personas):
    visible = codes(selectors.regions_visible_to(user=personas.street_officer))
    street = personas.street_officer.unit.region
    assert visible == {street.code, *street.children.values_list("code", flat=True)}
    assert personas.community_officer2.unit.region_id not in visible


def test_district_role_sees_its_district_and_nothing_of_another(personas):
    visible = codes(selectors.regions_visible_to(user=personas.dept_clerk))
    assert all(code.startswith("511002") for code in visible)
    assert "320303000000" not in visible


def test_community_officer_sees_units_above_but_not_another_community(personas):
    units = {u.name for u in selectors.units_visible_to(user=personas.community_officer)}
    assert "钟鼓楼社区居民委员会" in units
    assert "市中区民政局" in units  # the departments that send it work
    assert "城东街道办事处" in units
    assert "西林社区居民委员会" not in units
    assert "箭道街社区居民委员会" not in units
    assert "城西街道办事处" not in units


def test_business_users_see_only_their_own_account(personas):
    assert list(selectors.accounts_visible_to(user=personas.street_officer)) == [
        personas.street_officer
    ]


def test_district_system_admin_cannot_touch_another_district(personas):
    admin = personas.system_admin
    # Place the administrator in 市中区 instead of the whole installation.
    admin.unit = Unit.objects.get(name="市中区民政局")
    admin.save(update_fields=["unit"])
    other = Region.objects.get(code="320303000000")
    with pytest.raises(Forbidden):
        services.region_update(
            actor=admin, region=other, name="改名", valid_from=None, valid_until=None
        )
    with pytest.raises(Forbidden):
        services.unit_create(actor=admin, name="外区单位", unit_type="department", region=other)
    assert Region.objects.get(code="320303000000").name == "云龙区"
    assert not selectors.accounts_visible_to(user=admin).filter(unit__district_code="320303000000")


@pytest.mark.parametrize(
    "url",
    [
        "/manage/regions/",
        "/manage/regions/511002001001/",
        "/manage/units/",
        "/manage/accounts/",
        "/audit/",
    ],
)
def test_management_pages_refuse_business_roles(personas, login, url):
    response = login(personas.community_officer).get(url)
    assert response.status_code == 403


def test_region_page_of_another_district_is_not_found_for_a_district_admin(personas, login):
    admin = personas.system_admin
    admin.unit = Unit.objects.get(name="市中区民政局")
    admin.save(update_fields=["unit"])
    client = login(admin)
    assert client.get("/manage/regions/511002001001/").status_code == 200
    assert client.get("/manage/regions/320303000000/").status_code == 404
    other_unit = Unit.objects.get(name="云龙区民政局")
    assert client.get(f"/manage/units/{other_unit.pk}/").status_code == 404
    services.account_create(
        actor=None,
        username="yunlong_clerk",
        display_name="云龙区经办人",
        unit=other_unit,
        roles=["dept_clerk"],
        password="Another-Pass-2026",
    )
    page = client.get("/manage/accounts/").content.decode()
    assert "community_officer" in page
    assert "yunlong_clerk" not in page
    other_account = selectors.accounts_visible_to(user=personas.system_admin)
    assert not other_account.filter(username="yunlong_clerk").exists()


@pytest.mark.django_db
def test_a_regions_code_range_holds_exactly_the_codes_under_it(personas):
    """What `code_range` admits (a range condition, which SQLite can use an index for) is what
    the code prefix admits, at every level."""
    every = list(Region.objects.values_list("code", flat=True))
    for region in Region.objects.all():
        first, last = region.code_range
        assert {c for c in every if first <= c <= last} == {
            c for c in every if c.startswith(region.prefix)
        }, region
    assert Region(code="511002000000", level="district").code_range == (
        "511002000000",
        "511002999999",
    )
