"""Service cases: one stream per case, requested → referred (to the bureau) → issued or decided → closed.

The kind's rule (services/workers/policy.py) names the bureau it is referred to, whether that bureau issues
a document or decides, and its deadline in days from the referral. A bureau acting after its deadline is
recorded as late, not refused: the worker still needs the paper. A micro-credit case runs twice: the labour
bureau issues the migrant-worker certificate (number and amount, within the county ceiling), then the case
is referred to the credit cooperative, which grants a loan within the certificate's amount, or refuses.
Any bureau may refuse the case referred to it, with a reason. Which bureau may act at all — only the one
the case is with — is the service's scope rule (services/workers/access.py); the rules here also hold it.

Every text a case records (its notes, a document's number, a decision's reference and reason) is refused when it
holds anything shaped like a phone or ID number (services/pure/personal_text.py): the service keeps no one's, and
its events, topic and read model hold them in clear. An ID paper's own number is its holder's ID number, so a
papers case records the number of the acceptance receipt (受理回执) the window gives, never the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import assert_never

from services.pure.dates import not_future
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.identity import BUREAUS
from services.pure.personal_text import not_personal
from services.pure.text import require_text
from services.workers.contract.commands import (
    CaseCommand,
    CloseCase,
    DecideCase,
    IssueDocument,
    ReferCase,
    RequestService,
)
from services.workers.contract.events import (
    Bureau,
    CaseClosed,
    CaseDecided,
    CaseEvent,
    CaseReferred,
    CaseStage,
    ConsentScope,
    DocumentIssued,
    LegalAidOutcome,
    ServiceKind,
    ServiceRequested,
)
from services.workers.domain import texts
from services.workers.domain.texts import bounded
from services.workers.domain.workers import Worker, require_consent
from services.workers.policy import DEFAULT_WORKERS_POLICY, Ending, WorkersPolicy


@dataclass(frozen=True, kw_only=True)
class Case:
    exists: bool = False
    case_id: str = ""
    worker_id: str = ""
    township_id: str = ""
    kind: ServiceKind = ServiceKind.MICRO_CREDIT
    stage: CaseStage = CaseStage.REQUESTED
    #: The bureau the case is with (None before its first referral).
    bureau: Bureau | None = None
    due_by: date | None = None
    #: The day of the latest step: no step is dated before it.
    last_on: date | None = None
    certificate_amount: Decimal | None = None
    granted: bool | None = None


INITIAL = Case()

#: What each text of a case is to hold instead of a phone or ID number (the 422 says it).
NOTE = "what the case is about, in words, without anyone's ID number or phone (the register keeps none)"
DOCUMENT_NUMBER = ("the number of the paper issued: the certificate, policy or notarial deed number; for an ID "
                   "paper, whose own number is the holder's ID number, the number of its acceptance receipt "
                   "(受理回执)")
REFERENCE = "the legal-aid case or loan contract number, never the worker's ID number or phone"
REASON = "why the case is refused, in words, without anyone's ID number or phone"


def decide(state: Case, command: CaseCommand, *, policy: WorkersPolicy = DEFAULT_WORKERS_POLICY,
           worker: Worker | None = None) -> list[CaseEvent]:
    """``worker`` (``RequestService`` and ``ReferCase``): the worker's register record, read by the handler."""
    match command:
        case RequestService():
            return [request(state, command, worker or Worker())]
        case ReferCase():
            return [refer(state, command, policy, worker or Worker())]
        case IssueDocument():
            return [issue(state, command, policy)]
        case DecideCase():
            return [decide_case(state, command, policy)]
        case CloseCase():
            return [close(state, command)]
        case _:
            assert_never(command)


#: No amount of a worker's case comes near it: a bound that keeps a typo (or 1e999999) out of the record.
_MOST_YUAN = Decimal(1_000_000_000)
_FEN, _YUAN = Decimal("0.01"), Decimal(1)


def yuan(value: Decimal, what: str) -> Decimal:
    """An amount in yuan: finite, 0 to a billion, to the fen at most. Checked without a decimal context, so
    no input can overflow one.

    Returned in plain form (exponent 0 to -2, no negative zero), and that is what a case records: ``0E-999999999``
    or ``30000.000…`` (thousands of zeros) is the same amount, but PostgreSQL's numeric column refuses its scale,
    so the projector dead-lettered the event and the read model kept the case a step behind its store."""
    if not value.is_finite() or not Decimal(0) <= value <= _MOST_YUAN:
        raise DomainError(f"{what} must be in yuan, from 0 to {_MOST_YUAN}, e.g. \"20000.00\"")
    _, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and exponent < -2 and any(digits[exponent + 2:]):
        raise DomainError(f"{what} has more than 2 decimals; amounts are in yuan to the fen")
    # Within a billion to the fen, the plain form has at most 12 digits: exact in any decimal context.
    if isinstance(exponent, int) and exponent < -2:
        value = value.quantize(_FEN)
    elif isinstance(exponent, int) and exponent > 0:
        value = value.quantize(_YUAN)
    return value.copy_abs() if value == 0 else value


def _existing(state: Case, case_id: str) -> Case:
    if not state.exists:
        raise NotFound(f"service case {case_id} does not exist")
    return state


def _dated(state: Case, day: date, today: date, what: str) -> None:
    not_future(day, today, what)
    if state.last_on is not None and day < state.last_on:
        raise DomainError(f"{what} {day} is before the case's last step ({state.last_on})")


def request(state: Case, c: RequestService, worker: Worker) -> ServiceRequested:
    if state.exists:
        raise AlreadyExists(f"service case {c.case_id} already exists; use a new case id")
    require_consent(worker, ConsentScope.SERVICES, c.requested_on, c.worker_id)
    not_future(c.requested_on, c.today, "the request date")
    note = not_personal(bounded(c.note.strip(), "note", texts.WORDS), "note", instead=NOTE)
    return ServiceRequested(case_id=c.case_id, worker_id=c.worker_id, township_id=worker.township_id, kind=c.kind,
                            requested_on=c.requested_on, note=note, actor=c.actor.label)


def next_bureau(state: Case, policy: WorkersPolicy) -> tuple[Bureau, int]:
    """Where a case goes when referred, and the days it has there."""
    if state.stage is CaseStage.REQUESTED:
        rule = policy.rules[state.kind]
        return rule.bureau, rule.act_within_days
    if _awaits_the_loan(state):
        return Bureau.CREDIT, policy.loan_decision_days
    raise StateConflict(f"service case {state.case_id} is {state.stage.value}"
                        + (f" with {state.bureau.value}" if state.bureau else "") + ": it cannot be referred now")


def refer(state: Case, c: ReferCase, policy: WorkersPolicy, worker: Worker) -> CaseReferred:
    _existing(state, c.case_id)
    bureau, days = next_bureau(state, policy)
    _dated(state, c.referred_on, c.today, "the referral date")
    # The bureau sees the case (and reads it): only with the worker's consent to share it, on that day.
    require_consent(worker, ConsentScope.SHARE_WITH_BUREAUS, c.referred_on, state.worker_id)
    return CaseReferred(case_id=c.case_id, kind=state.kind, township_id=state.township_id, bureau=bureau,
                        referred_on=c.referred_on, due_by=c.referred_on + timedelta(days=days),
                        actor=c.actor.label, policy_version=policy.version)


def _awaits_the_loan(state: Case) -> bool:
    """A micro-credit case with the labour bureau's certificate issued: next, the credit cooperative's loan."""
    return state.stage is CaseStage.ISSUED and state.kind is ServiceKind.MICRO_CREDIT and state.bureau is Bureau.LABOUR


def _with_bureau(state: Case, case_id: str) -> Bureau:
    _existing(state, case_id)
    if state.stage is not CaseStage.REFERRED or state.bureau is None:
        raise StateConflict(f"service case {case_id} is {state.stage.value}: a bureau acts on it once referred")
    return state.bureau


def _ending(state: Case, policy: WorkersPolicy) -> Ending:
    return Ending.DECIDE if state.bureau is Bureau.CREDIT else policy.rules[state.kind].ending


def _late(state: Case, day: date) -> bool:
    return state.due_by is not None and day > state.due_by


def issue(state: Case, c: IssueDocument, policy: WorkersPolicy) -> DocumentIssued:
    bureau = _with_bureau(state, c.case_id)
    if _ending(state, policy) is not Ending.ISSUE:
        raise StateConflict(f"a {state.kind.value} case with {bureau.value} is decided, not issued")
    number = not_personal(bounded(require_text(c.document_number, "document_number",
                                               hint="the number on the issued paper"), "document_number", texts.NUMBER),
                          "document_number", instead=DOCUMENT_NUMBER)
    _dated(state, c.issued_on, c.today, "the issue date")
    fee = yuan(c.fee, "the fee")
    amount = yuan(c.amount, "the amount") if c.amount is not None else None
    if state.kind is ServiceKind.MICRO_CREDIT:
        if amount is None or not Decimal(0) < amount <= policy.certificate_max_amount:
            raise DomainError(f"a micro-credit certificate names an amount above 0 and at most "
                              f"{policy.certificate_max_amount} yuan (policy {policy.version})")
    elif amount is not None:
        raise DomainError(f"only a micro-credit certificate names an amount, not a {state.kind.value} document")
    if fee != 0 and policy.rules[state.kind].free:
        raise DomainError(f"{state.kind.value} is free for migrant workers: the fee is 0")
    return DocumentIssued(case_id=c.case_id, kind=state.kind, bureau=bureau, document_number=number,
                          amount=amount, fee=fee, issued_on=c.issued_on, late=_late(state, c.issued_on),
                          actor=c.actor.label, township_id=state.township_id)


def decide_case(state: Case, c: DecideCase, policy: WorkersPolicy) -> CaseDecided:
    bureau = _with_bureau(state, c.case_id)
    _dated(state, c.decided_on, c.today, "the decision date")
    reference = not_personal(bounded(c.reference.strip(), "reference", texts.NUMBER), "reference", instead=REFERENCE)
    reason = not_personal(bounded(c.reason.strip(), "reason", texts.WORDS), "reason", instead=REASON)
    loan = yuan(c.amount, "the loan") if c.amount is not None else None
    if not c.granted:
        require_text(reason, "reason", hint="why the case is refused")
        if loan is not None:
            raise DomainError("a refusal names no amount")
    else:
        if _ending(state, policy) is not Ending.DECIDE:
            raise StateConflict(f"a {state.kind.value} case with {bureau.value} is issued (POST …/documents), "
                                "or refused")
        require_text(reference, "reference", hint="the legal-aid case or loan contract number")
        if bureau is Bureau.CREDIT:
            ceiling = state.certificate_amount or Decimal(0)
            if loan is None or not Decimal(0) < loan <= ceiling:
                raise DomainError(f"the loan is above 0 and at most the certificate's {ceiling} yuan")
        elif loan is not None:
            raise DomainError(f"a {state.kind.value} decision names no amount")
    return CaseDecided(case_id=c.case_id, kind=state.kind, bureau=bureau, granted=c.granted, reference=reference,
                       amount=loan, reason=reason, decided_on=c.decided_on, late=_late(state, c.decided_on),
                       actor=c.actor.label, township_id=state.township_id)


def close(state: Case, c: CloseCase) -> CaseClosed:
    _existing(state, c.case_id)
    if state.stage not in (CaseStage.ISSUED, CaseStage.DECIDED):
        raise StateConflict(f"service case {c.case_id} is {state.stage.value}: it closes once issued or decided")
    if c.actor.role in BUREAUS and _awaits_the_loan(state):
        # The labour bureau's part of a micro-credit case ends with the certificate; closing the case there would
        # take the loan step from the credit cooperative. The township closes it if the worker wants no loan.
        raise StateConflict(f"service case {c.case_id} has its certificate and goes on to the credit cooperative: "
                            "the township refers it there, or closes it if the worker wants no loan")
    _dated(state, c.closed_on, c.today, "the closing date")
    legal_aid_taken = state.kind is ServiceKind.LEGAL_AID and state.granted is True
    if legal_aid_taken and c.outcome is None:
        raise DomainError("a legal-aid case taken on closes with its outcome: "
                          + ", ".join(o.value for o in LegalAidOutcome))
    if not legal_aid_taken and c.outcome is not None:
        raise DomainError("only a legal-aid case taken on closes with an outcome")
    note = not_personal(bounded(c.note.strip(), "note", texts.WORDS), "note", instead=NOTE)
    return CaseClosed(case_id=c.case_id, kind=state.kind, closed_on=c.closed_on, outcome=c.outcome,
                      note=note, actor=c.actor.label, township_id=state.township_id)


def evolve(state: Case, event: CaseEvent) -> Case:
    match event:
        case ServiceRequested():
            return Case(exists=True, case_id=event.case_id, worker_id=event.worker_id, township_id=event.township_id,
                        kind=event.kind, last_on=event.requested_on)
        case CaseReferred():
            return replace(state, stage=CaseStage.REFERRED, bureau=event.bureau, due_by=event.due_by,
                           last_on=event.referred_on)
        case DocumentIssued():
            amount = event.amount if event.kind is ServiceKind.MICRO_CREDIT else state.certificate_amount
            return replace(state, stage=CaseStage.ISSUED, certificate_amount=amount, last_on=event.issued_on)
        case CaseDecided():
            return replace(state, stage=CaseStage.DECIDED, granted=event.granted, last_on=event.decided_on)
        case CaseClosed():
            return replace(state, stage=CaseStage.CLOSED, last_on=event.closed_on)
        case _:
            assert_never(event)
