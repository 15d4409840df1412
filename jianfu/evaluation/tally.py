"""The tally: one set-based query counts every target's ballots per group, then the weights
make each target's satisfaction rate (docs/evaluation.md).

    rate = Σ_g w_g × (满意_g + 基本满意_g) / Σ_g w_g × valid_g,   over the groups with ballots

A rate at or below the threshold (不过半数: 50 % by default) revokes, when the target has at
least the quorum of valid ballots. The comparison is made in integers, so exactly 50 % is
never mistaken for 50.000001 %. The 95 % Wilson interval uses the weighted rate and Kish's
effective number of ballots, (Σ w)² / Σ w², which is the number of ballots when the weights
are equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, Q, Value

from jianfu.evaluation.models import Ballot, Campaign, Rating, Target, rating_field

WILSON_Z = 1.959963984540054


def wilson_interval(rate: float, n: float) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion `rate` observed over `n` ballots."""
    if n <= 0:
        return 0.0, 1.0
    z2 = WILSON_Z * WILSON_Z
    centre = rate + z2 / (2 * n)
    spread = WILSON_Z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


@dataclass
class TargetTally:
    """One target's counts: per group [valid, satisfied, 满意, 基本满意, 不满意] and per
    dimension weighted [satisfied, rated]."""

    groups: dict[int, list[int]] = field(default_factory=dict)
    weights: dict[int, int] = field(default_factory=dict)
    dimensions: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> TargetTally:
        return cls()

    @property
    def valid(self) -> int:
        return sum(counts[0] for counts in self.groups.values())

    @property
    def satisfied(self) -> int:
        return sum(counts[1] for counts in self.groups.values())

    @property
    def weighted_satisfied(self) -> int:
        return sum(self.weights[g] * counts[1] for g, counts in self.groups.items())

    @property
    def weighted_valid(self) -> int:
        return sum(self.weights[g] * counts[0] for g, counts in self.groups.items())

    @property
    def rate(self) -> float | None:
        return self.weighted_satisfied / self.weighted_valid if self.weighted_valid else None

    @property
    def effective_ballots(self) -> float:
        """Kish's effective sample size of the weighted ballots."""
        square_of_sum = self.weighted_valid**2
        sum_of_squares = sum(self.weights[g] ** 2 * c[0] for g, c in self.groups.items())
        return square_of_sum / sum_of_squares if sum_of_squares else 0.0

    def has_quorum(self, quorum: int) -> bool:
        return self.valid >= quorum

    def revokes(self, threshold_bp: int) -> bool:
        """不过半数: rate ≤ threshold, compared exactly (threshold in basis points)."""
        return self.weighted_satisfied * 10000 <= threshold_bp * self.weighted_valid

    def write_to(self, target: Target) -> None:
        rate = self.rate
        target.valid_ballots, target.satisfied_ballots = self.valid, self.satisfied
        target.weighted_satisfied, target.weighted_valid = (
            self.weighted_satisfied,
            self.weighted_valid,
        )
        target.rate = rate
        low_high = wilson_interval(rate, self.effective_ballots) if rate is not None else None
        target.rate_low, target.rate_high = low_high or (None, None)
        target.group_counts = {str(g): counts for g, counts in self.groups.items()}
        target.dimension_counts = {str(p): counts for p, counts in self.dimensions.items()}


def tally_query(campaign: Campaign, positions: list[int]):
    """The ballots of a campaign counted per target and group with conditional aggregates."""
    satisfied = Q(overall__gte=Rating.FAIRLY_SATISFIED)
    # COUNT(1), not COUNT(id): every ballot counts, and no column has to be read to count it
    # (Django refuses COUNT(*) with a filter). On SQLite reading the id is a tenth of the time.
    one = Value(1)
    aggregates = {
        "valid": Count(one),
        "satisfied": Count(one, filter=satisfied),
        "very": Count(one, filter=Q(overall=Rating.SATISFIED)),
        "fairly": Count(one, filter=Q(overall=Rating.FAIRLY_SATISFIED)),
    }
    for position in positions:
        column = rating_field(position)
        aggregates[f"d{position}_rated"] = Count(column)
        aggregates[f"d{position}_satisfied"] = Count(
            one, filter=Q(**{f"{column}__gte": Rating.FAIRLY_SATISFIED})
        )
    ballots = Ballot.objects.filter(campaign=campaign)
    if connections[ballots.db].vendor == "postgresql":
        # The year is the ballots' partition key on PostgreSQL (docs/partitioning.md): naming
        # it lets the planner read the campaign's year's partition only. A campaign's ballots
        # all carry its year, so it drops none. SQLite has no partitions; there the extra
        # comparison would only cost (about a tenth of the tally).
        ballots = ballots.filter(year=campaign.year)
    return ballots.values("target_id", "group_id").annotate(**aggregates).order_by()


def tally_campaign(campaign: Campaign) -> dict[int, TargetTally]:
    """Every target's counts in one query over the ballots (plus the groups and dimensions)."""
    weights = dict(campaign.groups.values_list("pk", "weight"))
    positions = list(campaign.dimensions.values_list("position", flat=True))
    tallies: dict[int, TargetTally] = {}
    for row in tally_query(campaign, positions):
        tally = tallies.setdefault(row["target_id"], TargetTally(weights=weights))
        group = row["group_id"]
        tally.groups[group] = [
            row["valid"],
            row["satisfied"],
            row["very"],
            row["fairly"],
            row["valid"] - row["satisfied"],
        ]
        for position in positions:
            counts = tally.dimensions.setdefault(position, [0, 0])
            counts[0] += weights[group] * row[f"d{position}_satisfied"]
            counts[1] += weights[group] * row[f"d{position}_rated"]
    for tally in tallies.values():
        tally.weights = weights
    return tallies
