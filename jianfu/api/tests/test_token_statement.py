"""A bearer token is checked, with its user's unit, region and roles, in one statement."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianfu.api.services import token_authenticate, token_create, token_revoke
from jianfu.org.models import User, UserRole
from jianfu.org.roles import Role


def test_token_user_unit_region_and_roles_come_from_one_statement(personas):
    issued = token_create(actor=personas.street_officer, name="integration")
    UserRole.objects.create(user=personas.street_officer, role=Role.EVALUATOR)
    token_authenticate(issued.secret)  # records the first use
    with CaptureQueriesContext(connection) as queries:
        user = token_authenticate(issued.secret)
        roles = user.role_set
        region = user.unit.region
    assert len(queries) == 1
    assert user == personas.street_officer
    assert roles == {Role.STREET_OFFICER, Role.EVALUATOR}
    assert region == personas.street_officer.unit.region


def test_a_token_of_a_user_without_roles_still_authenticates(personas):
    issued = token_create(actor=personas.community_officer, name="integration")
    UserRole.objects.filter(user=personas.community_officer).delete()
    user = token_authenticate(issued.secret)
    assert user == personas.community_officer and user.role_set == frozenset()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 200 and response.json()["roles"] == []


def fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_token_user_is_the_user_the_orm_reads(personas):
    officer = personas.street_officer
    issued = token_create(actor=officer, name="integration")
    user = token_authenticate(issued.secret)
    stored = User.objects.select_related("unit__region").get(pk=officer.pk)
    assert fields(user) == fields(stored)
    assert fields(user.unit) == fields(stored.unit)
    assert fields(user.unit.region) == fields(stored.unit.region)
    # The same types too (SQLite returns text for times, numbers for flags, unconverted).
    for built, read in ((user, stored), (user.unit, stored.unit)):
        assert {k: type(v) for k, v in fields(built).items()} == {
            k: type(v) for k, v in fields(read).items()
        }
    assert user._state.adding is False and user._state.db == "default"


def test_a_user_without_a_unit_authenticates_with_none(personas):
    officer = personas.community_officer
    issued = token_create(actor=officer, name="integration")
    User.objects.filter(pk=officer.pk).update(unit=None)
    user = token_authenticate(issued.secret)
    assert user.pk == officer.pk and user.unit is None


def test_revoked_tokens_and_inactive_users_get_nothing(personas):
    officer = personas.community_officer
    revoked = token_create(actor=officer, name="revoked")
    token_revoke(actor=officer, token=revoked.token)
    assert token_authenticate(revoked.secret) is None
    issued = token_create(actor=officer, name="integration")
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert token_authenticate(issued.secret) is None
    assert token_authenticate("jf_not-a-token") is None
