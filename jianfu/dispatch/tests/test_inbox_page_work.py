"""The inbox page's work: one permission decision per kind of row with the rules' own outcome,
only the columns it shows, a lean count, and rows escaped and labelled as the template did."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jianfu.dispatch import services
from jianfu.dispatch.models import (
    Delivery,
    DeliveryStatus,
    RecipientLevel,
    Task,
    TaskStatus,
)
from jianfu.dispatch.tests.conftest import CHENGDONG, XILIN, ZHONGGULOU, dispatch

pytestmark = pytest.mark.django_db

PEOPLE = (
    "community_officer",
    "community_officer2",
    "street_officer",
    "street_officer2",
    "group_secretary",
    "dept_clerk",
    "system_admin",
)


@pytest.mark.parametrize("username", PEOPLE)
def test_actions_decided_once_per_kind_of_row_match_the_rules(personas, username):
    user = getattr(personas, username)
    decide = services.actions_decider(user)
    for task_status, level, region, status, admitted in itertools.product(
        TaskStatus.values,
        RecipientLevel.values,
        (ZHONGGULOU, XILIN, CHENGDONG),
        DeliveryStatus.values,
        (True, False),
    ):
        delivery = Delivery(
            task=Task(status=task_status, recipient_level=level),
            region_id=region,
            status=status,
            admitted=admitted,
        )
        expected = services.actions_allowed(user, delivery)
        for _ in range(2):  # decided, then remembered
            assert (
                decide(
                    task_status=task_status,
                    recipient_level=level,
                    region_id=region,
                    status=status,
                    admitted=admitted,
                )
                == expected
            ), (task_status, level, region, status, admitted)


def test_a_superuser_gets_what_the_rules_give_a_superuser(personas):
    admin = personas.system_admin
    admin.is_superuser = True
    decide = services.actions_decider(admin)
    delivery = Delivery(
        task=Task(status=TaskStatus.DISPATCHED, recipient_level=RecipientLevel.COMMUNITY),
        region_id=XILIN,
        status=DeliveryStatus.RECEIVED,
        admitted=False,
    )
    found = decide(
        task_status=TaskStatus.DISPATCHED,
        recipient_level=RecipientLevel.COMMUNITY,
        region_id=XILIN,
        status=DeliveryStatus.RECEIVED,
        admitted=False,
    )
    assert found == services.actions_allowed(admin, delivery) == ["accept", "refuse"]


def test_inbox_reads_only_the_shown_columns_and_counts_without_joins(personas, login):
    for _ in range(3):
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    client = login(personas.community_officer)
    client.get(reverse("inbox"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inbox"))
    assert response.status_code == 200
    assert response.context["page"].total == 3 and "共 3 项" in response.content.decode()
    statements = [q["sql"] for q in queries]
    rows = [sql for sql in statements if "dispatch_delivery" in sql and "COUNT" not in sql]
    assert len(rows) == 1, statements
    # Nothing the page does not show: the task's text, outputs and timestamps.
    for column in ('"content"', '"outputs"', '"progress_note"', '"refusal_reason"'):
        assert column not in rows[0], column
    counts = [sql for sql in statements if "dispatch_delivery" in sql and "COUNT" in sql]
    assert len(counts) == 1 and "org_unit" not in counts[0] and "title" not in counts[0]


def test_unadmitted_rows_show_their_reasons_and_admitted_rows_none(personas, login, admission):
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number="无此编号〔2025〕9号")
    text = login(personas.community_officer).get(reverse("inbox")).content.decode()
    assert text.count('data-testid="inbox-row"') == 2
    assert text.count('<ul class="reasons">') == 1
    assert "准入编号“无此编号〔2025〕9号”在准入目录中不存在" in text
    assert text.count('data-testid="refuse"') == 1 and text.count("接收</button>") == 2


def test_inbox_rows_escape_what_departments_wrote(personas, login):
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title='<script>alert("x")</script>')
    text = login(personas.community_officer).get(reverse("inbox")).content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_inbox_buttons_carry_the_csrf_token_and_the_way_back(personas, login):
    delivery = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU]).deliveries.get()
    client = login(personas.community_officer)
    client.handler.enforce_csrf_checks = True
    text = client.get(reverse("inbox") + "?admitted=no").content.decode()
    accept = reverse("delivery_action", args=[delivery.pk, "accept"])
    form = text[text.index(f'action="{accept}"') :]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert 'name="next" value="/inbox/?admitted=no"' in form[:400]
    response = client.post(accept, {"csrfmiddlewaretoken": token, "next": "/inbox/?admitted=no"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?admitted=no"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ACCEPTED
    text = client.get(reverse("inbox")).content.decode()
    assert 'class="progress-bar"' in text and "接收</button>" not in text


def test_inbox_in_english(personas, login):
    dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    client = login(personas.community_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = client.get(reverse("inbox")).content.decode()
    assert 'data-testid="inbox-row"' in text
    assert "接收</button>" not in text and "详情</a>" not in text
