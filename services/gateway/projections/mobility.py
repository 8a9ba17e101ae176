"""Standing, mobility and transfer read models: member rows kept current, transfers in progress."""

from __future__ import annotations

from typing import Any

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op, update
from services.membership.contract.events.members import (
    MemberDied,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
)
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    InflowRegistered,
    MemberReturned,
)
from services.membership.contract.events.transfers import (
    ReceiptReturned,
    TransferCancelled,
    TransferExpired,
    TransferLetterIssued,
    TransferLetterReissued,
    TransferReceived,
    TransferRequested,
)

DDL = """
ALTER TABLE {schema}.members_view ADD COLUMN IF NOT EXISTS certificate jsonb;
ALTER TABLE {schema}.members_view ADD COLUMN IF NOT EXISTS host_org_id text;
CREATE TABLE IF NOT EXISTS {schema}.transfers_view (
    transfer_id text PRIMARY KEY,
    member_id text NOT NULL,
    from_org_id text NOT NULL,
    to_org_id text NOT NULL,
    to_external jsonb,
    state text NOT NULL,
    requested_on date NOT NULL,
    letter_number text,
    channel text,
    issued_on date,
    valid_until date,
    dues_paid_up_to text,
    received_on date,
    receipt_returned_on date,
    closed_on date,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS transfers_view_state ON {schema}.transfers_view (state, valid_until);
"""


def _member(q: str, member_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "members_view", "member_id", member_id, pos, **columns)


def _transfer(q: str, transfer_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "transfers_view", "transfer_id", transfer_id, pos, **columns)


def _json(value: Any) -> str | None:
    return None if value is None else encode(value).decode()


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case MembershipSuspended():
            return [_member(q, event.member_id, pos, status="suspended")]
        case MembershipRestored():
            return [_member(q, event.member_id, pos, status=event.status.value)]
        case MembershipRemoved():
            return [_member(q, event.member_id, pos, status="removed")]
        case MemberDied():
            return [_member(q, event.member_id, pos, status="deceased")]
        case InflowRegistered():
            return [(
                f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, dues_category,"
                " contact, host_org_id, position) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9)",
                (event.member_id, event.name, event.national_id, event.home_org.org_id, event.status.value,
                 event.dues_category.value, _json(event.contact), event.host_org_id, pos),
            )]
        case CertificateIssued():
            return [_member(q, event.member_id, pos, certificate=_json(event))]
        case CertificateInspected():
            return [_member(q, event.member_id, pos, certificate=None)]
        case MemberReturned():
            return [_member(q, event.member_id, pos, away=False)]
        case TransferRequested():
            return [(
                f"INSERT INTO {q}.transfers_view (transfer_id, member_id, from_org_id, to_org_id, to_external, state,"
                " requested_on, position) VALUES ($1,$2,$3,$4,$5::jsonb,'requested',$6,$7)",
                (event.transfer_id, event.member_id, event.from_org_id, event.to_org_id, _json(event.to_external),
                 event.requested_on, pos),
            )]
        case TransferLetterIssued():
            return [_transfer(q, event.transfer_id, pos, state="letter_issued", letter_number=event.letter_number,
                              channel=event.channel.value, issued_on=event.issued_on, valid_until=event.valid_until,
                              dues_paid_up_to=event.dues_paid_up_to)]
        case TransferLetterReissued():
            return [_transfer(q, event.transfer_id, pos, state="letter_issued", letter_number=event.letter_number,
                              channel=event.channel.value, issued_on=event.issued_on, valid_until=event.valid_until,
                              dues_paid_up_to=event.dues_paid_up_to)]
        case TransferReceived():
            return [
                _transfer(q, event.transfer_id, pos, state="received", received_on=event.received_on),
                _member(q, event.member_id, pos, formal_org_id=event.to_org_id),
            ]
        case ReceiptReturned():
            return [_transfer(q, event.transfer_id, pos, state="completed", receipt_returned_on=event.returned_on,
                              closed_on=event.returned_on)]
        case TransferExpired():
            return [_transfer(q, event.transfer_id, pos, state="expired", closed_on=event.expired_on)]
        case TransferCancelled():
            return [_transfer(q, event.transfer_id, pos, state="cancelled", closed_on=event.cancelled_on)]
        case _:
            return []
