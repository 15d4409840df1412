"""A hypothesis state machine keeps two communities' inventories at random — records entries of
every kind, ends them (removed, retired, merged, digitised), sometimes wrongly — and checks the
burden figures against the entries counted by hand.

Each step is predicted by a plain Python model: an entry that names the admission of another
community, ends before it started, ends twice, or merges into an entry of another kind or an
ended one must be refused, with nothing changed. After every step the figures of both
communities, on several days before, during and after the entries' lives, are exactly what
counting the model's entries on that day gives.

Each example runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jianfu.burden import services
from jianfu.burden.index import burden_figures
from jianfu.burden.models import EntryKind, EntryStatus, InventoryEntry, LedgerMedium
from jianfu.burden.tests.conftest import region
from jianfu.core.errors import Conflict, DomainError, InvalidInput

BASE = dt.date(2026, 9, 1)
# The days the figures are checked on: before anything, while entries start and end, after.
DAYS = [BASE - dt.timedelta(days=1), *(BASE + dt.timedelta(days=n) for n in (0, 10, 25, 45))]
KINDS = st.sampled_from(EntryKind.values)
ENDINGS = st.sampled_from([EntryStatus.REMOVED, EntryStatus.RETIRED])
# Mostly a step the service should accept; now and then anything at all.
FIT = st.sampled_from([True] * 4 + [False])


@dataclass
class Model:
    """An entry as the model knows it."""

    community: int
    kind: str
    medium: str
    quantity: int
    veto: bool
    admitted: bool
    since: dt.date
    ended_on: dt.date | None = None

    def on(self, day: dt.date) -> bool:
        return self.since <= day and (self.ended_on is None or day < self.ended_on)


class InventoryMachine(RuleBasedStateMachine):
    """钟鼓楼社区 (0), covered by the admission, and 西林社区 (1), which is not; the district's
    group office keeps both."""

    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.entries: dict[int, Model] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, expected: tuple[type, str | None] | None, call):
        before = list(InventoryEntry.objects.order_by("pk").values_list("pk", "status", "ended_on"))
        try:
            result = call()
        except DomainError as error:
            assert expected is not None, f"refused unexpectedly: {error!r} {error.details}"
            kind, code = expected
            assert type(error) is kind, (type(error), kind, str(error))
            assert code in (None, error.code), (error.code, code)
            after = InventoryEntry.objects.order_by("pk").values_list("pk", "status", "ended_on")
            assert list(after) == before
            return None
        assert expected is None, f"expected {expected}, but the step succeeded"
        return result

    def _active(self, **match) -> list[int]:
        return sorted(
            pk
            for pk, e in self.entries.items()
            if e.ended_on is None and all(getattr(e, k) == v for k, v in match.items())
        )

    # -----------------------------------------------------------------------------------------
    # Steps

    @rule(
        where=st.integers(0, 1),
        kind=KINDS,
        electronic=st.booleans(),
        quantity=st.integers(1, 200),
        veto=st.booleans(),
        admitted=st.sampled_from([False, False, True]),
        start=st.integers(0, 30),
    )
    def record(self, where, kind, electronic, quantity, veto, admitted, start):
        is_ledger, is_campaign = kind == EntryKind.LEDGER, kind == EntryKind.CAMPAIGN
        values = {"name": f"{kind}-{len(self.entries)}", "since": BASE + dt.timedelta(days=start)}
        medium = ""
        if is_ledger:
            medium = LedgerMedium.ELECTRONIC if electronic else LedgerMedium.PAPER
            values.update(medium=medium, quantity=quantity)
        if is_campaign:
            values["one_vote_veto"] = veto
        if admitted:
            values["admission_number"] = self.world.admission_number
        # The admission covers 钟鼓楼社区 alone.
        expected = (InvalidInput, "bad_entry") if admitted and where == 1 else None
        made = self._attempt(
            expected,
            lambda: services.inventory_entry_create(
                actor=self.world.actor, community=self.world.places[where], kind=kind, **values
            ),
        )
        if made is not None:
            self.entries[made.pk] = Model(
                community=where,
                kind=kind,
                medium=medium,
                quantity=quantity if is_ledger else 1,
                veto=veto and is_campaign,
                admitted=admitted,
                since=values["since"],
            )

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), fit=FIT, status=ENDINGS, after=st.integers(-3, 30))
    def end(self, data, fit, status, after):
        pk = data.draw(st.sampled_from((fit and self._active()) or sorted(self.entries)))
        model = self.entries[pk]
        ended_on = model.since + dt.timedelta(days=after)
        if model.ended_on is not None:
            expected = (Conflict, "entry_ended")
        elif after < 0:
            expected = (InvalidInput, "bad_date")
        else:
            expected = None
        if self._attempt(
            expected,
            lambda: services.inventory_entry_end(
                actor=self.world.actor,
                entry=InventoryEntry.objects.get(pk=pk),
                status=status,
                ended_on=ended_on,
            ),
        ):
            model.ended_on = ended_on

    def _pairs(self, digitise: bool) -> list[tuple[int, int]]:
        """(entry, successor) pairs the service must accept."""
        pairs = []
        for pk in self._active():
            e = self.entries[pk]
            if digitise and not (e.kind == EntryKind.LEDGER and e.medium == LedgerMedium.PAPER):
                continue
            medium = {"medium": LedgerMedium.ELECTRONIC} if digitise else {}
            for into in self._active(community=e.community, kind=e.kind, **medium):
                if into != pk:
                    pairs.append((pk, into))
        return pairs

    @precondition(lambda self: len(self.entries) >= 2)
    @rule(data=st.data(), fit=FIT, digitise=st.booleans(), after=st.integers(0, 30))
    def merge_or_digitise(self, data, fit, digitise, after):
        """Merge an active entry into another one, or turn a paper ledger electronic; now and
        then the pair is drawn from all entries, and so is often of different kinds, media or
        communities, or already ended."""
        pairs = self._pairs(digitise) if fit else []
        if pairs:
            pk, into = data.draw(st.sampled_from(pairs))
        else:
            pk = data.draw(st.sampled_from(sorted(self.entries)))
            into = data.draw(st.sampled_from(sorted(self.entries)))
        model, target = self.entries[pk], self.entries[into]
        ended_on = model.since + dt.timedelta(days=after)
        if model.ended_on is not None:
            expected = (Conflict, "entry_ended")
        elif digitise and not (model.kind == EntryKind.LEDGER and model.medium == "paper"):
            expected = (InvalidInput, "not_paper")
        elif (
            into == pk
            or target.community != model.community
            or target.kind != model.kind
            or target.ended_on is not None
            or (digitise and target.medium != LedgerMedium.ELECTRONIC)
        ):
            expected = (InvalidInput, "bad_successor")
        else:
            expected = None
        if self._attempt(
            expected,
            lambda: services.inventory_entry_end(
                actor=self.world.actor,
                entry=InventoryEntry.objects.get(pk=pk),
                status=EntryStatus.DIGITISED if digitise else EntryStatus.MERGED,
                ended_on=ended_on,
                successor=InventoryEntry.objects.get(pk=into),
            ),
        ):
            model.ended_on = ended_on

    # -----------------------------------------------------------------------------------------
    # Invariants

    @invariant()
    def the_figures_are_the_entries_counted_by_hand(self):
        places = self.world.places
        for day in DAYS:
            figures = burden_figures(places, on=day)
            for where, community in enumerate(places):
                alive = [e for e in self.entries.values() if e.community == where and e.on(day)]

                def count(kind, alive=alive):
                    return sum(1 for e in alive if e.kind == kind)

                paper = [e for e in alive if e.kind == EntryKind.LEDGER and e.medium == "paper"]
                expected = {
                    "signboards": count(EntryKind.SIGNBOARD),
                    "ledger_books": sum(e.quantity for e in paper),
                    "electronic_ledgers": count(EntryKind.LEDGER) - len(paper),
                    "campaigns": count(EntryKind.CAMPAIGN),
                    "one_vote_veto": sum(1 for e in alive if e.veto),
                    "systems": count(EntryKind.SYSTEM),
                    "unadmitted": sum(1 for e in alive if not e.admitted),
                }
                got = figures[community.code].as_dict()
                assert {k: got[k] for k in expected} == expected, (day, community.code)
                assert figures[community.code].over_cap == max(0, expected["signboards"] - 4)

    @invariant()
    def ended_entries_are_kept_with_their_dates(self):
        stored = dict(InventoryEntry.objects.values_list("pk", "ended_on"))
        assert stored == {pk: e.ended_on for pk, e in self.entries.items()}


@pytest.mark.django_db
def test_random_inventory_keeping_gives_the_figures_counted_by_hand(personas, admitted):
    world = SimpleNamespace(
        actor=personas.group_secretary,
        places=[region("511002001001"), region("511002002001")],
        admission_number=admitted.number,
    )
    machine = type("Machine", (InventoryMachine,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
