"""The keyset paginator of the list pages: every row once, in order, both ways, with no OFFSET."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jianfu.core import paging
from jianfu.core.models import Notification
from jianfu.core.paging import keyset_page
from jianfu.org.models import Region, RegionLevel, User

PREFIX = "98"


def _request(url: str = "/", **params):
    request = RequestFactory().get(url, params)
    # The notice about a spoilt link goes to the messages of the session.
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _follow(url: str, base: dict | None = None):
    """A request for a link the pager made (a query string)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return _request(**{**(base or {}), **query})


def _regions(rows: list[tuple[str, str, dt.date | None]]) -> list[Region]:
    return Region.objects.bulk_create(
        Region(code=f"{PREFIX}{n:010d}", name=name, level=RegionLevel.PROVINCE, valid_until=until)
        for n, (_code, name, until) in enumerate(rows)
    )


def _ours():
    return Region.objects.filter(code__startswith=PREFIX)


def _walk_forward(ordering, size, params=None):
    pages = []
    page = keyset_page(_request(**(params or {}), size=size), _ours(), ordering=ordering)
    pages.append(page)
    while page.next_url:
        page = keyset_page(_follow(page.next_url), _ours(), ordering=ordering)
        pages.append(page)
    return pages


def _codes(pages) -> list[str]:
    return [r.code for page in pages for r in page]


@pytest.fixture
def tied_regions(db):
    """Eleven rows whose names repeat, so the name alone cannot place a row."""
    names = ["乙", "甲", "乙", "丙", "甲", "乙", "丙", "甲", "乙", "丁", "甲"]
    return _regions([("", name, None) for name in names])


def test_forward_walk_gives_every_row_once_in_order_despite_ties(tied_regions):
    pages = _walk_forward(("name", "code"), size=3)
    expected = list(_ours().order_by("name", "code").values_list("code", flat=True))
    assert _codes(pages) == expected
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert not pages[0].has_previous and pages[0].has_next
    assert pages[-1].has_previous and not pages[-1].has_next and pages[-1].next_url is None


def test_descending_walk_with_ties(tied_regions):
    pages = _walk_forward(("-name", "-code"), size=4)
    expected = list(_ours().order_by("-name", "-code").values_list("code", flat=True))
    assert _codes(pages) == expected


def test_backward_walk_gives_back_the_same_pages(tied_regions):
    ordering = ("name", "code")
    forward = _walk_forward(ordering, size=3)
    page = forward[-1]
    seen = [[r.code for r in page]]
    while page.previous_url:
        page = keyset_page(_follow(page.previous_url), _ours(), ordering=ordering)
        seen.append([r.code for r in page])
    assert seen == [[r.code for r in p] for p in reversed(forward)]
    # Back at the start: no way further back, a way forward.
    assert not page.has_previous and page.has_next


def test_first_page_link_drops_the_cursor_and_keeps_the_filters(tied_regions):
    page = keyset_page(_request(q="甲", year="2026", size=3), _ours(), ordering=("name", "code"))
    second = keyset_page(_follow(page.next_url), _ours(), ordering=("name", "code"))
    for url in (page.next_url, second.previous_url, second.next_url, second.first_url):
        query = parse_qs(urlsplit(url).query)
        assert query["q"] == ["甲"] and query["year"] == ["2026"] and query["size"] == ["3"]
    assert "cursor" not in parse_qs(urlsplit(second.first_url).query)


def test_an_old_page_number_is_dropped_from_the_links(tied_regions):
    page = keyset_page(_request(page="7", size=3), _ours(), ordering=("name", "code"))
    assert [r.code for r in page] == _codes(_walk_forward(("name", "code"), size=3))[:3]
    assert "page" not in parse_qs(urlsplit(page.next_url).query)


@pytest.fixture
def regions_with_gaps(db):
    """Rows whose end date is often unknown (NULL), with ties among the known ones."""
    days = [None, dt.date(2026, 3, 1), None, dt.date(2025, 1, 1), dt.date(2026, 3, 1), None]
    days += [dt.date(2024, 6, 30), None, dt.date(2025, 1, 1)]
    return _regions([("", f"区{n}", day) for n, day in enumerate(days)])


@pytest.mark.parametrize("ordering", [("valid_until", "code"), ("-valid_until", "code")])
@pytest.mark.parametrize("size", [1, 2, 4])
def test_nulls_come_last_and_no_row_is_lost_or_repeated(regions_with_gaps, ordering, size):
    pages = _walk_forward(ordering, size=size)
    codes = _codes(pages)
    rows = {r.code: r for r in _ours()}
    assert sorted(codes) == sorted(rows)
    dates = [rows[c].valid_until for c in codes]
    known = [d for d in dates if d is not None]
    assert dates == known + [None] * (len(dates) - len(known))
    assert known == sorted(known, reverse=ordering[0].startswith("-"))
    # Going back from the end retraces the same rows.
    page, back = pages[-1], [[r.code for r in pages[-1]]]
    while page.previous_url:
        page = keyset_page(_follow(page.previous_url), _ours(), ordering=ordering)
        back.append([r.code for r in page])
    assert [c for chunk in reversed(back) for c in chunk] == codes


@pytest.mark.parametrize(
    "cursor", ["garbage", "", "..", "eyJ4IjoxfQ", "%00", "a" * 500, "[1,2]:abc"]
)
def test_a_malformed_cursor_gives_the_first_page(tied_regions, cursor):
    first = keyset_page(_request(size=3), _ours(), ordering=("name", "code"))
    request = _request(size=3, cursor=cursor)
    page = keyset_page(request, _ours(), ordering=("name", "code"))
    assert [r.code for r in page] == [r.code for r in first]
    assert not page.has_previous
    if cursor:
        assert [str(m) for m in get_messages(request)] == ["分页链接已失效，已回到第一页。"]


def test_a_tampered_cursor_gives_the_first_page(tied_regions):
    first = keyset_page(_request(size=3), _ours(), ordering=("name", "code"))
    token = parse_qs(urlsplit(first.next_url).query)["cursor"][0]
    payload, signature = token.rsplit(":", 1)
    tampered = f"{payload}:{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    page = keyset_page(_request(size=3, cursor=tampered), _ours(), ordering=("name", "code"))
    assert [r.code for r in page] == [r.code for r in first]


def test_a_cursor_of_another_list_gives_the_first_page(tied_regions):
    other = keyset_page(_request(size=3), _ours(), ordering=("-name", "-code"))
    token = parse_qs(urlsplit(other.next_url).query)["cursor"][0]
    first = keyset_page(_request(size=3), _ours(), ordering=("name", "code"))
    page = keyset_page(_request(size=3, cursor=token), _ours(), ordering=("name", "code"))
    assert [r.code for r in page] == [r.code for r in first]


def test_a_signed_cursor_whose_values_do_not_parse_gives_the_first_page(tied_regions):
    columns = paging._columns(_ours(), ("valid_until", "code"))
    salt = paging._salt(_ours(), columns)
    bad = paging._encode(paging.FORWARD, ["not a date", "x"], salt)
    wrong_length = paging._encode(paging.FORWARD, ["2026-01-01"], salt)
    null_code = paging._encode(paging.FORWARD, ["2026-01-01", None], salt)
    for token in (bad, wrong_length, null_code):
        page = keyset_page(_request(cursor=token), _ours(), ordering=("valid_until", "code"))
        assert len(page) == 11 and not page.has_previous


@pytest.mark.parametrize(
    ("asked", "expected"),
    [("", 5), ("3", 3), ("0", 1), ("-4", 1), ("abc", 5), ("9999", 8), ("1.5", 5)],
)
def test_page_size_is_kept_within_limits(tied_regions, asked, expected):
    page = keyset_page(_request(size=asked), _ours(), ordering=("name", "code"), size=5, max_size=8)
    assert page.size == expected and len(page) == expected


def test_pages_use_no_offset_and_one_query(tied_regions):
    first = keyset_page(_request(size=3), _ours(), ordering=("name", "code"))
    for request in (_request(size=3), _follow(first.next_url)):
        with CaptureQueriesContext(connection) as queries:
            page = keyset_page(request, _ours(), ordering=("name", "code"))
        assert len(queries) == 1
        assert "OFFSET" not in queries[0]["sql"].upper()
    second = page
    with CaptureQueriesContext(connection) as queries:
        keyset_page(_follow(second.previous_url), _ours(), ordering=("name", "code"))
    assert len(queries) == 1 and "OFFSET" not in queries[0]["sql"].upper()


def test_the_total_is_counted_in_one_query_and_capped(tied_regions, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(_request(size=3), _ours(), ordering=("name", "code"), count=True)
    assert len(queries) == 2
    assert page.total == 11 and not page.total_capped
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    page = keyset_page(_request(size=3), _ours(), ordering=("name", "code"), count=True)
    assert page.total == 5 and page.total_capped
    without = keyset_page(_request(size=3), _ours(), ordering=("name", "code"))
    assert without.total is None


def test_an_empty_list_has_one_empty_page(db):
    page = keyset_page(_request(), _ours(), ordering=("code",), count=True)
    assert list(page) == [] and not page.has_other_pages and page.total == 0


def test_datetimes_keep_their_microseconds_in_the_cursor(db):
    """Rows a microsecond apart are neither skipped nor repeated."""
    user = User.objects.create(username="paging_reader")
    base = timezone.now().replace(microsecond=0)
    made = Notification.objects.bulk_create(
        Notification(recipient=user, message=str(n)) for n in range(7)
    )
    for n, row in enumerate(made):
        # Pairs share a moment; neighbours differ by one microsecond.
        Notification.objects.filter(pk=row.pk).update(
            created_at=base + dt.timedelta(microseconds=n // 2)
        )
    rows = Notification.objects.filter(recipient=user)
    ordering = ("-created_at", "-id")
    page = keyset_page(_request(size=2), rows, ordering=ordering)
    seen = [n.pk for n in page]
    while page.next_url:
        page = keyset_page(_follow(page.next_url), rows, ordering=ordering)
        seen.extend(n.pk for n in page)
    assert seen == list(rows.order_by(*ordering).values_list("pk", flat=True))


def test_an_ordering_must_name_real_columns(db):
    with pytest.raises(ValueError):
        keyset_page(_request(), _ours(), ordering=())
    with pytest.raises(ValueError):
        keyset_page(_request(), _ours(), ordering=("no_such_column",))
