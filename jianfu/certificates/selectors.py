"""Reads of the certificate app, scoped to the user's jurisdiction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet

from jianfu.catalog.models import Item, ListKind, ListLevel, VersionStatus
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    CertificateType,
    RequestState,
    SealUse,
)
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
        # An item of the certificate list that a banned list names is missing from `allowed`
        # (a ban wins over a listing): it is looked up by its name below, and found banned.
        listed = next(
            (i for i in _items_in_force(community, ListKind.CERTIFICATE) if str(i.key) == key),
            None,
        )
        if listed is None:
            return TypeMatch("unlisted", None, type_name.strip())
        type_name = listed.name
    wanted = normalised(type_name)
    # The exact name of a listed type is that listing (a name that is also banned is not in
    # `allowed`): picked from the list or typed, the same type gets the same answer.
    for item in allowed:
        if normalised(item.name) == wanted:
            return TypeMatch("allowed", item, item.name)
    for item in banned:
        name = normalised(item.name)
        # Either way round: “养犬证明” is the banned “居民养犬证明” too; a fragment shorter than
        # four characters (“证明”) names nothing.
        if name and (name in wanted or (len(wanted) >= 4 and wanted in name)):
            return TypeMatch("banned", item, type_name.strip())
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
    # A foreign key takes no text lookups; its target's code does (without a join).
    prefix_of = f"{field.removesuffix('_id')}__code" if field.endswith("_id") else field
    if user.has_role(Role.COMMUNITY_OFFICER) and unit.region.level == RegionLevel.COMMUNITY:
        return Q(**{field: unit.region_id})
    if user.has_role(Role.STREET_OFFICER) and unit.region.level == RegionLevel.STREET:
        return Q(**{f"{prefix_of}__startswith": unit.region.prefix})
    if user.has_role(*DISTRICT_ROLES) and unit.district_code:
        district = Region.objects.filter(code=unit.district_code).first()
        if district is not None:
            return Q(**{f"{prefix_of}__startswith": district.prefix})
    return None


def requests_visible_to(*, user: User) -> QuerySet[CertificateRequest]:
    """The certificate requests of the communities the user may read."""
    scope = _community_filter(user, "community__code")
    if scope is None:
        return CertificateRequest.objects.none()
    return CertificateRequest.objects.filter(scope).select_related(
        "community", "received_by", "decided_by"
    )


def request_visible_to(*, user: User, request_id: int) -> CertificateRequest | None:
    return requests_visible_to(user=user).filter(pk=request_id).first()


def certificates_visible_to(*, user: User) -> QuerySet[Certificate]:
    scope = _community_filter(user, "community__code")
    if scope is None:
        return Certificate.objects.none()
    return (
        Certificate.objects.filter(scope)
        .select_related("request", "community", "issued_by", "approved_by")
        .defer("pdf")
    )


def seal_uses_visible_to(*, user: User) -> QuerySet[SealUse]:
    scope = _community_filter(user, "community__code")
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


# The pages' reads: filtered lists, counts, the seal log of a year, the refusals report -------


def community_of(*, user: User) -> Region | None:
    """The community whose requests the user takes and whose seal they use, if any."""
    unit = active_unit(user)
    region = unit.region if unit is not None else None
    if region is None or region.level != RegionLevel.COMMUNITY:
        return None
    return region if user.has_perm("certificates.handle", region) else None


def communities_visible_to(*, user: User) -> list[Region]:
    """The communities whose certificates the user reads, with their streets."""
    scope = _community_filter(user, "code")
    if scope is None:
        return []
    return list(
        Region.objects.filter(scope, level=RegionLevel.COMMUNITY)
        .select_related("parent")
        .order_by("code")
    )


@dataclass(frozen=True)
class RequestFilters:
    """What a list of requests is narrowed to; `id_index` is the HMAC index of an ID number,
    never the number itself."""

    state: str = ""
    year: int | None = None
    type_name: str = ""
    text: str = ""
    id_index: str = ""
    community: str = ""


def requests_filtered(*, user: User, filters: RequestFilters) -> QuerySet[CertificateRequest]:
    """The user's visible requests narrowed by the filters, newest first."""
    requests = requests_visible_to(user=user)
    if filters.state:
        requests = requests.filter(state=filters.state)
    if filters.year:
        requests = requests.filter(received_at__year=filters.year)
    if filters.type_name:
        requests = requests.filter(type_name=filters.type_name)
    if filters.text:
        requests = requests.filter(
            Q(resident_name__icontains=filters.text) | Q(asking_body__icontains=filters.text)
        )
    if filters.id_index:
        requests = requests.filter(id_index=filters.id_index)
    if filters.community:
        requests = requests.filter(community_id=filters.community)
    # Whether the issued certificate was revoked since, without loading the certificate.
    return requests.annotate(revoked_at=F("certificate__revoked_at"))


@dataclass(frozen=True)
class RequestCounts:
    received: int
    issued: int
    refused: int
    # (ground, count) for every ground with refusals, most frequent first.
    refused_by_ground: list[tuple[str, int]]


def request_counts(requests: QuerySet[CertificateRequest]) -> RequestCounts:
    """How many of these requests wait, were issued and were refused (by ground); one query."""
    by_state: dict[str, int] = {}
    by_ground: dict[str, int] = {}
    rows = requests.order_by().values("state", "refusal_ground").annotate(n=Count("id"))
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
        if row["state"] == RequestState.REFUSED:
            by_ground[row["refusal_ground"]] = by_ground.get(row["refusal_ground"], 0) + row["n"]
    return RequestCounts(
        received=by_state.get(RequestState.RECEIVED, 0),
        issued=by_state.get(RequestState.ISSUED, 0),
        refused=by_state.get(RequestState.REFUSED, 0),
        refused_by_ground=sorted(by_ground.items(), key=lambda pair: (-pair[1], pair[0])),
    )


def request_type_names(*, user: User) -> list[str]:
    """The names of the types the user's visible requests asked for, for a filter."""
    return list(
        requests_visible_to(user=user)
        .order_by("type_name")
        .values_list("type_name", flat=True)
        .distinct()[:300]
    )


def request_years(*, user: User) -> list[int]:
    """The years in which the user's visible requests were received, latest first."""
    return sorted(
        {day.year for day in requests_visible_to(user=user).dates("received_at", "year")},
        reverse=True,
    )


def certificate_visible_to(*, user: User, pk: int) -> Certificate | None:
    return certificates_visible_to(user=user).filter(pk=pk).first()


def certificate_pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF of a certificate the caller has already found visible."""
    return bytes(Certificate.objects.filter(pk=certificate.pk).values_list("pdf", flat=True)[0])


def seal_approvers(*, community: Region, excluding: User | None = None) -> QuerySet[User]:
    """The community's active officers, who may approve a use of its seal."""
    users = User.objects.filter(
        is_active=True,
        unit__is_active=True,
        unit__region_id=community.code,
        roles__role=Role.COMMUNITY_OFFICER,
    )
    if excluding is not None:
        users = users.exclude(pk=excluding.pk)
    return users.distinct().order_by("username")


def seal_uses_of_year(*, user: User, year: int, community: str = "") -> QuerySet[SealUse]:
    """The seal uses of a year the user may read, in the order they happened."""
    # The certificates' PDFs stay in the database: a log names only their serials.
    uses = seal_uses_visible_to(user=user).filter(used_at__year=year).defer("certificate__pdf")
    if community:
        uses = uses.filter(community_id=community)
    return uses.order_by("used_at", "id")


@dataclass
class RefusalRow:
    """Refusals of one type asked for by one body: how often, in how many communities, why."""

    asking_body: str
    type_name: str
    total: int = 0
    communities: int = 0
    grounds: dict[str, int] = field(default_factory=dict)


def refusals_by_asker(*, user: User, year: int, community: str = "") -> list[RefusalRow]:
    """The refused requests of a year grouped by asking body and type, most frequent first:
    who keeps asking communities for certificates they must not issue. Two queries."""
    refused = requests_visible_to(user=user).filter(
        state=RequestState.REFUSED, received_at__year=year
    )
    if community:
        refused = refused.filter(community_id=community)
    refused = refused.order_by()
    rows: dict[tuple[str, str], RefusalRow] = {}
    for row in refused.values("asking_body", "type_name").annotate(
        n=Count("id"), places=Count("community", distinct=True)
    ):
        key = (row["asking_body"], row["type_name"])
        rows[key] = RefusalRow(*key, total=row["n"], communities=row["places"])
    for row in refused.values("asking_body", "type_name", "refusal_ground").annotate(n=Count("id")):
        rows[(row["asking_body"], row["type_name"])].grounds[row["refusal_ground"]] = row["n"]
    return sorted(rows.values(), key=lambda r: (-r.total, r.asking_body, r.type_name))


def legal_basis(item: Item) -> str:
    """A list item's legal basis as one line: the law and its article, else the quoted text."""
    return "".join(part for part in (item.legal_law, item.legal_article) if part) or item.legal_text
