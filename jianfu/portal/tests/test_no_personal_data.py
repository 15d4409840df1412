"""The portal serves no personal data at all: crawl every public page reachable from /public/
(and the daily dump), in Chinese and in English, and look for anything that names or reaches a
person — account names, display names, ID numbers, mobile numbers, e-mail addresses, residents'
names and telephones on certificates, ballot comments, evaluators' codes.

The crawl follows every link within /public/ and /verify/ to depth 3, so pages other apps add
under /public/ (burden statistics, department scorecards) are scanned as soon as they exist.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jianfu.certificates.models import CertificateRequest, SealUse
from jianfu.evaluation import services as evaluation_services
from jianfu.evaluation.models import Ballot, Campaign, CampaignState, Evaluator, GroupKind
from jianfu.org.models import Region, User

pytestmark = pytest.mark.django_db

ZHONGGULOU = "511002001001"
START = (
    "/public/",
    "/public/dump/latest.json",
    "/public/dump/latest.csv",
    "/public/stats/",
    "/public/scorecard/",
)
FOLLOW = ("/public/", "/verify/")
# The language links set a cookie and redirect; they are the reader's own action.
SKIP = ("/public/lang/",)
MAX_DEPTH = 3
MAX_PAGES = 800
TEXT_TYPES = ("text/", "application/json")

# GB 11643: six digits of region, a birth date, three of sequence, a check character.
ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])"
)
# Not inside a longer run of letters and digits: a UUID's last group can hold 11 such digits.
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
HREF = re.compile(r"""href="([^"]+)\"""")


@pytest.fixture(scope="module")
def secrets(demo_world, django_db_blocker):
    """The demo's personal data, with some planted where the demo has none: an account's
    e-mail and mobile, and evaluator codes in clear (the only moment they exist)."""
    with django_db_blocker.unblock():
        officer = User.objects.get(username="community_officer")
        officer.email = "zhang.wei@example.gov.cn"
        officer.save(update_fields=["email"])
        campaign = Campaign.objects.get(state=CampaignState.OPEN)
        _sheet, codes = evaluation_services.tokens_issue(
            actor=officer,
            campaign=campaign,
            region=Region.objects.get(code=ZHONGGULOU),
            group_kind=GroupKind.RESIDENTS,
            count=3,
        )
        texts: dict[str, str] = {}
        for user in User.objects.all():
            texts[user.username] = "account name"
            if user.display_name:
                texts[user.display_name] = "display name"
            if user.email:
                texts[user.email] = "e-mail"
        for comment in Ballot.objects.exclude(comment="").values_list("comment", flat=True):
            texts[comment] = "ballot comment"
        for code_hash in Evaluator.objects.exclude(code_hash=None).values_list(
            "code_hash", flat=True
        ):
            texts[code_hash] = "evaluator code hash"
        for code in codes:
            texts[code] = "evaluator code"
        for request in CertificateRequest.objects.all():
            for value, kind in (
                (request.resident_name, "resident's name"),
                (request.resident_phone, "resident's telephone"),
                (request.id_masked, "masked ID number"),
            ):
                if value:
                    texts[value] = kind
        for use in SealUse.objects.all():
            for value, kind in (
                (use.requester_name, "requester's name"),
                (use.requester_phone, "requester's telephone"),
            ):
                if value:
                    texts[value] = kind
        unpublished = [
            reverse("portal_evaluation_detail", args=[pk])
            for pk in Campaign.objects.exclude(state=CampaignState.PUBLISHED).values_list(
                "pk", flat=True
            )
        ]
        assert any(kind == "ballot comment" for kind in texts.values())
        assert any(kind == "evaluator code" for kind in texts.values())
    return texts, unpublished


def _word(text: str) -> re.Pattern:
    # An account name such as "auditor" is a word in English prose: only the whole name, as
    # written, counts (auditor_2 or "auditor" in a sentence do not).
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(text)}(?![A-Za-z0-9_])")


def crawl(client: Client) -> dict[str, tuple[str, str]]:
    """{path: (content type, text)} of every public page reachable to depth MAX_DEPTH."""
    seen: dict[str, tuple[str, str]] = {}
    queue = deque((path, 0) for path in START)
    queued = set(START)
    while queue and len(seen) < MAX_PAGES:
        path, depth = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302):
            target = urljoin(path, response["Location"])
            if target.startswith(FOLLOW) and target not in queued:
                queued.add(target)
                queue.append((target, depth))
            continue
        if response.status_code == 404:
            continue
        assert response.status_code == 200, (path, response.status_code)
        content_type = response.get("Content-Type", "")
        text = (
            response.content.decode("utf-8-sig", errors="replace")
            if content_type.startswith(TEXT_TYPES)
            else ""
        )
        seen[path] = (content_type, text)
        if depth >= MAX_DEPTH or not content_type.startswith("text/html"):
            continue
        for href in HREF.findall(text):
            href = urldefrag(urljoin(path, href.replace("&amp;", "&")))[0]
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != "testserver":
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target.startswith(FOLLOW) and not target.startswith(SKIP) and target not in queued:
                queued.add(target)
                queue.append((target, depth + 1))
    return seen


def problems_in(text: str, secrets: dict[str, str]) -> list[str]:
    found = []
    for value, kind in secrets.items():
        if kind == "account name":
            if _word(value).search(text):
                found.append(f"{kind}: {value}")
        elif value in text:
            found.append(f"{kind}: {value}")
    for pattern, kind in ((ID_NUMBER, "ID number"), (MOBILE, "mobile"), (EMAIL, "e-mail")):
        found += [f"{kind}: {match}" for match in pattern.findall(text)]
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_public_page_or_dump_shows_personal_data(secrets, language):
    texts, unpublished = secrets
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = crawl(client)
    # The crawl reached the portal's sections, the lists, the register and the results.
    for path in (
        "/public/",
        "/public/dump/latest.json",
        "/public/lists/",
        "/public/admissions/",
        "/public/evaluation/",
    ):
        assert path in pages, path
    assert any(p.startswith("/public/evaluation/") and p[-2].isdigit() for p in pages)
    assert any(p.startswith("/verify/admission/") for p in pages)
    assert len(pages) > 30, len(pages)
    print(f"crawled {len(pages)} public pages and files ({language})")
    leaks = {
        path: found for path, (_type, text) in pages.items() if (found := problems_in(text, texts))
    }
    assert not leaks
    # The results of a campaign not yet published are nowhere to be found.
    for path in unpublished:
        assert path not in pages
        assert client.get(path).status_code == 404


def test_the_scan_finds_what_it_looks_for(secrets):
    texts, _unpublished = secrets
    comment = next(value for value, kind in texts.items() if kind == "ballot comment")
    sample = (
        f"联系 13912345678，身份证 110101199003074514，邮箱 a.b@example.cn，"
        f"账号 community_officer。{comment}"
    )
    kinds = {problem.split(":")[0] for problem in problems_in(sample, texts)}
    assert kinds >= {"mobile", "ID number", "e-mail", "account name", "ballot comment"}
    # Region codes, admission numbers and dates are not personal data.
    assert not problems_in("511002001001 市中准〔2025〕1号 2026-11-24 19:24", {})
