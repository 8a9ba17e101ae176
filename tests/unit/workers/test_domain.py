"""Migrant-worker services: the register and its consent, the case lifecycle per kind, export groups."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.workers.contract.commands import (
    CloseCase,
    DecideCase,
    IssueDocument,
    OrganiseExportGroup,
    ReferCase,
    RegisterWorker,
    RequestService,
    WithdrawConsent,
)
from services.workers.contract.events import (
    EVENTS,
    Bureau,
    CaseDecided,
    CaseReferred,
    CaseStage,
    ConsentScope,
    DocumentIssued,
    ExportGroupOrganised,
    LegalAidOutcome,
    ServiceKind,
)
from services.workers.domain import cases, groups, workers
from services.workers.policy import DEFAULT_WORKERS_POLICY, WorkersPolicy, workers_policy_on

TODAY = date(2026, 12, 31)
CONSENT_ON = date(2026, 12, 1)
COMMITTEE = Actor(subject="committee", role=Role.TOWNSHIP_COMMITTEE, org_id="town-a")
LABOUR = Actor(subject="labour", role=Role.LABOUR_BUREAU)
ALL = tuple(ConsentScope)


def registered(scope: tuple[ConsentScope, ...] = ALL, worker_id: str = "w1", township: str = "town-a",
               withdrawn_on: date | None = None) -> workers.Worker:
    events: list[Any] = workers.decide(workers.INITIAL, RegisterWorker(
        actor=COMMITTEE, today=TODAY, worker_id=worker_id, township_id=township, village="east", consent_scope=scope,
        consent_on=CONSENT_ON, registered_on=CONSENT_ON))
    if withdrawn_on:
        events += workers.decide(fold(workers.evolve, workers.INITIAL, events),
                                 WithdrawConsent(actor=COMMITTEE, today=TODAY, worker_id=worker_id,
                                                 withdrawn_on=withdrawn_on))
    return fold(workers.evolve, workers.INITIAL, events)


def run(state: cases.Case, *commands: Any, worker: workers.Worker | None = None,
        policy: WorkersPolicy = DEFAULT_WORKERS_POLICY) -> tuple[cases.Case, list[Any]]:
    out: list[Any] = []
    for command in commands:
        events = cases.decide(state, command, policy=policy, worker=worker or registered())
        out += events
        state = fold(cases.evolve, state, events)
    return state, out


def requested(kind: ServiceKind, on: date = date(2026, 12, 2)) -> RequestService:
    return RequestService(actor=COMMITTEE, today=TODAY, case_id="c1", worker_id="w1", kind=kind, requested_on=on)


def refer(on: date = date(2026, 12, 3)) -> ReferCase:
    return ReferCase(actor=COMMITTEE, today=TODAY, case_id="c1", referred_on=on)


def certificate(amount: Decimal | None = Decimal(20_000), on: date = date(2026, 12, 4), fee: Decimal = Decimal(0),
                number: str = "LB-2026-001") -> IssueDocument:
    return IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number=number, issued_on=on,
                         amount=amount, fee=fee)


def decision(granted: bool = True, *, amount: Decimal | None = None, reference: str = "LA-7", reason: str = "",
             on: date = date(2026, 12, 5)) -> DecideCase:
    return DecideCase(actor=LABOUR, today=TODAY, case_id="c1", granted=granted, decided_on=on, reference=reference,
                      amount=amount, reason=reason)


def closing(outcome: LegalAidOutcome | None = None, on: date = date(2026, 12, 6)) -> CloseCase:
    return CloseCase(actor=LABOUR, today=TODAY, case_id="c1", closed_on=on, outcome=outcome)


# The register and consent.

def test_a_worker_is_registered_only_with_consent_to_the_register() -> None:
    with pytest.raises(DomainError, match="consent"):
        registered(scope=(ConsentScope.SERVICES,))


def test_no_event_of_the_service_carries_a_name_id_number_or_phone() -> None:
    for cls in EVENTS.values():
        assert not set(cls.__dataclass_fields__) & {"name", "national_id", "id_number", "phone"}, cls


def test_a_worker_is_registered_once() -> None:
    with pytest.raises(AlreadyExists):
        workers.decide(registered(), RegisterWorker(
            actor=COMMITTEE, today=TODAY, worker_id="w1", township_id="town-a", village="east", consent_scope=ALL,
            consent_on=CONSENT_ON, registered_on=CONSENT_ON))


@given(st.integers(min_value=-40, max_value=40))
def test_consent_counts_from_the_day_it_is_given_until_the_day_it_is_withdrawn(offset: int) -> None:
    withdrawn = CONSENT_ON + timedelta(days=10)
    worker = registered(withdrawn_on=withdrawn)
    day = CONSENT_ON + timedelta(days=offset)
    assert worker.consents(ConsentScope.SERVICES, day) == (CONSENT_ON <= day < withdrawn)


def test_consent_is_withdrawn_once_and_not_before_it_was_given() -> None:
    with pytest.raises(StateConflict):
        workers.decide(registered(withdrawn_on=TODAY), WithdrawConsent(actor=COMMITTEE, today=TODAY, worker_id="w1",
                                                                       withdrawn_on=TODAY))
    with pytest.raises(DomainError, match="on or after"):
        workers.decide(registered(), WithdrawConsent(actor=COMMITTEE, today=TODAY, worker_id="w1",
                                                     withdrawn_on=CONSENT_ON - timedelta(days=1)))


# Requests and referral.

def test_a_case_needs_a_registered_worker_who_consented_to_services() -> None:
    with pytest.raises(NotFound):
        run(cases.INITIAL, requested(ServiceKind.TRAINING), worker=workers.INITIAL)
    with pytest.raises(DomainError, match="consented to services"):
        run(cases.INITIAL, requested(ServiceKind.TRAINING), worker=registered(scope=(ConsentScope.REGISTER,)))
    with pytest.raises(DomainError, match="withdrew their consent"):
        run(cases.INITIAL, requested(ServiceKind.TRAINING, on=date(2026, 12, 15)),
            worker=registered(withdrawn_on=date(2026, 12, 10)))


@pytest.mark.parametrize("kind", list(ServiceKind))
def test_each_kind_is_referred_to_its_bureau_with_its_deadline(kind: ServiceKind) -> None:
    state, events = run(cases.INITIAL, requested(kind), refer())
    rule = DEFAULT_WORKERS_POLICY.rules[kind]
    referred = events[-1]
    assert isinstance(referred, CaseReferred)
    assert (referred.bureau, referred.due_by) == (rule.bureau, date(2026, 12, 3) + timedelta(days=rule.act_within_days))
    assert state.stage is CaseStage.REFERRED and state.township_id == "town-a"


def test_a_case_is_referred_only_while_the_worker_consents_to_share_it_with_the_bureau() -> None:
    not_shared = registered(scope=(ConsentScope.REGISTER, ConsentScope.SERVICES))
    state, _ = run(cases.INITIAL, requested(ServiceKind.LEGAL_AID), worker=not_shared)
    with pytest.raises(DomainError, match="share_with_bureaus"):
        run(state, refer(), worker=not_shared)
    with pytest.raises(DomainError, match="withdrew their consent"):
        run(state, refer(date(2026, 12, 3)), worker=registered(withdrawn_on=date(2026, 12, 3)))


def test_a_case_is_not_referred_twice_to_the_same_bureau() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.NOTARISATION), refer())
    with pytest.raises(StateConflict, match="cannot be referred"):
        run(state, refer())


def test_a_bureau_acts_only_once_a_case_is_referred() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT))
    with pytest.raises(StateConflict, match="once referred"):
        run(state, certificate())


# Micro-credit: the labour bureau's certificate, then the credit cooperative's loan.

@given(st.decimals(min_value=Decimal(-10), max_value=Decimal(60_000), places=2))
def test_a_certificate_amount_is_above_zero_and_at_most_the_county_ceiling(amount: Decimal) -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    if Decimal(0) < amount <= DEFAULT_WORKERS_POLICY.certificate_max_amount:
        _, events = run(state, certificate(amount))
        assert isinstance(events[0], DocumentIssued) and events[0].amount == amount
    else:
        with pytest.raises(DomainError, match=r"at most|from 0"):
            run(state, certificate(amount))


def test_a_certificate_names_its_amount_and_its_number() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    with pytest.raises(DomainError):
        run(state, certificate(None))
    with pytest.raises(DomainError, match="document_number"):
        run(state, certificate(number="  "))


def test_after_its_certificate_a_micro_credit_case_goes_to_the_credit_cooperative_which_lends_within_it() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer(), certificate(Decimal(20_000)),
                   refer(date(2026, 12, 4)))
    assert state.bureau is Bureau.CREDIT and state.due_by == date(2026, 12, 14)
    with pytest.raises(DomainError, match="at most the certificate"):
        run(state, decision(amount=Decimal("20000.01"), reference="LOAN-1"))
    with pytest.raises(StateConflict, match="decided, not issued"):
        run(state, certificate())
    state, events = run(state, decision(amount=Decimal(20_000), reference="LOAN-1"), closing())
    assert isinstance(events[0], CaseDecided) and events[0].granted and events[0].amount == Decimal(20_000)
    assert state.stage is CaseStage.CLOSED


@given(st.integers(min_value=0, max_value=20))
def test_a_bureau_acting_after_its_deadline_is_recorded_late_not_refused(days: int) -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    on = date(2026, 12, 3) + timedelta(days=days)
    _, events = run(state, certificate(on=on))
    assert events[0].late == (days > DEFAULT_WORKERS_POLICY.rules[ServiceKind.MICRO_CREDIT].act_within_days)


# Free services, legal aid, refusals, closing.

@pytest.mark.parametrize("kind", [ServiceKind.NOTARISATION, ServiceKind.TRAINING])
def test_notarisation_and_training_are_free(kind: ServiceKind) -> None:
    state, _ = run(cases.INITIAL, requested(kind), refer())
    with pytest.raises(DomainError, match="free"):
        run(state, certificate(None, fee=Decimal("0.01")))
    _, events = run(state, certificate(None))
    assert events[0].fee == 0


@pytest.mark.parametrize("amount", ["NaN", "-Infinity", "1e999999999", "-0.01", "100.001"])
def test_an_amount_or_fee_that_is_not_yuan_to_the_fen_is_refused_naming_it(amount: str) -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    with pytest.raises(DomainError, match=r"yuan|decimals"):
        run(state, certificate(Decimal(amount)))
    state, _ = run(cases.INITIAL, requested(ServiceKind.INSURANCE), refer())
    with pytest.raises(DomainError, match="fee"):
        run(state, certificate(None, fee=Decimal(amount)))


def test_an_amount_to_the_fen_with_trailing_zeros_is_yuan() -> None:
    assert cases.yuan(Decimal("100.0100"), "x") == Decimal("100.01")


def test_only_a_micro_credit_certificate_names_an_amount() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.PAPERS), refer())
    with pytest.raises(DomainError, match="only a micro-credit"):
        run(state, certificate(Decimal(100)))


def test_legal_aid_is_decided_with_its_case_number_and_closes_with_its_outcome() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.LEGAL_AID), refer())
    with pytest.raises(StateConflict, match="decided, not issued"):
        run(state, certificate(None))
    with pytest.raises(DomainError, match="reference"):
        run(state, decision(reference=""))
    state, _ = run(state, decision(reference="LA-2026-7"))
    with pytest.raises(DomainError, match="outcome"):
        run(state, closing())
    state, events = run(state, closing(LegalAidOutcome.WON))
    assert events[0].outcome is LegalAidOutcome.WON and state.stage is CaseStage.CLOSED


def test_any_bureau_may_refuse_with_a_reason_and_the_case_then_closes_without_an_outcome() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.INSURANCE), refer())
    with pytest.raises(DomainError, match="reason"):
        run(state, decision(granted=False))
    state, _ = run(state, decision(granted=False, reason="already insured"))
    with pytest.raises(DomainError, match="only a legal-aid"):
        run(state, closing(LegalAidOutcome.WON))
    state, _ = run(state, closing())
    assert state.stage is CaseStage.CLOSED


def test_a_case_closes_only_once_issued_or_decided_and_never_twice() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.PAPERS), refer())
    with pytest.raises(StateConflict):
        run(state, closing())
    state, _ = run(state, certificate(None), closing())
    with pytest.raises(StateConflict):
        run(state, closing())


@given(st.integers(min_value=-3, max_value=3))
def test_no_step_is_dated_before_the_last_one_or_in_the_future(offset: int) -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.PAPERS), refer(date(2026, 12, 10)))
    on = date(2026, 12, 10) + timedelta(days=offset)
    if offset < 0:
        with pytest.raises(DomainError, match="before the case's last step"):
            run(state, certificate(None, on=on))
    else:
        run(state, certificate(None, on=on))
    with pytest.raises(DomainError, match="future"):
        run(state, certificate(None, on=TODAY + timedelta(days=1)))


def test_the_policy_in_force_is_the_latest_not_after_the_day() -> None:
    later = replace(DEFAULT_WORKERS_POLICY, version="workers-2027.1", effective_from=date(2027, 1, 1),
                    certificate_max_amount=Decimal(80_000))
    policies = (DEFAULT_WORKERS_POLICY, later)
    assert workers_policy_on(date(2026, 12, 31), policies) is DEFAULT_WORKERS_POLICY
    assert workers_policy_on(date(2027, 1, 1), policies) is later


# Labour-export groups.

def organise(ids: tuple[str, ...], *, township: str = "town-a", departs: date = date(2026, 12, 25),
             branch: str = "branch-sz") -> OrganiseExportGroup:
    return OrganiseExportGroup(actor=COMMITTEE, today=TODAY, group_id="g1", township_id=township,
                               destination="Shenzhen", branch_id=branch, worker_ids=ids,
                               organised_on=date(2026, 12, 10), departs_on=departs)


def test_a_group_goes_to_a_destination_with_its_outstation_branch_and_consenting_workers() -> None:
    (event,) = groups.decide(groups.INITIAL, organise(("w1", "w2")),
                             workers={"w1": registered(), "w2": registered(worker_id="w2")})
    assert isinstance(event, ExportGroupOrganised)
    assert (event.destination, event.branch_id, event.worker_ids) == ("Shenzhen", "branch-sz", ("w1", "w2"))


def test_a_group_takes_only_registered_workers_of_its_township_who_consented_to_labour_export() -> None:
    with pytest.raises(NotFound):
        groups.decide(groups.INITIAL, organise(("w1",)), workers={})
    with pytest.raises(DomainError, match="labour_export"):
        groups.decide(groups.INITIAL, organise(("w1",)),
                      workers={"w1": registered(scope=(ConsentScope.REGISTER, ConsentScope.SERVICES))})
    with pytest.raises(NotFound, match="not on the register of township town-a"):
        groups.decide(groups.INITIAL, organise(("w1",)), workers={"w1": registered(township="town-b")})


@given(st.integers(min_value=0, max_value=3))
def test_a_group_has_one_to_the_policys_number_of_workers_each_once(size: int) -> None:
    policy = replace(DEFAULT_WORKERS_POLICY, group_max_workers=2)
    ids = tuple(f"w{i}" for i in range(size))
    named = {i: registered(worker_id=i) for i in ids}
    if 1 <= size <= 2:
        groups.decide(groups.INITIAL, organise(ids), workers=named, policy=policy)
    else:
        with pytest.raises(DomainError, match="1 to 2"):
            groups.decide(groups.INITIAL, organise(ids), workers=named, policy=policy)
    with pytest.raises(DomainError, match="once"):
        groups.decide(groups.INITIAL, organise(("w1", "w1")), workers={"w1": registered()})


def test_a_group_departs_on_or_after_it_is_organised_and_names_its_branch() -> None:
    with pytest.raises(DomainError, match="departs"):
        groups.decide(groups.INITIAL, organise(("w1",), departs=date(2026, 12, 9)), workers={"w1": registered()})
    with pytest.raises(DomainError, match="branch_id"):
        groups.decide(groups.INITIAL, organise(("w1",), branch=" "), workers={"w1": registered()})
