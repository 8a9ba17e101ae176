"""The migrant-worker services' outward type: each step of a service case, for the bureaus' systems and the
province (issue 13: the bureaus' events reach them as partner subscriptions).

No worker is named: the workers service keeps no name, ID or phone number, so the case carries none either.
Its place is the worker's township, so a partner scoped to a township receives that township's cases and a
county-wide partner (a bureau) every case.

The document's number and the decision's reference are the bureaus' own numbers, which a bureau's system needs
(the credit cooperative lends on the labour bureau's certificate), so they are not marked personal: under either
policy a personal field never reaches a partner in clear. The workers service refuses any that is shaped like a
phone or ID number (services/pure/personal_text.py); one recorded before it did is withheld here, from every
partner, by the same check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.partners.contract.outward import OutwardType
from services.pure.personal_text import personal_shape
from services.workers.contract.events import CaseClosed, CaseDecided, CaseReferred, DocumentIssued


@dataclass(frozen=True, kw_only=True)
class ServiceCaseV1:
    """One step of a migrant worker's service case: ``step`` says which (referred to a bureau, a document issued,
    decided, closed)."""

    case_id: str
    #: micro_credit, insurance, training, notarisation, legal_aid or papers.
    kind: str
    township_id: str
    step: str
    on: date
    #: The bureau the case is with (null on closing).
    bureau: str | None = None
    #: Referred: the day the bureau is to act by.
    due_by: date | None = None
    #: Issued: the document's number (null if it was recorded shaped like a phone or ID number); a micro-credit
    #: certificate's amount.
    document_number: str | None = None
    amount: Decimal | None = None
    #: Decided: granted or refused, the legal-aid case or loan number.
    granted: bool | None = None
    reference: str | None = None
    #: Issued or decided after the deadline.
    late: bool | None = None
    #: Closed: a legal-aid case's outcome.
    outcome: str | None = None


def _number(value: str | None) -> str | None:
    """A bureau's number as recorded, or None when it is shaped like a phone or ID number (an ID paper's own
    number, recorded before the workers service refused them)."""
    return None if not value or personal_shape(value) else value


def _referred(e: CaseReferred) -> ServiceCaseV1:
    return ServiceCaseV1(case_id=e.case_id, kind=e.kind.value, township_id=e.township_id, step="referred",
                         on=e.referred_on, bureau=e.bureau.value, due_by=e.due_by)


def _issued(e: DocumentIssued) -> ServiceCaseV1:
    return ServiceCaseV1(case_id=e.case_id, kind=e.kind.value, township_id=e.township_id, step="issued",
                         on=e.issued_on, bureau=e.bureau.value, document_number=_number(e.document_number),
                         amount=e.amount, late=e.late)


def _decided(e: CaseDecided) -> ServiceCaseV1:
    return ServiceCaseV1(case_id=e.case_id, kind=e.kind.value, township_id=e.township_id, step="decided",
                         on=e.decided_on, bureau=e.bureau.value, granted=e.granted, reference=_number(e.reference),
                         amount=e.amount, late=e.late)


def _closed(e: CaseClosed) -> ServiceCaseV1:
    return ServiceCaseV1(case_id=e.case_id, kind=e.kind.value, township_id=e.township_id, step="closed",
                         on=e.closed_on, outcome=e.outcome.value if e.outcome else None)


SERVICE_CASE: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.service_case.step.v1",
    summary="A migrant worker's service case was referred to a bureau, had its document issued, was decided, "
            "or was closed.",
    schema=ServiceCaseV1,
    sources=((CaseReferred, _referred), (DocumentIssued, _issued), (CaseDecided, _decided), (CaseClosed, _closed)),
    subject=lambda o: f"case/{o.case_id}",
    places=lambda o: (o.township_id,),
    example=ServiceCaseV1(case_id="c-1", kind="micro_credit", township_id="tw-shuikou", step="issued",
                          on=date(2026, 3, 6), bureau="labour_bureau", document_number="RS-2026-001",
                          amount=Decimal("30000"), late=False),
)
