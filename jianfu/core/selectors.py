"""Reads for the shell: home page, jobs, and the audit trail."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.core.models import AuditRecord, AuditResult, BackgroundJob
from jianfu.org.models import Region, Unit, User
from jianfu.org.roles import Role
from jianfu.org.selectors import accounts_visible_to, ancestor_codes


def home_for(*, user: User) -> dict:
    """Everything the home page shows the user: who and where they are, and their work."""
    unit = user.unit
    region_path = []
    if unit and unit.region_id:
        codes = [*ancestor_codes(unit.region_id), unit.region_id]
        names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
        region_path = [names[c] for c in codes if c in names]
    context = {
        "unit": unit,
        "region_path": region_path,
        "roles": [Role(r).label for r in sorted(user.role_set)],
        "previous_login": previous_login(user=user),
        "pending": pending_for(user=user),
    }
    # Imported here: the burden app reads the core app's audit and jobs.
    from jianfu.burden.selectors import burden_flags_for

    context["burden"] = burden_flags_for(user=user, on=timezone.localdate())
    # The figures' headline (减负成效), read from the precomputed rows.
    from jianfu.reports.selectors import headline_for

    context["stats_headline"] = headline_for(user=user)
    prefix = user.jurisdiction_prefix
    if user.has_role(Role.SYSTEM_ADMIN):
        context["admin_counts"] = {
            "regions": Region.objects.within(prefix).count(),
            "units": Unit.objects.within(prefix).filter(is_active=True).count(),
            "accounts": accounts_visible_to(user=user).filter(is_active=True).count(),
        }
    if user.has_role(Role.AUDIT_ADMIN):
        since = timezone.now() - dt.timedelta(hours=24)
        recent = audit_records_visible_to(user=user).filter(created_at__gte=since)
        context["audit_counts"] = {
            "day": recent.count(),
            "failed_logins": recent.filter(action__in=["auth.login", "auth.login_locked"])
            .exclude(result=AuditResult.SUCCESS)
            .count(),
        }
        context["last_verification"] = audit_last_verification()
    if user.has_role(Role.SECURITY_ADMIN):
        context["locked_usernames"] = locked_usernames()
    return context


def pending_for(*, user: User) -> list[dict]:
    """The admission steps waiting for the user, each with the names of the awaited actions."""
    from jianfu.admission.selectors import pending_steps_for
    from jianfu.admission.workflow import ACTION_LABELS

    labels = {**ACTION_LABELS, "opinion": _("回复意见")}
    return [
        {
            "application": step.application,
            "actions": [labels.get(action, action) for action in step.actions],
            "due": step.due,
            "overdue": step.overdue,
        }
        for step in pending_steps_for(user=user)
    ]


def previous_login(*, user: User) -> AuditRecord | None:
    """The user's successful login before the current one, shown so they notice a stranger's."""
    logins = AuditRecord.objects.filter(
        actor=user, action="auth.login", result=AuditResult.SUCCESS
    ).order_by("-id")
    latest_two = list(logins[:2])
    return latest_two[1] if len(latest_two) > 1 else None


def locked_usernames() -> list[dict]:
    """Usernames locked out now by repeated login failures."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")
    return [
        {"username": a.username, "ip": a.ip_address, "since": a.attempt_time} for a in attempts[:50]
    ]


def job_visible_to(*, user: User, job_id) -> BackgroundJob | None:
    return BackgroundJob.objects.filter(pk=job_id, owner=user).first()


def audit_records_visible_to(
    *,
    user: User,
    action: str = "",
    actor: str = "",
    result: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditRecord]:
    """Audit records about the auditor's jurisdiction (all of them for an installation-wide one)."""
    if not user.has_role(Role.AUDIT_ADMIN):
        return AuditRecord.objects.none()
    records = AuditRecord.objects.all()
    prefix = user.jurisdiction_prefix
    if prefix is not None:
        units = Unit.objects.within(prefix).values("pk")
        usernames = User.objects.filter(unit__in=units).values("username")
        # Failed logins carry no unit, only the username that was tried.
        records = records.filter(Q(unit_id__in=units) | Q(actor_username__in=usernames))
    if action:
        records = records.filter(action__startswith=action)
    if actor:
        records = records.filter(actor_username=actor)
    if result:
        records = records.filter(result=result)
    if date_from:
        records = records.filter(created_at__date__gte=date_from)
    if date_to:
        records = records.filter(created_at__date__lte=date_to)
    return records.order_by("-id")


def audit_last_verification() -> AuditRecord | None:
    return AuditRecord.objects.filter(action="audit.verify").order_by("-id").first()


def audit_daily_counts(*, records: QuerySet[AuditRecord], days: int) -> list[dict]:
    """Records per day for the last `days` days, all and failed/denied, oldest first."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    rows = (
        records.order_by()
        .filter(created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Count("id"), refused=Count("id", filter=~Q(result=AuditResult.SUCCESS)))
    )
    by_day = {row["day"]: row for row in rows}
    return [
        {
            "day": (start + dt.timedelta(days=i)).isoformat(),
            "total": by_day.get(start + dt.timedelta(days=i), {}).get("total", 0),
            "refused": by_day.get(start + dt.timedelta(days=i), {}).get("refused", 0),
        }
        for i in range(days)
    ]
