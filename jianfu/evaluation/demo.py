"""Demo evaluations (一年一评议) in 内江市市中区, run through the real services by the people whose
job it is.

Loaded after the funds demo. Last year's campaign is finished and published (通报). It rated two
admissions in 城东街道's two communities:

- 区卫健局's 居民电子健康档案入户采集协助, a two-year admission made here for the purpose (through
  the real procedure, then moved into last year's register as the funds demo does): 48.0 % in
  钟鼓楼社区, revoked there by the tally; 50.5 % in 箭道街社区, kept. Both years' money reached
  the communities, this year's for 钟鼓楼社区 only up to the revocation.
- 区民政局's 冬季困难群众走访慰问 (the admission demo's admission of last winter): too few ballots
  in 钟鼓楼社区 to decide anything (below the quorum of 30), kept in 箭道街社区.

Residents' representatives and party members voted with one-time codes from token sheets, the
`evaluator` persona with their account, and 箭道街社区's resident units on paper, entered by the
community and confirmed by the street.

This year's campaign opened a few days ago and closes in about three weeks: the `evaluator`
persona is enrolled as a residents' representative of 钟鼓楼社区 and has not voted yet; 钟鼓楼社区
and 箭道街社区 have printed token sheets, and some of their codes have been used.

The services are given the moment of each step (`now=`) where they take one; what they date
themselves (enrolments, token sheets, the revocation in the register, the publication) is dated
today.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from jianfu.admission.demo import _Demo
from jianfu.admission.models import Admission
from jianfu.evaluation import assessment as assessment_services
from jianfu.evaluation import services
from jianfu.evaluation.models import Campaign, GroupKind, Outcome, Target
from jianfu.evaluation.paper import ADMISSION, COMMENT, IDENTITY, OVERALL
from jianfu.funds import services as funds_services
from jianfu.funds.demo import POLITICS_AND_LAW, _committed, _Ledger, _seed_admission
from jianfu.org.models import Region, Unit, User

DISTRICT = "511002000000"  # 市中区
ZHONGGULOU, JIANDAOJIE = "511002001001", "511002001002"  # 城东街道
HEALTH_RECORDS = "居民电子健康档案入户采集协助"
WINTER_VISITS = "冬季困难群众走访慰问"
RESIDENTS = GroupKind.RESIDENTS
PARTY = GroupKind.PARTY_MEMBERS
UNITS = GroupKind.RESIDENT_UNITS
QUORUM = 30
# Last year's weights, written out so the arithmetic below holds whatever the defaults become.
GROUPS = (
    (RESIDENTS, 40),
    (PARTY, 20),
    (UNITS, 15),
    (GroupKind.ORGANISATIONS, 15),
    (GroupKind.OTHER_REPRESENTATIVES, 10),
)

# 区卫健局's admission for the two years, in the funds demo's shape (its accounts exist by now).
HEALTH_ADMISSION = {
    "clerk": "szq_wj_clerk",
    "head": "szq_wj_head",
    "scope": {ZHONGGULOU: 1_200_000, JIANDAOJIE: 1_000_000},
    "values": {
        "title": HEALTH_RECORDS,
        "content": "社区协助区卫健局入户采集、更新居民电子健康档案信息，并动员居民签约家庭医生。",
        "service_objects": "辖区常住居民",
        "legal_law": "《国家基本公共卫生服务规范（第三版）》",
        "legal_article": "居民健康档案管理服务规范",
        "higher_document_number": "川卫发〔2024〕21号",
        "need_statement": "社区熟悉居民情况，便于上门核对信息。",
        "work_plan": "区卫健局提供采集终端和培训，社区每季度入户核对一次，按户拨付工作经费。",
        "funding_source": "基本公共卫生服务项目经费",
        "minutes_per_occurrence": 40,
        "occurrences_per_year": 12,
    },
}

# Last year's ballots: (admission title, community) → {group: (满意, 基本满意, 不满意)}.
# The satisfaction rate is Σ weight × (满意 + 基本满意) / Σ weight × valid ballots, over the
# groups that voted (residents 40, party members 20, resident units 15):
#   健康档案, 钟鼓楼: (40×8 + 20×8) / (40×20 + 20×10) = 480 / 1000 = 48.0 % → revoked. By head
#       count it is 16 / 30 = 53.3 %: the residents, who weigh most, were not satisfied.
#   健康档案, 箭道街: (40×8 + 20×4 + 15×7) / (40×17 + 20×10 + 15×8) = 505 / 1000 = 50.5 % → kept.
#   冬季走访, 钟鼓楼: 12 valid ballots, below the quorum of 30 → no decision, though its rate is
#       (40×3 + 20×2) / (40×8 + 20×4) = 160 / 400 = 40 %.
#   冬季走访, 箭道街: (40×15 + 20×7 + 15×4) / (40×20 + 20×8 + 15×5) = 800 / 1035 = 77.3 % → kept.
LAST_YEARS_BALLOTS = {
    (HEALTH_RECORDS, ZHONGGULOU): {RESIDENTS: (3, 5, 12), PARTY: (5, 3, 2)},
    (HEALTH_RECORDS, JIANDAOJIE): {RESIDENTS: (3, 5, 9), PARTY: (1, 3, 6), UNITS: (4, 3, 1)},
    (WINTER_VISITS, ZHONGGULOU): {RESIDENTS: (1, 2, 5), PARTY: (1, 1, 2)},
    (WINTER_VISITS, JIANDAOJIE): {RESIDENTS: (9, 6, 5), PARTY: (4, 3, 1), UNITS: (2, 2, 1)},
}
# What the `evaluator` persona (a residents' representative of 钟鼓楼社区) said last year.
PERSONAS_VERDICTS = {
    HEALTH_RECORDS: (0, "一年上门采集三次，问的内容和去年一样，居民不愿意再填。"),
    WINTER_VISITS: (2, ""),
}
# Comments some evaluators wrote, by admission and verdict (0 不满意, 1 基本满意, 2 满意).
COMMENTS = {
    HEALTH_RECORDS: {
        0: [
            "采集表格和卫生院系统重复，社区工作人员晚上加班录入。",
            "入户时间都在上班时间，家里没人还要反复跑。",
            "采集了信息却看不到有什么服务，居民觉得是走形式。",
        ],
        1: ["家庭医生上门量血压是好事，但采集次数能不能少一点。"],
        2: ["对行动不便的老人有帮助。"],
    },
    WINTER_VISITS: {
        0: ["慰问名单没有和社区核对，有的困难户漏掉了。"],
        2: ["走访及时，慰问品实在。", "春节前就送到了，老人很高兴。"],
    },
}
RATING_WORDS = {2: "满意", 1: "基本满意", 0: "不满意"}


@transaction.atomic
def evaluation_demo_load() -> None:
    """Last year's finished campaign and this year's open one; loads nothing if 市中区 already
    has a campaign, so running it again changes nothing."""
    if Campaign.objects.filter(district_id=DISTRICT).exists():
        return
    people = {u.username: u for u in User.objects.select_related("unit__region")}
    regions = Region.objects.in_bulk([DISTRICT, ZHONGGULOU, JIANDAOJIE])
    today = timezone.localdate()
    health = _health_admission(people, today.year)
    _last_years_campaign(people, regions, today)
    _health_money(people, health, today.year)
    _this_years_campaign(people, regions, today)
    _last_years_assessment(people, regions[DISTRICT], today.year - 1)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _health_admission(people: dict[str, User], year: int) -> Admission:
    """区卫健局's admission, in force from 1 January last year to the end of this one."""
    spec = {**HEALTH_ADMISSION, "valid": (dt.date(year - 1, 1, 1), dt.date(year, 12, 31))}
    return _seed_admission(_Demo(people), spec)


def _health_money(people: dict[str, User], admission: Admission, year: int) -> None:
    """Both years' money for the health records, each year's as committed: this year's for
    钟鼓楼社区 only up to the revocation.

    Moved after the tally, this year's first: a transfer runs the tripwire for this year, which
    would suspend an admission that had received only last year's money.
    """
    ledger = _Ledger(people)
    budget = funds_services.budget_line(admission.department, admission.funding_source)
    for budget_year in (year, year - 1):
        money = [
            (code, amount)
            for code, amount in sorted(_committed(admission, budget_year).items())
            if amount > 0
        ]
        ledger.appropriate(
            budget,
            sum(amount for _code, amount in money),
            budget_year,
            f"{budget_year}年{admission.funding_source}预算（{admission.title}）",
        )
        ledger.transfer(
            HEALTH_ADMISSION["clerk"],
            budget,
            admission,
            money,
            budget_year,
            f"{budget_year}年{admission.title}工作经费（费随事转，准入 {admission.number}）",
        )


def _verdicts(counts: tuple[int, int, int], seed: str) -> list[int]:
    """满意, 基本满意 and 不满意 verdicts in a fixed, mixed order."""
    very, fairly, no = counts
    verdicts = [2] * very + [1] * fairly + [0] * no
    random.Random(seed).shuffle(verdicts)  # noqa: S311 (demo data, not secrets)
    return verdicts


def _ratings(overall: int, serial: int) -> dict[int, int]:
    """The dimensions mostly follow the overall verdict; 经费落实 (4) is rated a step lower on
    every third ballot, so the dimensions' rates differ a little."""
    ratings = dict.fromkeys(range(1, 6), overall)
    if serial % 3 == 0:
        ratings[4] = max(overall - 1, 0)
    return ratings


class _Voters:
    """The ballots each evaluator of one community and group casts: evaluator i rates every
    target whose list of verdicts for the group has an i-th entry."""

    def __init__(self, targets: dict[str, Target], plan: dict[str, dict[str, tuple]]):
        self.targets = targets
        self.verdicts = {
            (title, group): _verdicts(counts, f"{title}/{target.region_id}/{group}")
            for title, target in targets.items()
            for group, counts in plan.get(title, {}).items()
        }
        self.comments = {
            title: {verdict: list(texts) for verdict, texts in COMMENTS.get(title, {}).items()}
            for title in targets
        }
        self.serial = 0

    def put_first(self, group: str, verdicts: dict[str, tuple[int, str]]) -> None:
        """Give the group's first evaluator these verdicts (and comments)."""
        for title, (verdict, comment) in verdicts.items():
            listed = self.verdicts[title, group]
            listed.insert(0, listed.pop(listed.index(verdict)))
            if comment:
                self.comments[title][verdict].insert(0, comment)

    def count(self, group: str) -> int:
        return max((len(v) for (_t, g), v in self.verdicts.items() if g == group), default=0)

    def entries(self, group: str, index: int) -> list[dict]:
        entries = []
        for title, target in self.targets.items():
            listed = self.verdicts.get((title, group), [])
            if index >= len(listed):
                continue
            overall = listed[index]
            texts = self.comments[title].get(overall) or []
            self.serial += 1
            entries.append(
                {
                    "target": target.pk,
                    "overall": overall,
                    "ratings": _ratings(overall, self.serial),
                    "comment": texts.pop(0) if texts else "",
                }
            )
        return entries


def _spread(start: dt.datetime, end: dt.datetime, count: int) -> list[dt.datetime]:
    """`count` moments evenly spread strictly between start and end."""
    step = (end - start) / (count + 1)
    return [start + step * (n + 1) for n in range(count)]


def _targets_of(campaign: Campaign, region: str) -> dict[str, Target]:
    return {
        t.title: t
        for t in Target.objects.filter(campaign=campaign, region_id=region).order_by("pk")
    }


def _opened_campaign(
    people: dict[str, User],
    regions: dict[str, Region],
    year: int,
    opens: dt.datetime,
    closes: dt.datetime,
    **rules,
) -> Campaign:
    """The group office's campaign for `year`, opened, with the `evaluator` persona enrolled by
    钟鼓楼社区 as a residents' representative."""
    secretary = people["group_secretary"]
    campaign = services.campaign_create(
        actor=secretary,
        district=regions[DISTRICT],
        year=year,
        title=f"市中区{year}年度社区工作准入事项评议",
        opens_at=opens,
        closes_at=closes,
        **rules,
    )
    services.evaluator_enrol(
        actor=people["community_officer"],
        campaign=campaign,
        user=people["evaluator"],
        group_kind=RESIDENTS,
        region=regions[ZHONGGULOU],
    )
    return services.campaign_open(actor=secretary, campaign=campaign, now=opens)


def _last_years_window(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Last year's evaluation ran in the first weeks of this year (5 to 23 January), or ended
    three weeks ago when the demo is loaded in January."""
    closes_on = min(dt.date(today.year, 1, 23), today - dt.timedelta(days=21))
    return _at(closes_on - dt.timedelta(days=18), 9), _at(closes_on, 18)


def _last_years_campaign(
    people: dict[str, User], regions: dict[str, Region], today: dt.date
) -> Campaign:
    secretary = people["group_secretary"]
    opens, closes = _last_years_window(today)
    year = today.year - 1
    campaign = _opened_campaign(
        people,
        regions,
        year,
        opens,
        closes,
        groups=GROUPS,
        quorum=QUORUM,
        automatic_revocation=True,
    )
    plan = {
        community: {
            title: groups
            for (title, code), groups in LAST_YEARS_BALLOTS.items()
            if code == community
        }
        for community in (ZHONGGULOU, JIANDAOJIE)
    }
    zhonggulou = _Voters(_targets_of(campaign, ZHONGGULOU), plan[ZHONGGULOU])
    jiandaojie = _Voters(_targets_of(campaign, JIANDAOJIE), plan[JIANDAOJIE])
    # The persona voted in the browser; they are the first of 钟鼓楼社区's residents.
    zhonggulou.put_first(RESIDENTS, PERSONAS_VERDICTS)
    submissions: list[tuple[str | None, list[dict]]] = [(None, zhonggulou.entries(RESIDENTS, 0))]
    for voters, region, officer, groups in (
        (zhonggulou, ZHONGGULOU, "community_officer", [RESIDENTS, PARTY]),
        (jiandaojie, JIANDAOJIE, "szq_jdj_officer", [RESIDENTS, PARTY]),
    ):
        for group in groups:
            first = 1 if voters is zhonggulou and group == RESIDENTS else 0
            _sheet, codes = services.tokens_issue(
                actor=people[officer],
                campaign=campaign,
                region=regions[region],
                group_kind=group,
                count=voters.count(group) - first,
            )
            submissions += [
                (code, voters.entries(group, index))
                for index, code in enumerate(codes, start=first)
            ]
    # Mixed in time, as they came in over the window (a fixed order, so each load is the same).
    random.Random(year).shuffle(submissions)  # noqa: S311 (demo data, not secrets)
    for (code, entries), moment in zip(
        submissions, _spread(opens, closes - dt.timedelta(days=3), len(submissions)), strict=True
    ):
        services.ballot_cast(
            actor=people["evaluator"] if code is None else None,
            campaign=campaign,
            entries=entries,
            code=code,
            now=moment,
        )
    _paper_ballots(people, regions, campaign, jiandaojie, closes)
    services.campaign_close(actor=secretary, campaign=campaign, now=closes + dt.timedelta(hours=1))
    services.campaign_publish(actor=secretary, campaign=campaign, notice=_notice(campaign))
    return campaign


def _paper_ballots(
    people: dict[str, User],
    regions: dict[str, Region],
    campaign: Campaign,
    voters: _Voters,
    closes: dt.datetime,
) -> None:
    """箭道街社区's resident units filled in paper ballots with the codes they were given; the
    community entered them from a spreadsheet and the street confirmed them."""
    region = regions[JIANDAOJIE]
    _sheet, codes = services.tokens_issue(
        actor=people["szq_jdj_officer"],
        campaign=campaign,
        region=region,
        group_kind=UNITS,
        count=voters.count(UNITS),
    )
    numbers = {
        t.pk: t.admission.number
        for t in Target.objects.filter(campaign=campaign).select_related("admission")
    }
    dimensions = list(campaign.dimensions.values_list("position", "name"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("纸质票")
    sheet.append(
        [IDENTITY[0], ADMISSION[0], OVERALL[0], *(name for _p, name in dimensions), COMMENT[0]]
    )
    for index, code in enumerate(codes):
        for entry in voters.entries(UNITS, index):
            sheet.append(
                [
                    code,
                    numbers[entry["target"]],
                    RATING_WORDS[entry["overall"]],
                    *(RATING_WORDS[entry["ratings"][p]] for p, _name in dimensions),
                    entry["comment"],
                ]
            )
    content = io.BytesIO()
    workbook.save(content)
    batch = services.paper_batch_upload(
        actor=people["szq_jdj_officer"],
        campaign=campaign,
        region=region,
        file_name="箭道街社区驻区单位纸质评议票.xlsx",
        content=content.getvalue(),
        now=closes - dt.timedelta(days=2),
    )
    services.paper_batch_confirm(
        actor=people["street_officer"], batch=batch, now=closes - dt.timedelta(days=1)
    )


def _notice(campaign: Campaign) -> str:
    """The published notice (通报), written from the tally's results. Not translated: it is the
    district's Chinese document, as a real one would be."""
    closed = timezone.localtime(campaign.closes_at)
    lines = [
        f"根据区社区减负工作领导小组安排，{campaign.year}年度社区工作准入事项评议已于"
        f"{closed.year}年{closed.month}月{closed.day}日结束。驻区单位、党员代表和居民代表"
        "对进入社区的部门工作逐项评议，结果通报如下："
    ]
    order = [
        Outcome.REVOKED,
        Outcome.TO_REVOKE,
        Outcome.KEPT,
        Outcome.BELOW_QUORUM,
        Outcome.PENDING,
    ]
    targets = sorted(
        campaign.targets.select_related("department", "region"),
        key=lambda t: (order.index(t.outcome), t.pk),
    )
    for target in targets:
        where = f"{target.department.name}“{target.title}”在{target.region.name}"
        if target.outcome == Outcome.REVOKED:
            lines.append(
                f"{where}群众满意率 {target.rate_percent:.1f}%，不过半数，依照规定撤销该事项在"
                f"{target.region.name}的准入，相关工作社区不再承担。"
            )
        elif target.outcome == Outcome.BELOW_QUORUM:
            lines.append(
                f"{where}有效票 {target.valid_ballots} 张，不足 {campaign.quorum} 张，本年度不作结论，"
                "请社区加强评议组织。"
            )
        else:
            lines.append(f"{where}群众满意率 {target.rate_percent:.1f}%，予以保留。")
    lines.append(
        "满意率在 60% 以下的部门，请于一个月内向区社区减负工作领导小组办公室报送整改措施。"
    )
    return "\n".join(lines)


def _this_years_campaign(
    people: dict[str, User], regions: dict[str, Region], today: dt.date
) -> Campaign:
    """Open since four days ago, closing in three weeks; the persona has not voted yet."""
    opens, closes = _at(today - dt.timedelta(days=4), 9), _at(today + dt.timedelta(days=21), 18)
    campaign = _opened_campaign(people, regions, today.year, opens, closes)
    submissions = []
    for region, officer, group, printed, used in (
        (ZHONGGULOU, "community_officer", RESIDENTS, 30, 9),
        (JIANDAOJIE, "szq_jdj_officer", PARTY, 10, 4),
    ):
        _sheet, codes = services.tokens_issue(
            actor=people[officer],
            campaign=campaign,
            region=regions[region],
            group_kind=group,
            count=printed,
        )
        targets = _targets_of(campaign, region)
        submissions += [(code, _these_verdicts(targets, n)) for n, code in enumerate(codes[:used])]
    # Cast between the opening and an hour ago, so none is dated in the future.
    latest = max(timezone.now() - dt.timedelta(hours=1), opens + dt.timedelta(hours=1))
    for (code, entries), moment in zip(
        submissions, _spread(opens, latest, len(submissions)), strict=True
    ):
        services.ballot_cast(actor=None, campaign=campaign, entries=entries, code=code, now=moment)
    return campaign


def _these_verdicts(targets: dict[str, Target], n: int) -> list[dict]:
    """This year's early ballots: mostly satisfied, one target in four rated 基本满意 and one
    evaluator in five dissatisfied with the first."""
    entries = []
    for k, target in enumerate(targets.values()):
        overall = 0 if (n % 5 == 4 and k == 0) else 1 if (n + k) % 4 == 0 else 2
        entries.append(
            {"target": target.pk, "overall": overall, "ratings": _ratings(overall, n + k)}
        )
    return entries


# Last year's assessment of the two streets' judicial offices (司法所), stationed by the district's
# political-and-legal committee (the demo has no 司法局), scored by it, by each street and, for
# society, by the group office from the survey: 城东 (86, 90, 78) weighs 85.2; 城西 (72, 48, 58)
# weighs (30×72 + 40×48 + 30×58) / 100 = 58.2, below the line of 60, so it needs adjustment.
ASSESSMENT_SCORES = {
    "城东司法所": {
        ("department", "szq_zfw_clerk"): (34, 26, 17, 9),
        ("street", "street_officer"): (36, 27, 18, 9),
        ("society", "group_secretary"): (30, 24, 16, 8),
    },
    "城西司法所": {
        ("department", "szq_zfw_clerk"): (30, 20, 14, 8),
        ("street", "street_officer2"): (20, 14, 9, 5),
        ("society", "group_secretary"): (24, 17, 11, 6),
    },
}


def _last_years_assessment(people: dict[str, User], district: Region, year: int) -> None:
    secretary = people["group_secretary"]
    assessment = assessment_services.assessment_create(
        actor=secretary,
        district=district,
        year=year,
        title=f"{district.name}{year}年度派驻机构双向考核",
    )
    agencies = {unit.name: unit for unit in assessment_services.roster_candidates(assessment)}
    department = Unit.objects.get(name=POLITICS_AND_LAW)
    assessment_services.roster_set(
        actor=secretary,
        assessment=assessment,
        departments={agencies[name].pk: department.pk for name in ASSESSMENT_SCORES},
    )
    indicators = list(assessment.indicators.order_by("position").values_list("pk", flat=True))
    rows = {row.agency.name: row for row in assessment.agencies.select_related("agency")}
    for name, by_kind in ASSESSMENT_SCORES.items():
        for (kind, username), points in by_kind.items():
            assessment_services.score_submit(
                actor=people[username],
                assessment=assessment,
                kind=kind,
                scores={rows[name].pk: dict(zip(indicators, points, strict=True))},
            )
    assessment_services.assessment_close(actor=secretary, assessment=assessment)
