"""Reads of the certificate app, scoped to the user's jurisdiction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from jianfu.catalog.models import Item, ListKind, ListLevel, VersionStatus
from jianfu.certificates.models import Certificate, CertificateRequest, CertificateType, SealUse
from jianfu.org.models import Region, RegionLevel, User
from jianfu.org.roles import DISTRICT_ROLES, Role
from jianfu.org.rules import active_unit
from jianfu.org.selectors import ancestor_codes

# Who reads certificates: the community's officers (who also take requests and issue), its
# street's, and the district's offices.
CERTIFICATE_ROLES = (Role.COMMUNITY_OFFICER, Role.STREET_OFFICER, *DISTRICT_ROLES)


def _items_in_force(community: Region, kind: str) -> QuerySet[Item]:
    """Items of the published lists of `kind` for the community's district: its own, those of
    the regions above it, and the national ones."""
    district = community.district_code or community.code
    regions = [district, *ancestor_codes(district)]
    return (
        Item.objects.filter(version__status=VersionStatus.PUBLISHED, version__list__kind=kind)
        .filter(Q(version__list__region__isnull=True) | Q(version__list__region_id__in=regions))
        .select_related("version__list")
        .order_by("version__list__region_id", "version__list_id", "position", "id")
    )


def allowed_items(community: Region) -> list[Item]:
    """What the community may certify: the community-level certificate lists in force, less
    anything a banned list names (a ban wins over a listing)."""
    items = _items_in_force(community, ListKind.CERTIFICATE).filter(
        version__list__level=ListLevel.COMMUNITY
    )
    banned = {normalised(item.name) for item in banned_items(community)}
    return [item for item in items if normalised(item.name) not in banned]


def banned_items(community: Region) -> list[Item]:
    """What no community may certify: the national first batch and any local additions."""
    return list(_items_in_force(community, ListKind.CERTIFICATE_BANNED))


# Spaces and the punctuation residents and officers type in different widths do not make a
# different certificate: “婚姻状况证明” and “婚姻状况 证明” are one.
_NOISE = re.compile(r"[\s\u3000,，.。、:：;；'\"“”‘’()（）\[\]【】《》<>-]+")


def normalised(name: str) -> str:
    return _NOISE.sub("", name or "")


@dataclass(frozen=True)
class TypeMatch:
    """What a requested certificate is: allowed (an item of the community's list), banned (an
    item of a banned list), or on no list (item None)."""

    verdict: str  # "allowed", "banned" or "unlisted"
    item: Item | None
    name: str


def type_match(*, community: Region, item_key: uuid.UUID | str | None, type_name: str) -> TypeMatch:
    """Find the requested type: by the item's key, else by its name. A banned name is found
    inside a longer request too (“婚姻状况证明（未婚）” is a 婚姻状况证明)."""
    banned = banned_items(community)
    allowed = allowed_items(community)
    if item_key:
        key = str(item_key)
        for verdict, items in (("banned", banned), ("allowed", allowed)):
            for item in items:
                if str(item.key) == key:
                    return TypeMatch(verdict, item, item.name)
        return TypeMatch("unlisted", None, type_name.strip())
    wanted = normalised(type_name)
    for item in banned:
        name = normalised(item.name)
        # Either way round: “养犬证明” is the banned “居民养犬证明” too; a fragment shorter than
        # four characters (“证明”) names nothing.
        if name and (name in wanted or (len(wanted) >= 4 and wanted in name)):
            return TypeMatch("banned", item, type_name.strip())
    for item in allowed:
        if normalised(item.name) == wanted:
            return TypeMatch("allowed", item, item.name)
    return TypeMatch("unlisted", None, type_name.strip())


def type_settings(community: Region, item: Item) -> CertificateType | None:
    """The district's use, materials and template for a list item, if set."""
    district = community.district_code or community.code
    return CertificateType.objects.filter(district_id=district, item_key=item.key).first()


def types_for(community: Region) -> list[tuple[Item, CertificateType | None]]:
    """The community's allowed types, each with the district's settings; two queries."""
    items = allowed_items(community)
    district = community.district_code or community.code
    settings_by_key = {
        t.item_key: t
        for t in CertificateType.objects.filter(
            district_id=district, item_key__in=[item.key for item in items]
        )
    }
    return [(item, settings_by_key.get(item.key)) for item in items]


def _community_filter(user: User, field: str) -> Q | None:
    """The communities whose certificates the user may read, as a filter on `field` (a
    community code); None for none at all."""
    unit = active_unit(user)
    if unit is None or unit.region is None:
        return None
    if user.has_role(Role.COMMUNITY_OFFICER) and unit.region.level == RegionLevel.COMMUNITY:
        return Q(**{field: unit.region_id})
    if user.has_role(Role.STREET_OFFICER) and unit.region.level == RegionLevel.STREET:
        return Q(**{f"{field}__startswith": unit.region.prefix})
    if user.has_role(*DISTRICT_ROLES) and unit.district_code:
        district = Region.objects.filter(code=unit.district_code).first()
        if district is not None:
            return Q(**{f"{field}__startswith": district.prefix})
    return None


def requests_visible_to(*, user: User) -> QuerySet[CertificateRequest]:
    """The certificate requests of the communities the user may read."""
    scope = _community_filter(user, "community_id")
    if scope is None:
        return CertificateRequest.objects.none()
    return CertificateRequest.objects.filter(scope).select_related(
        "community", "received_by", "decided_by"
    )


def request_visible_to(*, user: User, request_id: int) -> CertificateRequest | None:
    return requests_visible_to(user=user).filter(pk=request_id).first()


def certificates_visible_to(*, user: User) -> QuerySet[Certificate]:
    scope = _community_filter(user, "community_id")
    if scope is None:
        return Certificate.objects.none()
    return (
        Certificate.objects.filter(scope)
        .select_related("request", "community", "issued_by", "approved_by")
        .defer("pdf")
    )


def seal_uses_visible_to(*, user: User) -> QuerySet[SealUse]:
    scope = _community_filter(user, "community_id")
    if scope is None:
        return SealUse.objects.none()
    return SealUse.objects.filter(scope).select_related("community", "certificate")


def certificate_by_serial(serial: str) -> Certificate | None:
    """For public verification: the certificate with this serial, whoever asks."""
    return (
        Certificate.objects.filter(serial=serial.strip())
        .select_related("request", "community__parent")
        .defer("pdf")
        .first()
    )
