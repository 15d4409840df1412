"""The portal's reads that are not figures: published evaluation campaigns, the published lists
and the admissions register's public columns. Everything here is what the public may read; no
query touches a person, a ballot or an evaluator."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from jianfu.admission.models import Admission, AdmissionScope
from jianfu.admission.register_views import PUBLIC_FIELDS
from jianfu.admission.selectors import admissions_visible_to
from jianfu.catalog.models import CatalogList, ListVersion, VersionStatus
from jianfu.catalog.selectors import lists_visible_to, with_current_version
from jianfu.evaluation.models import Campaign, CampaignState, Outcome


def published_campaigns() -> QuerySet[Campaign]:
    """Every district's published evaluation campaigns, latest year first, with the counts
    the index shows."""
    return (
        Campaign.objects.filter(state=CampaignState.PUBLISHED)
        .select_related("district")
        .annotate(
            target_count=Count("targets"),
            kept_count=Count("targets", filter=Q(targets__outcome=Outcome.KEPT)),
            revoked_count=Count(
                "targets",
                filter=Q(targets__outcome__in=[Outcome.REVOKED, Outcome.TO_REVOKE]),
            ),
            below_quorum_count=Count("targets", filter=Q(targets__outcome=Outcome.BELOW_QUORUM)),
        )
        .order_by("-year", "district_id")
    )


def published_campaign(pk: int) -> Campaign | None:
    """A campaign the public may read: only a published one (any other is a 404)."""
    return (
        Campaign.objects.filter(pk=pk, state=CampaignState.PUBLISHED)
        .select_related("district")
        .first()
    )


def public_lists() -> QuerySet[CatalogList]:
    """The published lists with their current version (label, dates, size); one query."""
    published = ListVersion.objects.filter(list=OuterRef("pk"), status=VersionStatus.PUBLISHED)
    return with_current_version(lists_visible_to(user=None)).annotate(
        current_published_at=Subquery(published.values("published_at")[:1]),
    )


def public_admissions() -> QuerySet[Admission]:
    """The admissions register's public columns, each with the streets or communities it
    covers (two queries)."""
    return (
        admissions_visible_to(user=None)
        .only(*PUBLIC_FIELDS)
        .prefetch_related(
            Prefetch(
                "scope",
                queryset=AdmissionScope.objects.only(
                    "admission_id", "region_id", "revoked_on"
                ).order_by("region_id"),
            )
        )
        .order_by("district_id", "year", "sequence")
    )
