"""Rules a hostile or careless caller pressed on (review of 2026-12-02): an amount written so that PostgreSQL's
numeric refuses it, a step backdated past a consent withdrawal, an export group used to probe other townships'
workers, a bureau closing a micro-credit case before the credit cooperative's loan step, and texts of any
length."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.pure.errors import DomainError, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.workers.contract.commands import (
    CloseCase,
    DecideCase,
    IssueDocument,
    ReferCase,
    RegisterWorker,
    RequestService,
)
from services.workers.contract.events import (
    CaseClosed,
    CaseDecided,
    ConsentScope,
    DocumentIssued,
    ServiceKind,
)
from services.workers.domain import cases, groups, workers
from tests.unit.workers.test_domain import (
    COMMITTEE,
    LABOUR,
    TODAY,
    organise,
    refer,
    registered,
    requested,
    run,
)

CREDIT = Actor(subject="credit", role=Role.CREDIT_COOPERATIVE)
def _storable(amount: Decimal | None) -> bool:
    """What the read model's numeric column and every partner can take: a plain decimal to the fen."""
    if amount is None:
        return True
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and -2 <= exponent <= 0 and not amount.is_signed()


def _issued(kind: ServiceKind, **document: Any) -> DocumentIssued:
    state, _ = run(cases.INITIAL, requested(kind), refer())
    _, events = run(state, IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number="DOC-1",
                                         issued_on=date(2026, 12, 4), **document))
    (event,) = events
    assert isinstance(event, DocumentIssued)
    return event


@pytest.mark.parametrize("fee", ["0E-999999999", "0E+999999999", "0." + "0" * 20_000, "-0", "0.000"])
def test_a_fee_of_nothing_written_any_way_is_recorded_as_a_plain_zero(fee: str) -> None:
    event = _issued(ServiceKind.PAPERS, fee=Decimal(fee))
    assert event.fee == 0 and _storable(event.fee), event.fee


@pytest.mark.parametrize(("amount", "recorded"), [
    ("30000." + "0" * 20_000, "30000.00"), ("3E+4", "30000"), ("1E-2", "0.01"), ("20000", "20000")])
def test_a_certificates_amount_is_recorded_in_plain_yuan_to_the_fen(amount: str, recorded: str) -> None:
    event = _issued(ServiceKind.MICRO_CREDIT, amount=Decimal(amount))
    assert str(event.amount) == recorded and _storable(event.amount)


@given(st.decimals(min_value=0, max_value=1_000_000_000, places=2), st.integers(min_value=0, max_value=20_000))
def test_any_accepted_fee_is_one_the_read_model_can_hold(fee: Decimal, zeros: int) -> None:
    """The same amount written with more zeros after the point, or with an exponent, is recorded plainly."""
    plain = f"{fee:f}"
    padded = Decimal(plain + ("" if "." in plain else ".") + "0" * zeros)
    for written in (padded, fee.normalize()):
        event = _issued(ServiceKind.PAPERS, fee=written)
        assert event.fee == fee and _storable(event.fee), written


def test_a_loan_is_recorded_in_plain_yuan_to_the_fen() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    state, _ = run(state, IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number="RS-1",
                                        issued_on=date(2026, 12, 4), amount=Decimal(20_000)))
    state, _ = run(state, ReferCase(actor=COMMITTEE, today=TODAY, case_id="c1", referred_on=date(2026, 12, 4)))
    _, events = run(state, DecideCase(actor=CREDIT, today=TODAY, case_id="c1", granted=True, reference="LOAN-1",
                                      amount=Decimal("20000." + "0" * 20_000), decided_on=date(2026, 12, 5)))
    (event,) = events
    assert isinstance(event, CaseDecided) and str(event.amount) == "20000.00"


# Consent withdrawn: no new step takes the worker, whatever day it names.

def test_a_case_dated_before_the_withdrawal_is_not_opened_after_it_was_recorded() -> None:
    withdrawn = registered(withdrawn_on=date(2026, 12, 10))
    with pytest.raises(DomainError, match="withdrew their consent on 2026-12-10"):
        run(cases.INITIAL, requested(ServiceKind.LEGAL_AID, on=date(2026, 12, 9)), worker=withdrawn)


def test_a_case_is_not_referred_to_a_bureau_after_the_withdrawal_even_dated_before_it() -> None:
    state, _ = run(cases.INITIAL, requested(ServiceKind.LEGAL_AID, on=date(2026, 12, 2)))
    with pytest.raises(DomainError, match="withdrew their consent"):
        run(state, refer(date(2026, 12, 3)), worker=registered(withdrawn_on=date(2026, 12, 10)))


def test_a_group_dated_before_the_withdrawal_does_not_take_the_worker_after_it() -> None:
    with pytest.raises(DomainError, match="withdrew their consent"):
        groups.decide(groups.INITIAL, organise(("w1",)), workers={"w1": registered(withdrawn_on=date(2026, 12, 11))})


def test_what_was_done_before_the_withdrawal_stands() -> None:
    """A case referred before the withdrawal is still acted on and closed: the bureau's steps read no consent."""
    state, _ = run(cases.INITIAL, requested(ServiceKind.NOTARISATION), refer())
    state, events = run(state, IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number="GZ-1",
                                             issued_on=date(2026, 12, 4)),
                        CloseCase(actor=COMMITTEE, today=TODAY, case_id="c1", closed_on=date(2026, 12, 5)),
                        worker=registered(withdrawn_on=date(2026, 12, 3)))
    assert isinstance(events[-1], CaseClosed)


# Export groups: another township's worker is answered as one not on the register.

@pytest.mark.parametrize("elsewhere", [
    registered(township="town-b", scope=(ConsentScope.REGISTER,)),  # and without labour-export consent
    registered(township="town-b"),
    registered(township="town-b", withdrawn_on=date(2026, 12, 5)),
])
def test_a_group_tells_a_committee_nothing_of_another_townships_worker(elsewhere: Any) -> None:
    with pytest.raises(NotFound) as refused:
        groups.decide(groups.INITIAL, organise(("w1",)), workers={"w1": elsewhere})
    with pytest.raises(NotFound) as absent:
        groups.decide(groups.INITIAL, organise(("w1",)), workers={})
    assert str(refused.value) == str(absent.value) == "worker w1 is not on the register of township town-a"


def test_a_phone_typed_as_a_worker_id_is_refused_without_repeating_it() -> None:
    with pytest.raises(DomainError, match="worker_ids holds what looks like") as refused:
        groups.decide(groups.INITIAL, organise(("138 0013 8000",)), workers={})
    assert not any(c.isdigit() for c in str(refused.value))


# Micro-credit: the labour bureau does not close the case its certificate opens to the loan.

def _certified() -> cases.Case:
    state, _ = run(cases.INITIAL, requested(ServiceKind.MICRO_CREDIT), refer())
    state, _ = run(state, IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number="RS-1",
                                        issued_on=date(2026, 12, 4), amount=Decimal(20_000)))
    return state


@pytest.mark.parametrize("bureau", [LABOUR, CREDIT])
def test_a_bureau_cannot_close_a_certified_micro_credit_case_before_the_loan_step(bureau: Actor) -> None:
    with pytest.raises(StateConflict, match="credit cooperative"):
        run(_certified(), CloseCase(actor=bureau, today=TODAY, case_id="c1", closed_on=date(2026, 12, 5)))


def test_the_township_closes_a_certified_case_when_the_worker_wants_no_loan() -> None:
    state, events = run(_certified(), CloseCase(actor=COMMITTEE, today=TODAY, case_id="c1",
                                                closed_on=date(2026, 12, 5), note="no loan wanted"))
    assert isinstance(events[-1], CaseClosed) and fold(cases.evolve, state, []).stage.value == "closed"


# Texts have a length: a 900,000-character village was recorded, sent on Kafka and shown in every read.

def _register(**fields: Any) -> Any:
    body: dict[str, Any] = {"actor": COMMITTEE, "today": TODAY, "worker_id": "w9", "township_id": "town-a",
                            "village": "Dongcun", "consent_scope": (ConsentScope.REGISTER,),
                            "consent_on": date(2026, 12, 1), "registered_on": date(2026, 12, 1), **fields}
    return workers.decide(workers.INITIAL, RegisterWorker(**body))


@pytest.mark.parametrize(("fields", "what"), [
    ({"village": "x" * 900_000}, "village"), ({"township_id": "t" * 101}, "township_id"),
    ({"member_id": "m" * 101}, "member_id"), ({"skills": ("y" * 201,)}, "skills"),
    ({"skills": tuple(f"skill {i}" for i in range(51))}, "at most 50 skills"),
])
def test_a_register_text_past_its_length_is_refused_naming_its_limit(fields: dict[str, Any], what: str) -> None:
    with pytest.raises(DomainError, match=what) as refused:
        _register(**fields)
    assert len(str(refused.value)) < 200


def test_texts_at_their_length_are_taken() -> None:
    (event,) = _register(village="x" * 200, township_id="t" * 100, member_id="m" * 100,
                         skills=tuple(f"skill {i}" for i in range(50)))
    assert len(event.village) == 200 and len(event.skills) == 50


def test_a_case_text_past_its_length_is_refused() -> None:
    with pytest.raises(DomainError, match="note is 2001 characters long"):
        run(cases.INITIAL, RequestService(actor=COMMITTEE, today=TODAY, case_id="c1", worker_id="w1",
                                          kind=ServiceKind.PAPERS, requested_on=date(2026, 12, 2), note="n" * 2001))
    state, _ = run(cases.INITIAL, requested(ServiceKind.PAPERS), refer())
    with pytest.raises(DomainError, match="document_number is 101"):
        run(state, IssueDocument(actor=LABOUR, today=TODAY, case_id="c1", document_number="D" * 101,
                                 issued_on=date(2026, 12, 4)))
    with pytest.raises(DomainError, match="reason is 2001"):
        run(state, DecideCase(actor=LABOUR, today=TODAY, case_id="c1", granted=False, reason="r" * 2001,
                              decided_on=date(2026, 12, 4)))


def test_a_group_text_past_its_length_is_refused() -> None:
    with pytest.raises(DomainError, match="worker_ids is 101"):
        groups.decide(groups.INITIAL, organise(("w" * 101,)), workers={})
    with pytest.raises(DomainError, match="branch_id is 101"):
        groups.decide(groups.INITIAL, organise(("w1",), branch="b" * 101), workers={"w1": registered()})
