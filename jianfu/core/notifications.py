"""Notifications: a short message to each user a step concerns, written when the step commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from jianfu.core.models import Notification
from jianfu.org.models import User


def notify(*, recipients: Iterable[User], message: str, url: str = "") -> None:
    """Tell each recipient once the surrounding transaction commits; nothing if it rolls back."""
    ids = sorted({user.pk for user in recipients if user.is_active})
    message = str(message)[:300]

    def write() -> None:
        Notification.objects.bulk_create(
            Notification(recipient_id=pk, message=message, url=url) for pk in ids
        )

    if ids:
        transaction.on_commit(write)


def notifications_unread(*, user: User):
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def notifications_mark_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    return notifications_unread(user=user).update(read_at=timezone.now())


def notify_each(*, messages: Iterable[tuple[int, str, str]]) -> None:
    """Tell many users one message each, (user id, message, url), in one statement once the
    surrounding transaction commits: a dispatch to a province's communities tells thousands."""
    from jianfu.core.bulk import insert_rows

    rows = [
        {"recipient_id": user_id, "message": str(message)[:300], "url": url}
        for user_id, message, url in messages
    ]
    if rows:
        transaction.on_commit(lambda: insert_rows(Notification, rows))
