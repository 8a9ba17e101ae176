"""Transfers read model (``transfers_view``): one row per transfer of organisational relationship and
its state — requested, letter_issued (reissued letters too), received, completed, expired or cancelled."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op, update
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

#: The states in which the sending organisation is still responsible for the member.
IN_PROGRESS = ("requested", "letter_issued")


def _transfer(q: str, transfer_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "transfers_view", "transfer_id", transfer_id, pos, **columns)


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (
    TransferRequested, TransferReceived, ReceiptReturned, TransferExpired, TransferCancelled,
    TransferLetterIssued, TransferLetterReissued,
)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case TransferRequested():
            return [(
                f"INSERT INTO {q}.transfers_view (transfer_id, member_id, from_org_id, to_org_id, to_external, state,"
                " requested_on, position) VALUES ($1,$2,$3,$4,$5::jsonb,'requested',$6,$7)",
                (event.transfer_id, event.member_id, event.from_org_id, event.to_org_id,
                 None if event.to_external is None else encode(event.to_external).decode(), event.requested_on, pos),
            )]
        case TransferLetterIssued() | TransferLetterReissued():
            # A reissued letter replaces the first: its number, channel and validity are the ones that count.
            return [_transfer(q, event.transfer_id, pos, state="letter_issued", letter_number=event.letter_number,
                              channel=event.channel.value, issued_on=event.issued_on, valid_until=event.valid_until,
                              dues_paid_up_to=event.dues_paid_up_to)]
        case TransferReceived():
            return [_transfer(q, event.transfer_id, pos, state="received", received_on=event.received_on)]
        case ReceiptReturned():
            return [_transfer(q, event.transfer_id, pos, state="completed", receipt_returned_on=event.returned_on,
                              closed_on=event.returned_on)]
        case TransferExpired():
            return [_transfer(q, event.transfer_id, pos, state="expired", closed_on=event.expired_on)]
        case TransferCancelled():
            return [_transfer(q, event.transfer_id, pos, state="cancelled", closed_on=event.cancelled_on)]
        case _:
            return []


async def transfers(pool: asyncpg.Pool, *, after: str | None, org_ids: list[str] | None, states: list[str] | None,
                    overdue_on: date | None, limit: int) -> list[asyncpg.Record]:
    """Transfers from or to one of ``org_ids`` (None: any) in one of ``states``; with ``overdue_on``, only
    letters issued and not received after their last valid day. Ordered by id after the cursor, ``limit``
    rows at most."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM transfers_view WHERE ($1::text IS NULL OR transfer_id > $1)"
        " AND ($2::text[] IS NULL OR from_org_id = ANY($2) OR to_org_id = ANY($2))"
        " AND ($3::text[] IS NULL OR state = ANY($3))"
        " AND ($4::date IS NULL OR (state = 'letter_issued' AND valid_until < $4)) ORDER BY transfer_id LIMIT $5",
        after, org_ids, states, overdue_on, limit,
    )
    return rows
