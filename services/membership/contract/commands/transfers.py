"""Commands on transfers of organisational relationship (组织关系转接, B3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.membership.contract.events.transfers import ExternalOrganisation, TransferChannel
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RequestTransfer:
    """Ask to transfer a member's organisational relationship: to an organisation here, or one outside the county."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("requested_on",)
    member_id: str
    transfer_id: str
    #: The receiving organisation inside the system; or leave it empty and give ``to_external``.
    to_org_id: str | None = None
    to_external: ExternalOrganisation | None = None
    reason: str
    #: The day the request was made (default: today). A request made on paper months ago is entered with
    #: its own day, so its letter's validity is counted from the real issue and tested.
    requested_on: date | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveTransferOut:
    """The sending committee approves the transfer out and issues the introduction letter."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("issued_on",)
    member_id: str
    transfer_id: str
    letter_number: str
    channel: TransferChannel
    issued_on: date
    #: The last month of dues paid, "YYYY-MM".
    dues_paid_up_to: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiveTransfer:
    """The receiving organisation receives the member with the letter: it becomes their formal organisation."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("received_on",)
    member_id: str
    transfer_id: str
    letter_number: str
    received_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnReceipt:
    """The final receiving committee sends the receipt (回执) back to the sending organisation."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("returned_on",)
    member_id: str
    transfer_id: str
    returned_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReissueLetter:
    """Re-issue a lost letter: a new number and a new validity; the old letter becomes void."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("issued_on",)
    member_id: str
    transfer_id: str
    letter_number: str
    issued_on: date
    dues_paid_up_to: str
    reason: str
    #: Defaults to the channel of the lost letter.
    channel: TransferChannel | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExpireLetter:
    """Mark a letter expired once its validity has passed (run by the deadline engine)."""

    actor: Actor
    today: date
    member_id: str
    transfer_id: str
    letter_number: str


@dataclass(frozen=True, kw_only=True)
class CancelTransfer:
    """Withdraw a transfer not yet received; an issued letter becomes void."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("cancelled_on",)
    member_id: str
    transfer_id: str
    cancelled_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None
