"""The annual evaluation (一年一评议) as the evaluation app records it, for every district.

Each district has a campaign for each of the last two years that has targets (published, with
their tally, outcomes and notice) and one for the current year that is open: it opened four days
before `ctx.today`, closes in three weeks, and has about a third of the votes it will get. A
campaign's targets are what `campaign_create` would pick: each department's admitted work in
force during the year, in each street or community of its scope not revoked before the
campaign. Residents' representatives, party members and the other groups vote with one-time
codes from token sheets (one sheet per region and group, the codes kept only as SM3 hashes, as
`tokens_issue` keeps them); each evaluator submits once and rates some of the targets of their
street or community, so the database's rule of one ballot per evaluator and target holds by
construction.

Most departments satisfy most evaluators; a few do not, so the tally has targets at or below
50 % (不过半数), which the published campaigns revoke in those regions as the app does: the
admission's scope row there is marked revoked on the day the tally closed the campaign.

The ballots are the bulk of it (ten million at province scale). They are drawn once to tally
them and written straight from tight loops: COPY text on PostgreSQL (with the tables'
secondary indexes and foreign keys dropped for the load and put back exactly after it when the
table was empty, as for every step: `Context.load`), one executemany on SQLite.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.admission.models import Admission, AdmissionScope, AdmissionState
from jianfu.catalog.models import ListKind
from jianfu.evaluation.models import (
    QUORUM_DEFAULT,
    REVOKE_THRESHOLD_DEFAULT,
    Ballot,
    Campaign,
    CampaignState,
    Dimension,
    EvaluationSettings,
    Evaluator,
    EvaluatorGroup,
    Outcome,
    Target,
    TokenSheet,
)
from jianfu.evaluation.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_DIMENSIONS,
    DEFAULT_GROUPS,
    code_hash,
)
from jianfu.evaluation.tally import TargetTally
from jianfu.gendata.context import CHUNK, Context, analyze_admissions

STEP = "evaluation"
# The lowest quorum a district sets when its ballots are few (see _quorum).
QUORUM_MIN = 5
# Published campaigns for this many years before the current one (those with targets).
PAST_YEARS = 2
# The open campaign has had about this share of the votes a finished one gets per target.
OPEN_SHARE = 0.35
# Evaluators who were given a code and never used it, as a share of those who did.
NO_SHOW = 0.08
# How the evaluators of a region divide over DEFAULT_GROUPS (residents, party members, resident
# units, social organisations, other representatives), in per cent.
GROUP_SHARES = (50, 20, 10, 10, 10)
# Departments' standing with residents: most are well liked, some middling, a few disliked.
QUALITY_BANDS = ((0.90, 0.72, 0.96), (0.07, 0.55, 0.72), (0.03, 0.30, 0.50))
TARGET_SPREAD = 0.07  # a department's rate varies this much (σ) from place to place and year
VERY_SATISFIED = 0.6  # of the satisfied, this share say 满意 rather than 基本满意
DIMENSION_BLANK = 0.04  # a dimension left blank
DIMENSION_OFF = 0.2  # a dimension rated a step away from the overall verdict
# Verdicts are drawn from a table per satisfaction level (0 … 100 %), indexed by a random byte.
TABLE_SIZE = 256
# What evaluators wrote now and then (data, in Chinese, as residents write it).
COMMENTS = {
    0: (
        "表格重复填报，社区工作人员经常加班录入。",
        "入户时间都在上班时间，家里没人还要反复跑。",
        "只见布置不见经费，社区负担重。",
        "工作要求变化太快，居民不理解。",
    ),
    1: ("总体可以，希望减少台账和报表。", "服务有改进，但宣传还不够。"),
    2: ("服务及时，群众认可。", "对行动不便的老人帮助很大。", "上门服务热情周到。"),
}
COMMENT_SHARE = {0: 0.08, 1: 0.02, 2: 0.02}
SHEET_LEAD = dt.timedelta(days=2)  # sheets are printed two days before voting opens
BALLOT_COLUMNS = (
    "id",
    "campaign_id",
    "target_id",
    "evaluator_id",
    "group_id",
    "channel",
    "overall",
    *(f"rating_{p}" for p in range(1, 9)),
    "comment",
    "paper_batch_id",
    "cast_at",
    "year",
)
EVALUATOR_COLUMNS = (
    "id",
    "campaign_id",
    "group_id",
    "region_id",
    "user_id",
    "code_hash",
    "sheet_id",
    "serial",
    "code_used_at",
    "enrolled_by_id",
    "enrolled_at",
)
# Each tally counter gets this many bits of a packed integer (see _Verdicts.packed).
FIELD_BITS = 32
COUNTERS = 4 + 2 * len(DEFAULT_DIMENSIONS)  # valid, satisfied, 满意, 基本满意; per dimension two


# ---------------------------------------------------------------------------------------------
# Verdicts


@dataclass
class _Verdicts:
    """Every distinct verdict (overall, five dimensions, comment) the tables hold, with what it
    adds to a tally and its COPY text, and the table of TABLE_SIZE verdicts per satisfaction
    level (per cent)."""

    values: list[tuple] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    packed: list[int] = field(default_factory=list)
    tables: list[list[int]] = field(default_factory=list)

    @classmethod
    def drawn(cls, rng) -> _Verdicts:
        verdicts = cls()
        known: dict[tuple, int] = {}
        for level in range(101):
            table = []
            for _draw_number in range(TABLE_SIZE):
                value = _verdict(rng, level / 100)
                if value not in known:
                    known[value] = len(verdicts.values)
                    verdicts.values.append(value)
                    verdicts.text.append(_copy_text(value))
                    verdicts.packed.append(_packed(value))
                table.append(known[value])
            verdicts.tables.append(table)
        return verdicts


def _verdict(rng, satisfied: float) -> tuple:
    satisfied = rng.random() < satisfied
    overall = (2 if rng.random() < VERY_SATISFIED else 1) if satisfied else 0
    ratings = []
    for _position in DEFAULT_DIMENSIONS:
        draw = rng.random()
        if draw < DIMENSION_BLANK:
            ratings.append(None)
        elif draw < DIMENSION_BLANK + DIMENSION_OFF:
            ratings.append(min(2, max(0, overall + rng.choice((-1, 1)))))
        else:
            ratings.append(overall)
    comment = ""
    if rng.random() < COMMENT_SHARE[overall]:
        comment = rng.choice(COMMENTS[overall])
    return (overall, *ratings, comment)


def _copy_text(value: tuple) -> str:
    """The part of a ballot's COPY line from `channel` to `paper_batch_id`, tabs around it."""
    overall, *ratings, comment = value
    columns = [str(overall), *("\\N" if r is None else str(r) for r in ratings)]
    columns += ["\\N"] * (8 - len(ratings))
    return "\tcode\t" + "\t".join(columns) + f"\t{comment}\t\\N\t"


def _packed(value: tuple) -> int:
    """A verdict's contribution to its group's counters, one FIELD_BITS-wide field each:
    valid, satisfied, 满意, 基本满意, then per dimension rated and satisfied. Adding packed
    integers adds every counter at once."""
    overall, *ratings, _comment = value
    counters = [1, int(overall >= 1), int(overall == 2), int(overall == 1)]
    for rating in ratings:
        counters += [int(rating is not None), int(rating is not None and rating >= 1)]
    return sum(count << (FIELD_BITS * i) for i, count in enumerate(counters))


def _unpacked(total: int) -> list[int]:
    mask = (1 << FIELD_BITS) - 1
    return [(total >> (FIELD_BITS * i)) & mask for i in range(COUNTERS)]


# ---------------------------------------------------------------------------------------------
# The plan: campaigns, targets, evaluators, how many ballots each target gets


@dataclass
class _Target:
    id: int
    scope_id: int
    admission_id: int
    department_id: int
    region_id: str
    title: str
    level: int = 0  # satisfaction level, per cent
    ballots: int = 0
    offset: int = 0  # the region's evaluator who casts this target's first ballot
    draws: bytes = b""
    tally: TargetTally | None = None
    results: dict | None = None  # what the close wrote into the target (finished campaigns)


@dataclass
class _Campaign:
    id: int
    district_code: str
    district_name: str
    year: int
    open: bool
    opens_at: dt.datetime
    closes_at: dt.datetime
    quorum: int = QUORUM_DEFAULT
    group_ids: list[int] = field(default_factory=list)
    targets: dict[str, list[_Target]] = field(default_factory=dict)  # region → targets
    evaluators: dict[str, int] = field(default_factory=dict)  # region → how many

    @property
    def closed_at(self) -> dt.datetime:
        return self.closes_at + dt.timedelta(hours=1)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _window(year: int, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A finished campaign ran in the first weeks of the next year (5 to 23 January), or ended
    three weeks before `today` when that is earlier (as the demo does)."""
    closes_on = min(dt.date(year + 1, 1, 23), today - dt.timedelta(days=21))
    return _at(closes_on - dt.timedelta(days=18), 9), _at(closes_on, 18)


def _scope_rows(districts: list[str]):
    """Every scope row a campaign may evaluate: departments' admitted work (not a community's
    own duties), active or suspended, not revoked (what `scope_in_force` reads, for all years
    at once); one query, read in chunks."""
    return (
        AdmissionScope.objects.filter(
            admission__district_id__in=districts,
            admission__state__in=[AdmissionState.ACTIVE, AdmissionState.SUSPENDED],
            revoked_on__isnull=True,
        )
        .exclude(admission__list_kind=ListKind.DUTY)
        .order_by("admission__district_id", "region_id", "admission_id")
        .values_list(
            "id",
            "admission_id",
            "region_id",
            "admission__district_id",
            "admission__department_id",
            "admission__title",
            "admission__valid_from",
            "admission__valid_until",
        )
        .iterator(chunk_size=CHUNK)
    )


def _scope_by_year(ctx: Context) -> dict[tuple[str, int], list[tuple]]:
    """(district, year) → the scope rows its campaign evaluates, before any revocation."""
    years = range(ctx.year - PAST_YEARS, ctx.year + 1)
    found: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for row in _scope_rows([d.code for d in ctx.districts]):
        district, valid_from, valid_until = row[3], row[6], row[7]
        for year in years:
            if valid_from <= dt.date(year, 12, 31) and valid_until >= dt.date(year, 1, 1):
                found[district, year].append(row)
    return found


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` divided in proportion to `weights`, by largest remainder (exact sum)."""
    whole = sum(weights)
    if not whole:
        return [0] * len(weights)
    shares = [total * w / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    for index in sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])[
        : total - sum(counts)
    ]:
        counts[index] += 1
    return counts


def _campaigns_of(
    ctx: Context, year: int, found: dict, revoked: set[tuple[int, str]]
) -> list[_Campaign]:
    """The year's campaigns, one per district with targets: the scope rows in force that no
    earlier campaign revoked."""
    today = ctx.today
    campaigns = []
    for district in sorted(d.code for d in ctx.districts):
        rows = [r for r in found.get((district, year), ()) if (r[1], r[2]) not in revoked]
        if not rows:
            continue
        if year == ctx.year:
            opens = _at(today - dt.timedelta(days=4), 9)
            closes = _at(today + dt.timedelta(days=21), 18)
        else:
            opens, closes = _window(year, today)
        name = next(d.name for d in ctx.districts if d.code == district)
        campaign = _Campaign(0, district, name, year, year == ctx.year, opens, closes)
        for pk, admission, region, _d, department, title, _from, _until in rows:
            campaign.targets.setdefault(region, []).append(
                _Target(0, pk, admission, department, region, title)
            )
        campaigns.append(campaign)
    return campaigns


def _allot(
    ctx: Context, rng, campaigns: list[_Campaign], ballots: int, quality: dict[int, float]
) -> None:
    """Ids for the year's campaigns and targets, each target's satisfaction level and ballots
    (`ballots` in all), each region's evaluators and each target's first voter."""
    targets = [t for c in campaigns for ts in c.targets.values() for t in ts]
    for target in targets:
        if target.department_id not in quality:
            band = _band(rng.random())
            quality[target.department_id] = rng.uniform(band[1], band[2])
        level = rng.gauss(quality[target.department_id], TARGET_SPREAD)
        target.level = min(99, max(5, round(level * 100)))
    counts = _split(ballots, [rng.uniform(0.6, 1.4) for _ in targets])
    for target, count in zip(targets, counts, strict=True):
        target.ballots = count
    for campaign, pk in zip(campaigns, ctx.ids(Campaign, len(campaigns)), strict=True):
        campaign.id = pk
    for target, pk in zip(targets, ctx.ids(Target, len(targets)), strict=True):
        target.id = pk
    groups = iter(ctx.ids(EvaluatorGroup, len(DEFAULT_GROUPS) * len(campaigns)))
    for campaign in campaigns:
        campaign.group_ids = list(islice(groups, len(DEFAULT_GROUPS)))
        for region, region_targets in campaign.targets.items():
            most = max(t.ballots for t in region_targets)
            evaluators = most + math.ceil(most * NO_SHOW)
            campaign.evaluators[region] = evaluators
            for target in region_targets:
                target.offset = rng.randrange(evaluators) if evaluators else 0


def _quorum(ballots: list[int], targets: list[int]) -> int:
    """The districts' quorum: 70 % of the ballots a finished campaign's target gets on
    average, at least QUORUM_MIN and at most the default of 30, so that most targets are
    decided and some are not. With the admission step's mostly narrow scopes the issue's
    figures give a target about 40 ballots, so this is about 26 at every scale; the default
    of 30 would leave a third of the targets undecided, as the spread of ballots per target
    (±40 %) puts many just below it."""
    mean = sum(ballots) / sum(targets) if sum(targets) else 0
    return max(QUORUM_MIN, min(QUORUM_DEFAULT, round(mean * 0.7)))


def _plan(ctx: Context, verdicts: _Verdicts) -> list[_Campaign]:
    """Every campaign, year by year: each year's share of the ballots (a finished campaign's
    targets weigh 1, the open one's OPEN_SHARE), drawn and tallied, and what each year's tally
    revoked left out of the next years' targets."""
    rng, ballots_rng = ctx.rng(STEP + ":plan"), ctx.rng(STEP + ":ballots")
    found = _scope_by_year(ctx)
    years = list(range(ctx.year - PAST_YEARS, ctx.year + 1))
    sizes = [sum(len(rows) for (_d, y), rows in found.items() if y == year) for year in years]
    weights = [
        n * (OPEN_SHARE if y == ctx.year else 1.0) for y, n in zip(years, sizes, strict=True)
    ]
    budgets = _split(ctx.scale.ballots, weights)
    quorum = _quorum(budgets[:-1], sizes[:-1])
    quality: dict[int, float] = {}
    revoked: set[tuple[int, str]] = set()
    campaigns: list[_Campaign] = []
    for year, budget in zip(years, budgets, strict=True):
        made = _campaigns_of(ctx, year, found, revoked)
        for campaign in made:
            campaign.quorum = quorum
        _allot(ctx, rng, made, budget, quality)
        _draw(ballots_rng, made, verdicts)
        revoked |= {
            (t.admission_id, t.region_id)
            for c in made
            for ts in c.targets.values()
            for t in ts
            if t.results and t.results["outcome"] == Outcome.REVOKED
        }
        campaigns += made
    return campaigns


def _band(draw: float) -> tuple[float, float, float]:
    for band in QUALITY_BANDS:
        if draw < band[0]:
            return band
        draw -= band[0]
    return QUALITY_BANDS[0]


def _group_sizes(evaluators: int) -> list[int]:
    """How a region's evaluators divide over the groups (GROUP_SHARES, rest to residents)."""
    sizes = [evaluators * share // 100 for share in GROUP_SHARES]
    sizes[0] += evaluators - sum(sizes)
    return sizes


def _group_of(evaluators: int) -> list[int]:
    """Each of a region's evaluators' group (index into DEFAULT_GROUPS), in serial order."""
    return [g for g, size in enumerate(_group_sizes(evaluators)) for _ in range(size)]


# ---------------------------------------------------------------------------------------------
# Drawing and tallying


def _draw(rng, campaigns: list[_Campaign], verdicts: _Verdicts) -> None:
    """Each target's verdict draws (one byte per ballot) and, for finished campaigns, its tally
    as `tally_campaign` computes it from those ballots and the outcome the close gives it."""
    weights = [weight for _kind, weight in DEFAULT_GROUPS]
    shift = FIELD_BITS * COUNTERS
    # A verdict's counters moved to its group's place: one addition per ballot tallies it.
    placed = [[p << (shift * g) for p in verdicts.packed] for g in range(len(DEFAULT_GROUPS))]
    for campaign in campaigns:
        for region, region_targets in campaign.targets.items():
            evaluators = campaign.evaluators[region]
            group_of = _group_of(evaluators)
            for target in region_targets:
                target.draws = rng.randbytes(target.ballots)
                if campaign.open:
                    continue
                table, offset, total = verdicts.tables[target.level], target.offset, 0
                for j, draw in enumerate(target.draws):
                    e = offset + j
                    if e >= evaluators:
                        e -= evaluators
                    total += placed[group_of[e]][table[draw]]
                target.tally = _tally(campaign, total, weights, shift)
                target.results = _results(campaign, target)


def _tally(campaign: _Campaign, total: int, weights: list[int], shift: int) -> TargetTally:
    tally = TargetTally(weights=dict(zip(campaign.group_ids, weights, strict=True)))
    if not total:
        return tally
    mask = (1 << shift) - 1
    dimensions = {p: [0, 0] for p in range(1, len(DEFAULT_DIMENSIONS) + 1)}
    for g, group_id in enumerate(campaign.group_ids):
        counters = _unpacked((total >> (shift * g)) & mask)
        valid, satisfied, very, fairly = counters[:4]
        if not valid:
            continue
        tally.groups[group_id] = [valid, satisfied, very, fairly, valid - satisfied]
        for p in dimensions:
            rated, good = counters[4 + 2 * (p - 1) : 6 + 2 * (p - 1)]
            dimensions[p][0] += weights[g] * good
            dimensions[p][1] += weights[g] * rated
    tally.dimensions = dimensions
    return tally


# ---------------------------------------------------------------------------------------------
# Writing


class _Stamp:
    """Datetimes as the database stores them, for rows written without the ORM."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def __call__(self, moment: dt.datetime) -> str:
        if self.postgres:
            return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00")
        return connection.ops.adapt_datetimefield_value(moment)


def write_tuples(model: type[models.Model], columns: tuple[str, ...], rows) -> int:
    """Write rows given as tuples of database-ready values (text for datetimes) in chunks:
    COPY on PostgreSQL, executemany on SQLite; one statement per chunk. Returns the rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    iterator = iter(rows)
    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        while chunk := list(islice(iterator, CHUNK)):
            if connection.vendor == "postgresql":
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                wrapper.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)  # noqa: S608
            written += len(chunk)
    return written


def _campaign_rows(campaigns: list[_Campaign], summaries: dict[int, str]):
    for c in campaigns:
        row = {
            "id": c.id,
            "district_id": c.district_code,
            "year": c.year,
            "title": f"{c.district_name}{c.year}年度社区工作准入事项评议",
            "state": CampaignState.OPEN if c.open else CampaignState.PUBLISHED,
            "opens_at": c.opens_at,
            "closes_at": c.closes_at,
            "revoke_threshold_bp": REVOKE_THRESHOLD_DEFAULT,
            "quorum": c.quorum,
            "automatic_revocation": True,
            "created_at": c.opens_at - dt.timedelta(days=10),
            "opened_at": c.opens_at,
        }
        if not c.open:
            row.update(
                closed_at=c.closed_at,
                published_at=c.closes_at + dt.timedelta(days=2),
                notice=summaries[c.id],
            )
        yield row


def _target_rows(campaigns: list[_Campaign]):
    for campaign in campaigns:
        for region_targets in campaign.targets.values():
            for t in region_targets:
                row = {
                    "id": t.id,
                    "campaign_id": campaign.id,
                    "admission_id": t.admission_id,
                    "region_id": t.region_id,
                    "department_id": t.department_id,
                    "title": t.title[:200],
                }
                if t.results is not None:
                    row.update(t.results)
                yield row


def _results(campaign: _Campaign, target: _Target) -> dict:
    """What `campaign_close` writes into a target: the tally and the outcome."""
    tally = target.tally
    found = _Results()
    tally.write_to(found)
    if not tally.has_quorum(campaign.quorum):
        outcome = Outcome.BELOW_QUORUM
    elif tally.revokes(REVOKE_THRESHOLD_DEFAULT):
        outcome = Outcome.REVOKED
        found.decided_at = campaign.closed_at
    else:
        outcome = Outcome.KEPT
    return {**vars(found), "outcome": outcome}


class _Results:
    """Stands in for a Target while TargetTally.write_to fills it."""

    decided_at: dt.datetime | None = None


def _summary(campaign: _Campaign) -> str:
    """The published notice (通报), summed up. Not translated: the district's Chinese document."""
    outcomes = defaultdict(int)
    for region_targets in campaign.targets.values():
        for target in region_targets:
            outcomes[target.results["outcome"]] += 1
    closed = timezone.localtime(campaign.closes_at)
    return (
        f"根据区社区减负工作领导小组安排，{campaign.year}年度社区工作准入事项评议已于"
        f"{closed.year}年{closed.month}月{closed.day}日结束。驻区单位、党员代表和居民代表"
        f"对进入社区的部门工作逐项评议，共评议 {sum(outcomes.values())} 项：保留 "
        f"{outcomes[Outcome.KEPT]} 项；群众满意率不过半数、依照规定撤销准入 "
        f"{outcomes[Outcome.REVOKED]} 项；有效票不足 {campaign.quorum} 张、本年度不作结论 "
        f"{outcomes[Outcome.BELOW_QUORUM]} 项。"
    )


def _code(rng, evaluator_id: int) -> str:
    """A one-time code of CODE_LENGTH characters: the evaluator's id in its high bits makes
    every code distinct, random low bits make it unguessable from the id."""
    number = (evaluator_id << 34) | rng.getrandbits(34)
    digits = []
    for _digit_number in range(CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


@dataclass
class _Region:
    """One region's evaluators in one campaign: their ids, groups and when each voted."""

    first_id: int
    group_of: list[int]
    cast_at: list[dt.datetime]
    voted: list[bool]


def _regions(ctx: Context, campaigns: list[_Campaign]) -> dict[tuple[int, str], _Region]:
    rng = ctx.rng(STEP + ":evaluators")
    total = sum(sum(c.evaluators.values()) for c in campaigns)
    next_id = ctx.ids(Evaluator, total).start
    latest = _at(ctx.today, 0) - dt.timedelta(hours=1)
    regions = {}
    for campaign in campaigns:
        end = min(latest, campaign.closes_at) if campaign.open else campaign.closes_at
        span = (end - campaign.opens_at).total_seconds()
        for region, region_targets in campaign.targets.items():
            evaluators = campaign.evaluators[region]
            voted = [False] * evaluators
            for target in region_targets:
                for j in range(target.ballots):
                    voted[(target.offset + j) % evaluators] = True
            cast_at = [
                campaign.opens_at + dt.timedelta(seconds=int(rng.random() * span))
                for _ in range(evaluators)
            ]
            regions[campaign.id, region] = _Region(next_id, _group_of(evaluators), cast_at, voted)
            next_id += evaluators
    return regions


def _sheets_and_evaluators(ctx: Context, campaigns, regions):
    """The token sheets (one per region and group) and the evaluators on them, with their
    codes' hashes; the sheets as dicts, the evaluators as EVALUATOR_COLUMNS tuples."""
    rng = ctx.rng(STEP + ":codes")
    stamp = _Stamp()
    sheets: list[dict] = []
    sheet_ids = iter(
        ctx.ids(
            TokenSheet,
            sum(
                sum(1 for size in _group_sizes(n) if size)
                for c in campaigns
                for n in c.evaluators.values()
            ),
        )
    )
    evaluators: list[tuple] = []
    for campaign in campaigns:
        issued_at = campaign.opens_at - SHEET_LEAD
        issued = stamp(issued_at)
        for region in campaign.targets:
            found = regions[campaign.id, region]
            serial = 0
            for g, size in enumerate(_group_sizes(len(found.group_of))):
                if not size:
                    continue
                sheet = next(sheet_ids)
                sheets.append(
                    {
                        "id": sheet,
                        "campaign_id": campaign.id,
                        "region_id": region,
                        "group_id": campaign.group_ids[g],
                        "count": size,
                        "issued_at": issued_at,
                    }
                )
                for _number in range(size):
                    pk = found.first_id + serial
                    used = stamp(found.cast_at[serial]) if found.voted[serial] else None
                    serial += 1
                    evaluators.append(
                        (
                            pk,
                            campaign.id,
                            campaign.group_ids[g],
                            region,
                            None,
                            code_hash(_code(rng, pk)),
                            sheet,
                            serial,
                            used,
                            None,
                            issued,
                        )
                    )
    return sheets, evaluators


def _ballot_chunks(ctx: Context, campaigns, regions, verdicts: _Verdicts):
    """The ballots, in chunks: COPY text on PostgreSQL, tuples in BALLOT_COLUMNS' order on
    SQLite. Each target's ballots in turn, cast by consecutive evaluators of its region."""
    stamp = _Stamp()
    postgres = stamp.postgres
    next_id = ctx.ids(Ballot, ctx.scale.ballots).start
    blank = (None, None, None)
    chunk: list = []
    for campaign in campaigns:
        for region, region_targets in campaign.targets.items():
            found = regions[campaign.id, region]
            groups = [campaign.group_ids[g] for g in found.group_of]
            casts = [stamp(moment) for moment in found.cast_at]
            count = len(groups)
            if postgres:
                heads = [f"{found.first_id + e}\t{groups[e]}" for e in range(count)]
                tails = [f"{cast}\t{campaign.year}\n" for cast in casts]
            for target in region_targets:
                table, offset = verdicts.tables[target.level], target.offset
                if postgres:
                    text = verdicts.text
                    prefix = f"\t{campaign.id}\t{target.id}\t"
                    for j, draw in enumerate(target.draws):
                        e = offset + j
                        if e >= count:
                            e -= count
                        chunk.append(
                            f"{next_id + j}{prefix}{heads[e]}{text[table[draw]]}{tails[e]}"
                        )
                else:
                    values = verdicts.values
                    for j, draw in enumerate(target.draws):
                        e = offset + j
                        if e >= count:
                            e -= count
                        overall, *ratings, comment = values[table[draw]]
                        chunk.append(
                            (
                                next_id + j,
                                campaign.id,
                                target.id,
                                found.first_id + e,
                                groups[e],
                                "code",
                                overall,
                                *ratings,
                                *blank,
                                comment,
                                None,
                                casts[e],
                                campaign.year,
                            )
                        )
                next_id += target.ballots
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _write_ballots(ctx: Context, chunks) -> int:
    table = connection.ops.quote_name(Ballot._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in BALLOT_COLUMNS)
    written = 0
    # On PostgreSQL into an empty table: its indexes and foreign keys are put back after the
    # step (`Context.load`).
    ctx.load(Ballot)
    with connection.cursor() as wrapper:
        for chunk in chunks:
            if connection.vendor == "postgresql":
                with wrapper.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write("".join(chunk))
            else:
                marks = ", ".join(["%s"] * len(BALLOT_COLUMNS))
                wrapper.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)  # noqa: S608
            written += len(chunk)
            ctx.progress(_("评议选票"), written, ctx.scale.ballots)
    ctx.counts[Ballot._meta.db_table] = ctx.counts.get(Ballot._meta.db_table, 0) + written
    return written


def _revoke(ctx: Context, campaigns: list[_Campaign]) -> int:
    """What the tally of each finished campaign revoked, marked in the admissions' scope as
    `admission_revoke_regions` marks it, and an admission revoked in every region of its scope
    revoked as a whole; in bulk updates of a thousand rows. Returns the scope rows revoked."""
    names = {r.code: r.name for r in (*ctx.streets, *ctx.communities)}
    scope: list[AdmissionScope] = []
    admissions: list[Admission] = []
    for campaign in campaigns:
        if campaign.open:
            continue
        failed: dict[int, list[_Target]] = defaultdict(list)
        for region_targets in campaign.targets.values():
            for target in region_targets:
                if target.results["outcome"] == Outcome.REVOKED:
                    failed[target.admission_id].append(target)
        title = f"{campaign.district_name}{campaign.year}年度社区工作准入事项评议"
        day = timezone.localdate(campaign.closed_at)
        for admission, targets in failed.items():
            reason = _reason(title, targets, names)
            scope += [
                AdmissionScope(
                    pk=t.scope_id, revoked_on=day, revoked_reason=reason, revoked_reference=title
                )
                for t in targets
            ]
            admissions.append(
                Admission(
                    pk=admission,
                    state=AdmissionState.REVOKED,
                    state_reason=reason,
                    state_reference=title[:100],
                )
            )
    _mark_revoked(scope)
    whole = []
    for start in range(0, len(admissions), 1000):
        chunk = {a.pk: a for a in admissions[start : start + 1000]}
        whole += [
            chunk[pk]
            for pk in Admission.objects.filter(
                pk__in=list(chunk), state__in=[AdmissionState.ACTIVE, AdmissionState.SUSPENDED]
            )
            .exclude(scope__revoked_on__isnull=True)
            .values_list("pk", flat=True)
        ]
    Admission.objects.bulk_update(
        whole, ["state", "state_reason", "state_reference"], batch_size=1000
    )
    return len(scope)


def _mark_revoked(scope: list[AdmissionScope]) -> None:
    """The scope rows' revocation written a thousand rows per UPDATE … FROM (VALUES …): what
    `bulk_update` does, without its CASE per row and field to build in Python."""
    table = connection.ops.quote_name(AdmissionScope._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(scope), 1000):
            batch = scope[start : start + 1000]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET revoked_on = v.column2, revoked_reason = v.column3, "  # noqa: S608
                f"revoked_reference = v.column4 FROM (VALUES {values}) AS v "
                f"WHERE {table}.id = v.column1",
                [
                    value
                    for row in batch
                    for value in (
                        row.pk,
                        connection.ops.adapt_datefield_value(row.revoked_on),
                        row.revoked_reason,
                        row.revoked_reference,
                    )
                ],
            )


def _reason(title: str, failed: list[_Target], names: dict[str, str]) -> str:
    """`_revocation_reason_of`'s wording (Chinese, written into the register)."""
    if len(failed) == 1:
        tally = failed[0].tally
        return (
            f"{title}：群众满意率 {tally.rate * 100:.1f}%，不过半数（有效票 {tally.valid} 张），"
            "依照评议结果撤销。"
        )
    places = "；".join(
        f"{names.get(t.region_id, t.region_id)}群众满意率 {t.tally.rate * 100:.1f}%"
        f"（有效票 {t.tally.valid} 张）"
        for t in sorted(failed, key=lambda t: t.region_id)
    )
    return f"{title}：{places}，均不过半数，依照评议结果撤销。"


def generate(ctx: Context) -> None:
    """Campaigns, targets, token sheets, evaluators, ballots and the published results."""
    analyze_admissions()
    verdicts = _Verdicts.drawn(ctx.rng(STEP + ":verdicts"))
    campaigns = _plan(ctx, verdicts)
    summaries = {c.id: _summary(c) for c in campaigns if not c.open}
    # Each district's rules, which its campaigns copied.
    ctx.insert(
        EvaluationSettings,
        (
            {"district_id": code, "quorum": quorum}
            for code, quorum in sorted({(c.district_code, c.quorum) for c in campaigns})
        ),
    )
    ctx.insert(Campaign, _campaign_rows(campaigns, summaries))
    ctx.insert(
        EvaluatorGroup,
        (
            {"id": c.group_ids[g], "campaign_id": c.id, "kind": kind, "weight": weight}
            for c in campaigns
            for g, (kind, weight) in enumerate(DEFAULT_GROUPS)
        ),
    )
    ctx.insert(
        Dimension,
        (
            {"campaign_id": c.id, "position": p, "name": name}
            for c in campaigns
            for p, name in enumerate(DEFAULT_DIMENSIONS, start=1)
        ),
    )
    ctx.insert(Target, _target_rows(campaigns), label=_("评议对象"))
    regions = _regions(ctx, campaigns)
    sheets, evaluators = _sheets_and_evaluators(ctx, campaigns, regions)
    ctx.insert(TokenSheet, sheets)
    ctx.load(Evaluator)
    written = write_tuples(Evaluator, EVALUATOR_COLUMNS, evaluators)
    ctx.counts[Evaluator._meta.db_table] = ctx.counts.get(Evaluator._meta.db_table, 0) + written
    del evaluators
    with transaction.atomic():
        _write_ballots(ctx, _ballot_chunks(ctx, campaigns, regions, verdicts))
    _revoke(ctx, campaigns)
