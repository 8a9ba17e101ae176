"""Commands on the migrant-worker register, service cases and labour-export groups.

No text a command takes — a village, a skill, a note, a document's number, a reference, a reason, a destination —
may hold anything shaped like a phone or ID number (services/pure/personal_text.py): each is refused with a 422
that says what to record instead, because the service's events, topic and read model keep them in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.pure.identity import Actor
from services.workers.contract.events import ConsentScope, LegalAidOutcome, ServiceKind


@dataclass(frozen=True, kw_only=True)
class RegisterWorker:
    """Put a migrant worker on the register with their consent. No name, ID or phone number is taken: the
    worker is the id assigned here, their township and village, and their member id if they are a member."""

    actor: Actor
    today: date
    worker_id: str
    township_id: str
    village: str
    consent_scope: tuple[ConsentScope, ...]
    consent_on: date
    registered_on: date
    member_id: str | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent:
    actor: Actor
    today: date
    worker_id: str
    withdrawn_on: date


@dataclass(frozen=True, kw_only=True)
class RequestService:
    """Open a service case for a registered worker who consented to services. ``note``: what it is about, in
    words, with no one's ID number or phone."""

    actor: Actor
    today: date
    case_id: str
    worker_id: str
    kind: ServiceKind
    requested_on: date
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ReferCase:
    """Refer the case to the bureau the policy names for its kind (a micro-credit case with its certificate:
    on to the credit cooperative)."""

    actor: Actor
    today: date
    case_id: str
    referred_on: date


@dataclass(frozen=True, kw_only=True)
class IssueDocument:
    """The bureau issues what the case asked for. ``document_number``: the certificate's, policy's or deed's
    number; an ID paper's own number is its holder's ID number, so a papers case records its acceptance receipt's
    number (受理回执) instead. ``amount``: a micro-credit certificate's, required there and nowhere else. ``fee``:
    what the worker paid; notarisation and training are free (0)."""

    actor: Actor
    today: date
    case_id: str
    document_number: str
    issued_on: date
    amount: Decimal | None = None
    fee: Decimal = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class DecideCase:
    """The bureau decides: legal aid taken on (``reference``: the legal-aid case number), a loan granted
    (``amount``, within the certificate's), or any case refused with a ``reason``."""

    actor: Actor
    today: date
    case_id: str
    granted: bool
    decided_on: date
    reference: str = ""
    amount: Decimal | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CloseCase:
    """Close an issued or decided case; a legal-aid case taken on closes with its outcome."""

    actor: Actor
    today: date
    case_id: str
    closed_on: date
    outcome: LegalAidOutcome | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class OrganiseExportGroup:
    """A township organises a labour-export group to a destination, linked to the outstation branch there."""

    actor: Actor
    today: date
    group_id: str
    township_id: str
    destination: str
    branch_id: str
    worker_ids: tuple[str, ...]
    organised_on: date
    departs_on: date


WorkerCommand = RegisterWorker | WithdrawConsent
CaseCommand = RequestService | ReferCase | IssueDocument | DecideCase | CloseCase
