"""insert_rows writes exactly what Django's own INSERT would, on SQLite and on PostgreSQL."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from jianfu.core.bulk import insert_rows
from jianfu.core.models import BackgroundJob, JobStatus


@pytest.mark.django_db
def test_insert_rows_fills_defaults_and_keeps_json_uuid_and_text(personas):
    owner = personas.dept_clerk
    chosen = uuid.uuid4()
    insert_rows(
        BackgroundJob,
        [
            {"id": chosen, "kind": "k1", "owner_id": owner.pk, "options": {"表": [1, "二"]}},
            {
                "kind": "k2",
                "owner_id": owner.pk,
                "message": "含\t制表符\n和换行",
                "payload": b"\x00\xff",
            },
        ],
    )
    first, second = BackgroundJob.objects.order_by("kind")
    assert first.id == chosen and first.options == {"表": [1, "二"]}
    assert first.status == JobStatus.QUEUED and first.result == {} and first.created_at
    assert second.id != chosen and second.message == "含\t制表符\n和换行"
    assert bytes(second.payload) == b"\x00\xff" and second.options == {}


@pytest.mark.django_db
def test_insert_rows_is_checked_by_the_database_like_any_insert(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(BackgroundJob, [{"kind": None, "owner_id": personas.dept_clerk.pk}])
    assert not BackgroundJob.objects.exists()


@pytest.mark.django_db
def test_insert_rows_with_nothing_to_insert_does_not_touch_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows(BackgroundJob, [])
