"""Events of transfers of organisational relationship (组织关系转接, B3): request, letter, receipt, 回执."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.pure.dates import RecordedLate


class TransferChannel(StrEnum):
    """B3: the national system, a provincial platform, or a paper letter (stub + letter + 回执)."""

    NATIONAL_ONLINE = "national_online"
    PROVINCIAL_ONLINE = "provincial_online"
    PAPER = "paper"


@dataclass(frozen=True, kw_only=True)
class ExternalOrganisation:
    """A Party organisation outside the county: first-class, named and addressed, never a free-text note.

    ``org_id`` is the reference this system gives it (an external organisation confirming through the
    API holds a token scoped to it).
    """

    org_id: str
    name: str
    address: str


@dataclass(frozen=True, kw_only=True)
class TransferRequested(RecordedLate):
    member_id: str
    transfer_id: str
    requested_on: date
    from_org_id: str
    to_org_id: str
    #: Set when the receiving organisation is outside the county; ``to_org_id`` is then its reference.
    to_external: ExternalOrganisation | None
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class TransferLetterIssued(RecordedLate):
    """The sending organisation approves the transfer out: the introduction letter (介绍信)."""

    member_id: str
    transfer_id: str
    letter_number: str
    channel: TransferChannel
    issued_on: date
    valid_until: date
    #: The last month of dues paid, "YYYY-MM", as the letter names it (B3).
    dues_paid_up_to: str
    from_org_id: str
    to_org_id: str
    to_external: ExternalOrganisation | None
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class TransferLetterReissued(RecordedLate):
    """A lost letter re-issued by the last handling organisation: new number, new validity; the old is void."""

    member_id: str
    transfer_id: str
    void_letter_number: str
    letter_number: str
    channel: TransferChannel
    issued_on: date
    valid_until: date
    dues_paid_up_to: str
    reason: str
    actor: str
    reissuing_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class TransferReceived(RecordedLate):
    """The receiving organisation receives the member: from now on it is their formal organisation."""

    member_id: str
    transfer_id: str
    letter_number: str
    received_on: date
    from_org_id: str
    to_org_id: str
    to_external: ExternalOrganisation | None
    #: An activity certificate still held is closed by the transfer (the member is no longer mobile).
    certificate_closed: str | None
    actor: str
    receiving_org_id: str


@dataclass(frozen=True, kw_only=True)
class ReceiptReturned(RecordedLate):
    """The 回执: from the final receiving committee back to the sender; only one, no intermediate receipts."""

    member_id: str
    transfer_id: str
    letter_number: str
    returned_on: date
    from_org_id: str
    to_org_id: str
    actor: str
    returning_org_id: str


@dataclass(frozen=True, kw_only=True)
class TransferExpired(RecordedLate):
    """The letter passed ``valid_until`` unreceived; the transfer waits for a re-issue or a cancellation."""

    member_id: str
    transfer_id: str
    letter_number: str
    valid_until: date
    expired_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class TransferCancelled(RecordedLate):
    member_id: str
    transfer_id: str
    cancelled_on: date
    #: The letter made void by the cancellation, if one was issued.
    void_letter_number: str | None
    reason: str
    actor: str
    cancelling_org_id: str


EVENTS: dict[str, type] = {
    "gb.membership.transfer_requested.v1": TransferRequested,
    "gb.membership.transfer_letter_issued.v1": TransferLetterIssued,
    "gb.membership.transfer_letter_reissued.v1": TransferLetterReissued,
    "gb.membership.transfer_received.v1": TransferReceived,
    "gb.membership.receipt_returned.v1": ReceiptReturned,
    "gb.membership.transfer_expired.v1": TransferExpired,
    "gb.membership.transfer_cancelled.v1": TransferCancelled,
}

#: The member stream's transfer events (for the service-wide union).
TransferEvent = (
    TransferRequested | TransferLetterIssued | TransferLetterReissued | TransferReceived | ReceiptReturned
    | TransferExpired | TransferCancelled
)
