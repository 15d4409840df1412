"""A bearer token is checked, with its user's unit, region and roles, in one statement."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianfu.api.services import token_authenticate, token_create
from jianfu.org.models import UserRole
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
