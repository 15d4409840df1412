"""A hypothesis state machine takes, issues, refuses and revokes certificates at random in two
communities, now and then crossing into a new year, and checks the rules of the seal.

Requests are for the allowed type (with a valid ID number, or a mistyped one that must be
refused with nothing written), for one of the twenty national banned types, or for a type on no
list; issuance is tried on requests in any state. A plain Python model predicts each answer.

After every step: the requests' states are the model's; every issued request is of an allowed
type, has its ID number's index, and exactly one seal-use entry, for its certificate; serials
are unique and run 1, 2, 3 … without a gap per community and year; every refused request has a
ground and an explanation.

Each example runs in a transaction that is rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jianfu.catalog.reference import banned_certificates
from jianfu.certificates import services
from jianfu.certificates.models import (
    Certificate,
    CertificateRequest,
    RefusalGround,
    RequestState,
    SealUse,
    SealUseKind,
)
from jianfu.certificates.selectors import type_match
from jianfu.certificates.tests.conftest import (
    ID_NUMBER,
    ID_NUMBER_X,
    OTHER_ID_NUMBER,
    XILIN,
    region,
    request_values,
)
from jianfu.core.errors import Conflict, DomainError, InvalidInput
from jianfu.funds.tests.conftest import person
from jianfu.org.roles import Role

START = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
BANNED = [name for _seq, name in banned_certificates()]
UNLISTED = ["居住证明", "收入证明", "自拟证明"]
# How the resident's number is typed: three valid numbers (one ending in x, typed lower-case),
# and three mistakes the service must refuse.
NUMBERS = [ID_NUMBER, OTHER_ID_NUMBER, ID_NUMBER_X.lower(), ID_NUMBER[:17] + "0", "511002800101123",
           ""]  # fmt: skip
VALID_NUMBERS = set(NUMBERS[:3])
# Mostly a valid number: requests that wait are what issuance needs.
TYPED = st.sampled_from(NUMBERS[:3] * 3 + NUMBERS[3:])
# Issue or refuse mostly a waiting request; now and then any, decided ones included.
WAITING = st.sampled_from([True] * 4 + [False])
GROUNDS = [RefusalGround.NO_LEGAL_BASIS, RefusalGround.CANNOT_VERIFY, RefusalGround.OTHER]


class CertificateMachine(RuleBasedStateMachine):
    """钟鼓楼社区 (community_officer, approved by community_head) and 西林社区
    (community_officer2, approved by xilin_head) take requests under 市中区's lists."""

    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            self.world.clock.move_to(START, tick=False)
            self.year = 2026
            # The model: request → (community index, state, ground); certificate → revoked.
            self.requests: dict[int, tuple[int, str, str]] = {}
            self.certificates: dict[int, bool] = {}
        except BaseException:
            self.teardown()
            raise

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, expected: tuple[type, str | None] | None, call):
        """Run the step; a refusal must be the predicted one and write nothing."""
        counts = (CertificateRequest.objects.count(), SealUse.objects.count())
        try:
            result = call()
        except DomainError as error:
            assert expected is not None, f"refused unexpectedly: {error!r} {error.details}"
            kind, code = expected
            assert type(error) is kind, (type(error), kind, str(error))
            assert code in (None, error.code), (error.code, code)
            assert (CertificateRequest.objects.count(), SealUse.objects.count()) == counts
            return None
        assert expected is None, f"expected {expected}, but the step succeeded"
        return result

    def _take(self, where: int, ground: str, **values):
        community, officer, _approver = self.world.places[where]
        expected = None
        number = values.get("id_number", "")
        if ground == "" and number not in VALID_NUMBERS:
            expected = (InvalidInput, None)
        made = self._attempt(
            expected,
            lambda: services.certificate_request_create(
                actor=officer, community=community, **values
            ),
        )
        if made is not None:
            state = RequestState.RECEIVED if ground == "" else RequestState.REFUSED
            assert (made.state, made.refusal_ground) == (state, ground)
            self.requests[made.pk] = (where, state, ground)

    # -----------------------------------------------------------------------------------------
    # Steps

    @rule(where=st.integers(0, 1), number=TYPED)
    def take_an_allowed_request(self, where, number):
        self._take(where, "", **request_values(self.world.item, id_number=number))

    @rule(
        where=st.integers(0, 1),
        name=st.sampled_from(BANNED),
        suffix=st.sampled_from(["", "（急）"]),
    )
    def take_a_banned_request(self, where, name, suffix):
        self._take(where, RefusalGround.BANNED, type_name=name + suffix, resident_name="王秀英")

    @rule(where=st.integers(0, 1), name=st.sampled_from(UNLISTED))
    def take_an_unlisted_request(self, where, name):
        self._take(where, RefusalGround.UNLISTED, type_name=name)

    def _pick(self, data, waiting: bool) -> int:
        """A request: mostly one still waiting, if any, else any request at all."""
        received = sorted(pk for pk, (_w, s, _g) in self.requests.items() if s == "received")
        return data.draw(
            st.sampled_from(received if waiting and received else sorted(self.requests))
        )

    @precondition(lambda self: self.requests)
    @rule(data=st.data(), waiting=WAITING, copies=st.integers(1, 3))
    def issue(self, data, waiting, copies):
        pk = self._pick(data, waiting)
        where, state, _ground = self.requests[pk]
        _community, officer, approver = self.world.places[where]
        expected = None if state == RequestState.RECEIVED else (Conflict, "request_decided")
        issued = self._attempt(
            expected,
            lambda: services.certificate_issue(
                actor=officer,
                request=CertificateRequest.objects.get(pk=pk),
                statement="兹证明王秀英系被继承人王德明之女。",
                approver=approver,
                copies=copies,
            ),
        )
        if issued is not None:
            certificate, code = issued
            self.requests[pk] = (where, RequestState.ISSUED, "")
            self.certificates[certificate.pk] = False
            assert certificate.year == self.year
            assert services.certificate_verify(serial=certificate.serial, code=code) == certificate

    @precondition(lambda self: self.requests)
    @rule(data=st.data(), waiting=WAITING, ground=st.sampled_from(GROUNDS))
    def refuse(self, data, waiting, ground):
        pk = self._pick(data, waiting)
        where, state, _ground = self.requests[pk]
        _community, officer, _approver = self.world.places[where]
        expected = None if state == RequestState.RECEIVED else (Conflict, "request_decided")
        if self._attempt(
            expected,
            lambda: services.certificate_refuse(
                actor=officer,
                request=CertificateRequest.objects.get(pk=pk),
                ground=ground,
                note="申请人另行办理。",
            ),
        ):
            self.requests[pk] = (where, RequestState.REFUSED, ground)

    @precondition(lambda self: self.certificates)
    @rule(data=st.data())
    def revoke(self, data):
        pk = data.draw(st.sampled_from(sorted(self.certificates)))
        certificate = Certificate.objects.select_related("community").get(pk=pk)
        where = 0 if certificate.community_id == self.world.places[0][0].code else 1
        expected = (Conflict, "already_revoked") if self.certificates[pk] else None
        if self._attempt(
            expected,
            lambda: services.certificate_revoke(
                actor=self.world.places[where][1], certificate=certificate, reason="误开"
            ),
        ):
            self.certificates[pk] = True

    # A new year is rare: most examples should issue several certificates within one.
    @rule(now=st.sampled_from([True] + [False] * 5))
    def a_new_year_begins(self, now):
        if now and self.year < 2028:
            self.year += 1
            self.world.clock.move_to(START.replace(year=self.year, month=1, day=2), tick=False)

    # -----------------------------------------------------------------------------------------
    # Invariants

    @invariant()
    def the_requests_are_the_models(self):
        stored = {
            r.pk: (r.state, r.refusal_ground)
            for r in CertificateRequest.objects.only("state", "refusal_ground")
        }
        assert stored == {pk: (state, ground) for pk, (_w, state, ground) in self.requests.items()}

    @invariant()
    def issued_means_an_allowed_type_an_id_number_and_one_seal_use(self):
        issued = CertificateRequest.objects.filter(state=RequestState.ISSUED).select_related(
            "community", "certificate"
        )
        for request in issued:
            match = type_match(
                community=request.community, item_key=request.item_key, type_name=request.type_name
            )
            assert match.verdict == "allowed"
            assert request.id_index and request.id_sealed and request.id_masked
            uses = SealUse.objects.filter(certificate=request.certificate)
            assert [u.kind for u in uses] == [SealUseKind.CERTIFICATE]
        assert SealUse.objects.count() == Certificate.objects.count() == issued.count()
        revoked = set(
            Certificate.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)
        )
        assert revoked == {pk for pk, done in self.certificates.items() if done}

    @invariant()
    def serials_run_without_gaps_per_community_and_year(self):
        serials = list(Certificate.objects.values_list("serial", flat=True))
        assert len(serials) == len(set(serials))
        groups = Certificate.objects.values("community_id", "year").annotate(n=Count("id"))
        for group in groups:
            mine = Certificate.objects.filter(
                community_id=group["community_id"], year=group["year"]
            ).order_by("sequence")
            assert [c.sequence for c in mine] == list(range(1, group["n"] + 1))
            for c in mine:
                assert c.serial == f"{c.community_id}-{c.year}-{c.sequence:04d}"

    @invariant()
    def refused_means_a_ground_and_an_explanation(self):
        for request in CertificateRequest.objects.filter(state=RequestState.REFUSED):
            assert request.refusal_ground in RefusalGround.values
            assert request.refusal_explanation
            assert request.decided_at is not None


@pytest.mark.django_db
def test_random_requests_issues_refusals_and_revocations_keep_the_seals_rules(
    personas, community, allowed_item, time_machine, monkeypatch
):
    # The printed certificate is test_issuance's and test_no_plain_id's; here it would only
    # slow the machine down to a handful of issues per run.
    monkeypatch.setattr(services, "certificate_pdf", lambda **_kwargs: b"%PDF-1.7 stand-in")
    xilin_head = person("xilin_head", "西林社区居民委员会", Role.COMMUNITY_OFFICER)
    world = SimpleNamespace(
        item=allowed_item,
        clock=time_machine,
        places=[
            (community, personas.community_officer, personas.community_head),
            (region(XILIN), personas.community_officer2, xilin_head),
        ],
    )
    machine = type("Machine", (CertificateMachine,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
