"""Events of migrant-worker services (domain.md A, seed 四.5): the register, service cases, export groups.

Streams: ``worker-<id>`` (one registered worker and their consent), ``case-<id>`` (one service case),
``group-<id>`` (one labour-export group). No event carries a name, an ID number or a phone number: the
register identifies a worker by the id it assigns, their township and village, and — for a member — their
member id (whose personal data membership keeps sealed). Money is Decimal yuan, a string on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from services.kernel.events import EventRegistry
from services.pure.policy_data import PolicyChangePublished


class ConsentScope(StrEnum):
    """What a worker agreed to (recorded with the day): being on the register, service cases, their case
    being shared with the bureau that acts on it, and being put in a labour-export group."""

    REGISTER = "register"
    SERVICES = "services"
    SHARE_WITH_BUREAUS = "share_with_bureaus"
    LABOUR_EXPORT = "labour_export"


class ServiceKind(StrEnum):
    """The services the county decision names (四.5)."""

    MICRO_CREDIT = "micro_credit"  # 小额信用贷款: the labour bureau's certificate, then the credit cooperative
    INSURANCE = "insurance"  # 人身保险
    TRAINING = "training"  # free training for poor migrants
    NOTARISATION = "notarisation"  # free notarisation (司法行政部门)
    LEGAL_AID = "legal_aid"  # 法律援助 and rights protection (维权)
    PAPERS = "papers"  # ID and construction-qualification papers


class Bureau(StrEnum):
    """The bureau that acts on a case; the values are the roles of their tokens."""

    LABOUR = "labour_bureau"
    CREDIT = "credit_cooperative"
    JUSTICE = "justice_bureau"
    INSURANCE = "insurance"


class CaseStage(StrEnum):
    """requested → referred (to a bureau) → issued or decided → closed. A micro-credit case with its
    certificate issued is referred again, to the credit cooperative, which decides the loan."""

    REQUESTED = "requested"
    REFERRED = "referred"
    ISSUED = "issued"
    DECIDED = "decided"
    CLOSED = "closed"


class LegalAidOutcome(StrEnum):
    WON = "won"
    SETTLED = "settled"
    MEDIATED = "mediated"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, kw_only=True)
class WorkerRegistered:
    """A migrant worker on the county's register, member or not, with their consent."""

    worker_id: str
    township_id: str
    village: str
    member_id: str | None
    skills: tuple[str, ...]
    consent_scope: tuple[ConsentScope, ...]
    consent_on: date
    registered_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class ConsentWithdrawn:
    """The worker withdrew their consent: no new case or group takes them from that day."""

    worker_id: str
    withdrawn_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class ServiceRequested:
    case_id: str
    worker_id: str
    township_id: str
    kind: ServiceKind
    requested_on: date
    note: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class CaseReferred:
    """The case is with ``bureau``, to act by ``due_by`` (the policy's days for the kind)."""

    case_id: str
    kind: ServiceKind
    township_id: str
    bureau: Bureau
    referred_on: date
    due_by: date
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class DocumentIssued:
    """What the bureau issued: a certificate, a policy, a notarial deed, papers. ``amount`` is a micro-credit
    certificate's amount; ``fee`` what the worker paid (0 where the decision makes it free)."""

    case_id: str
    kind: ServiceKind
    bureau: Bureau
    document_number: str
    amount: Decimal | None
    fee: Decimal
    issued_on: date
    late: bool
    actor: str
    #: The worker's township (the partner feeds' place); "" on events recorded before it was carried.
    township_id: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseDecided:
    """The bureau's decision: a legal-aid case taken on (its case number) or a loan granted (its amount), or
    a refusal with its reason."""

    case_id: str
    kind: ServiceKind
    bureau: Bureau
    granted: bool
    reference: str
    amount: Decimal | None
    reason: str
    decided_on: date
    late: bool
    actor: str
    #: The worker's township (the partner feeds' place); "" on events recorded before it was carried.
    township_id: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseClosed:
    case_id: str
    kind: ServiceKind
    closed_on: date
    outcome: LegalAidOutcome | None
    note: str
    actor: str
    #: The worker's township (the partner feeds' place); "" on events recorded before it was carried.
    township_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ExportGroupOrganised:
    """A township's labour-export group (劳务输出) to a destination, linked to the outstation branch there.

    ``branch_id`` is recorded as given: the service does not read membership's store; the gateway's read
    model joins it with the branch directory."""

    group_id: str
    township_id: str
    destination: str
    branch_id: str
    worker_ids: tuple[str, ...]
    organised_on: date
    departs_on: date
    actor: str


EVENTS: dict[str, type] = {
    "gb.workers.worker_registered.v1": WorkerRegistered,
    "gb.workers.consent_withdrawn.v1": ConsentWithdrawn,
    "gb.workers.service_requested.v1": ServiceRequested,
    "gb.workers.case_referred.v1": CaseReferred,
    "gb.workers.document_issued.v1": DocumentIssued,
    "gb.workers.case_decided.v1": CaseDecided,
    "gb.workers.case_closed.v1": CaseClosed,
    "gb.workers.export_group_organised.v1": ExportGroupOrganised,
    "gb.workers.policy_published.v1": PolicyChangePublished,
}

REGISTRY: EventRegistry[Any] = EventRegistry(source="/golden-bridge/workers", events=EVENTS)

WorkerEvent = WorkerRegistered | ConsentWithdrawn
CaseEvent = ServiceRequested | CaseReferred | DocumentIssued | CaseDecided | CaseClosed
GroupEvent = ExportGroupOrganised
