from jianfu.org.roles import Role


def test_personas_cover_every_role_in_two_streets_and_two_communities(personas):
    roles = set()
    for account in vars(personas).values():
        roles |= account.role_set
    assert roles == set(Role.values)
    assert personas.community_officer.unit.region.name == "钟鼓楼社区"
    assert personas.community_officer2.unit.region.name == "西林社区"
    street = personas.community_officer.unit.region.parent
    street2 = personas.community_officer2.unit.region.parent
    assert street != street2
    assert {street.name, street2.name} == {"城东街道", "城西街道"}
    assert personas.street_officer.unit.region == street
    assert personas.street_officer2.unit.region == street2


def test_jurisdiction_prefix_follows_the_unit_region(personas):
    assert personas.system_admin.jurisdiction_prefix is None  # the platform unit
    assert personas.dept_clerk.jurisdiction_prefix == "511002"
    assert personas.street_officer.jurisdiction_prefix == "511002001"
    assert personas.community_officer.jurisdiction_prefix == "511002001001"
