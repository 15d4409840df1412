"""Suggested duplicates: items of one district whose names or legal bases nearly coincide.

Seed 003 cleaned 111 community items into 45 merged and 11 cancelled; most were the same work
worded differently by different departments. Names are compared as bags of character pairs
(bigrams) after common filler words are dropped and abbreviations spelled out, so word order
and "协助开展 / 协助做好" do not hide a duplicate.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from jianfu.catalog.models import Item

THRESHOLD = 0.5
# Items are compared across lists only within one family: work items with work items (a duty
# that is also on the negative list is exactly what must be found), certificates with
# certificates, signboards with signboards.
FAMILIES = {
    "duty": "work",
    "assist": "work",
    "negative": "work",
    "devolved": "work",
    "power": "work",
    "certificate": "certificate",
    "certificate_banned": "certificate",
    "signboard": "signboard",
}
# Words every list uses, which say nothing about what the item is.
FILLER = re.compile(
    r"协助|配合|开展|做好|负责|组织|工作|相关|有关|及时|以及|和|及|与|的|等|、|，|,|“|”|（|）|\(|\)"
)
ABBREVIATIONS = {
    "低保": "最低生活保障",
    "医保": "医疗保险",
    "社保": "社会保险",
    "两项补贴": "残疾人生活补贴护理补贴",
    "反诈": "反电信网络诈骗",
}


def normalise(name: str) -> str:
    for short, full in ABBREVIATIONS.items():
        name = name.replace(short, full)
    return FILLER.sub("", name)


def bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset([text])


@dataclass(frozen=True)
class Suggestion:
    first: Item
    second: Item
    score: float
    reason: str

    @property
    def same_list(self) -> bool:
        return self.first.version.list_id == self.second.version.list_id


def suggest_duplicates(items: list[Item], *, limit: int = 200) -> list[Suggestion]:
    """Pairs of items (not parent and sub-item) likely to be the same work, best first."""
    grams = {item.pk: bigrams(normalise(item.name)) for item in items}
    by_pk = {item.pk: item for item in items}
    index: dict[str, list[int]] = defaultdict(list)
    for pk, item_grams in grams.items():
        for gram in item_grams:
            index[gram].append(pk)
    shared: Counter[tuple[int, int]] = Counter()
    for pks in index.values():
        # A bigram in a large share of all items ("居民") does not make two items alike.
        if len(pks) > max(50, len(items) // 5):
            continue
        for i, a in enumerate(pks):
            for b in pks[i + 1 :]:
                shared[(a, b) if a < b else (b, a)] += 1
    suggestions = []
    for (a, b), common in shared.items():
        first, second = by_pk[a], by_pk[b]
        if first.key == second.parent_key or second.key == first.parent_key:
            continue
        if FAMILIES[first.version.list.kind] != FAMILIES[second.version.list.kind]:
            continue
        score = common / len(grams[a] | grams[b])
        same_basis = bool(first.legal_law) and (first.legal_law, first.legal_article) == (
            second.legal_law,
            second.legal_article,
        )
        if same_basis:
            score = min(1.0, score + 0.15)
        if score < THRESHOLD:
            continue
        reason = _("名称相似度 %(score)d%%") % {"score": round(score * 100)}
        if same_basis:
            reason += _("；设定依据相同（%(basis)s）") % {
                "basis": first.legal_law + first.legal_article
            }
        suggestions.append(Suggestion(first, second, round(score, 3), reason))
    suggestions.sort(key=lambda s: (-s.score, s.first.pk, s.second.pk))
    return suggestions[:limit]
