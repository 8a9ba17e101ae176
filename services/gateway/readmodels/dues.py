"""Dues read model: each member's months (``dues_months_view``: the assessed amount, how it was computed,
and what was paid), the payments themselves (``dues_payments_view``) and what each paid for each month, on its
day (``dues_allocations_view``: the ledger by effective day counts only the payments made by then), and who keeps
each account (``dues_accounts_view``: since when, after which transfers, and whether it closed when the membership
ended — the month it closed in and why — and, for a member who came back to the county, each gap between a closing
and the reopening: ``gaps``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op
from services.membership.contract.events.dues import (
    DuesAccountClosed,
    DuesAccountOpened,
    DuesAccountReopened,
    DuesContinuedAfterTransfer,
    DuesPaid,
    MonthAssessed,
)

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.dues_months_view (
    member_id text NOT NULL,
    month text NOT NULL,
    org_id text NOT NULL,
    category text,
    base numeric,
    bracket int,
    bracket_up_to numeric,
    rate numeric,
    standard_amount numeric,
    amount numeric,
    adjustment text,
    policy_version text,
    paid numeric NOT NULL DEFAULT 0,
    last_paid_on date,
    position bigint NOT NULL,
    PRIMARY KEY (member_id, month)
);
CREATE INDEX IF NOT EXISTS dues_months_view_org ON {schema}.dues_months_view (org_id, month);
CREATE TABLE IF NOT EXISTS {schema}.dues_payments_view (
    payment_id text PRIMARY KEY,
    member_id text NOT NULL,
    org_id text NOT NULL,
    receiving_org_id text NOT NULL,
    paid_on date NOT NULL,
    amount numeric NOT NULL,
    extra numeric NOT NULL,
    to_central_committee boolean NOT NULL,
    payer_kind text NOT NULL,
    months text[] NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS dues_payments_view_org ON {schema}.dues_payments_view (org_id, paid_on);
CREATE TABLE IF NOT EXISTS {schema}.dues_allocations_view (
    payment_id text NOT NULL,
    month text NOT NULL,
    member_id text NOT NULL,
    paid_on date NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (payment_id, month)
);
CREATE INDEX IF NOT EXISTS dues_allocations_view_member ON {schema}.dues_allocations_view (member_id, month);
CREATE TABLE IF NOT EXISTS {schema}.dues_accounts_view (
    member_id text PRIMARY KEY,
    org_id text NOT NULL,
    owed_from text NOT NULL,
    previous_org_ids text[] NOT NULL DEFAULT '{{}}',
    continued_from text,
    letter_number text,
    closed_in text,
    closed_reason text,
    closed_on date,
    gaps jsonb NOT NULL DEFAULT '[]',
    position bigint NOT NULL
);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (MonthAssessed, DuesPaid, DuesAccountOpened, DuesContinuedAfterTransfer, DuesAccountClosed,
                            DuesAccountReopened)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case MonthAssessed():
            # A reassessment replaces the month's figures; what was paid stays.
            return [(
                f"INSERT INTO {q}.dues_months_view (member_id, month, org_id, category, base, bracket, bracket_up_to,"
                " rate, standard_amount, amount, adjustment, policy_version, position)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (member_id, month) DO UPDATE SET"
                " org_id = EXCLUDED.org_id, category = EXCLUDED.category, base = EXCLUDED.base,"
                " bracket = EXCLUDED.bracket, bracket_up_to = EXCLUDED.bracket_up_to, rate = EXCLUDED.rate,"
                " standard_amount = EXCLUDED.standard_amount, amount = EXCLUDED.amount,"
                " adjustment = EXCLUDED.adjustment, policy_version = EXCLUDED.policy_version,"
                " position = EXCLUDED.position",
                (event.member_id, event.month, event.org_id, event.category.value, event.base, event.bracket,
                 event.bracket_up_to, event.rate, event.standard_amount, event.amount, event.adjustment.value,
                 event.policy_version, pos),
            )]
        case DuesPaid():
            # A month may be paid before it is assessed (in advance): then its row starts with what was paid
            # and the assessment fills in the rest.
            return [
                (f"INSERT INTO {q}.dues_payments_view (payment_id, member_id, org_id, receiving_org_id, paid_on,"
                 " amount, extra, to_central_committee, payer_kind, months, position)"
                 " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                 (event.payment_id, event.member_id, event.org_id, event.receiving_org_id, event.paid_on, event.amount,
                  event.extra, event.to_central_committee, event.payer_kind.value,
                  [a.month for a in event.allocations], pos)),
                *((f"INSERT INTO {q}.dues_months_view (member_id, month, org_id, paid, last_paid_on, position)"
                   " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (member_id, month) DO UPDATE SET"
                   f" paid = {q}.dues_months_view.paid + EXCLUDED.paid, last_paid_on = EXCLUDED.last_paid_on,"
                   " position = EXCLUDED.position",
                   (event.member_id, a.month, event.org_id, a.amount, event.paid_on, pos))
                  for a in event.allocations),
                *((f"INSERT INTO {q}.dues_allocations_view (payment_id, month, member_id, paid_on, amount)"
                   " VALUES ($1,$2,$3,$4,$5)", (event.payment_id, a.month, event.member_id, event.paid_on, a.amount))
                  for a in event.allocations),
            ]
        case DuesAccountOpened():
            return [(f"INSERT INTO {q}.dues_accounts_view (member_id, org_id, owed_from, position)"
                     " VALUES ($1,$2,$3,$4) ON CONFLICT (member_id) DO NOTHING",
                     (event.member_id, event.org_id, event.owed_from, pos))]
        case DuesContinuedAfterTransfer():
            # The account is kept by the receiving organisation from now on; the months paid before stay where
            # they were paid, and assessed months it takes over (still unpaid) are owed to it.
            return [
                (f"INSERT INTO {q}.dues_accounts_view (member_id, org_id, owed_from, previous_org_ids,"
                 " continued_from, letter_number, position) VALUES ($1,$2,$3,$4,$3,$5,$6)"
                 " ON CONFLICT (member_id) DO UPDATE SET org_id = EXCLUDED.org_id,"
                 f" previous_org_ids = {q}.dues_accounts_view.previous_org_ids || EXCLUDED.previous_org_ids,"
                 " continued_from = EXCLUDED.continued_from, letter_number = EXCLUDED.letter_number,"
                 " position = EXCLUDED.position",
                 (event.member_id, event.to_org_id, event.continues_from,
                  [event.from_org_id] if event.from_org_id else [], event.letter_number, pos)),
                *((f"UPDATE {q}.dues_months_view SET org_id = $3, position = $4 WHERE member_id = $1 AND month = $2",
                   (event.member_id, m, event.to_org_id, pos)) for m in event.moved_months),
            ]
        case DuesAccountClosed():
            # The membership ended: the account shows the month it closed in and why. Months after it that had been
            # assessed are owed by nobody: unpaid ones go, paid ones stay as paid (ahead), with no amount owed.
            return [
                (f"UPDATE {q}.dues_accounts_view SET closed_in = $2, closed_reason = $3, closed_on = $4,"
                 " position = $5 WHERE member_id = $1",
                 (event.member_id, event.last_month, event.reason.value, event.closed_on, pos)),
                (f"DELETE FROM {q}.dues_months_view WHERE member_id = $1 AND month = ANY($2::text[]) AND paid = 0",
                 (event.member_id, list(event.cancelled_months))),
                (f"UPDATE {q}.dues_months_view SET category = NULL, base = NULL, bracket = NULL, bracket_up_to = NULL,"
                 " rate = NULL, standard_amount = NULL, amount = NULL, adjustment = NULL, policy_version = NULL,"
                 " position = $3 WHERE member_id = $1 AND month = ANY($2::text[])",
                 (event.member_id, list(event.cancelled_months), pos)),
            ]
        case DuesAccountReopened():
            # The member came back: the account is open again, kept by the receiving organisation, and the closing
            # it ends becomes a gap in its history (the months after ``closed_in`` and before ``reopened_from`` are
            # owed by nobody here).
            gap = {"closed_in": event.closed_in, "closed_reason": event.closed_reason.value,
                   "reopened_from": event.reopened_from, "reopened_on": event.received_on.isoformat(),
                   "letter_number": event.letter_number}
            previous = [event.from_org_id] if event.from_org_id != event.org_id else []
            return [(
                f"UPDATE {q}.dues_accounts_view SET org_id = $2, previous_org_ids = previous_org_ids || $3::text[],"
                " continued_from = $4, letter_number = $5, closed_in = NULL, closed_reason = NULL, closed_on = NULL,"
                " gaps = gaps || $6::jsonb, position = $7 WHERE member_id = $1",
                (event.member_id, event.org_id, previous, event.reopened_from, event.letter_number,
                 encode([gap]).decode(), pos),
            )]
        case _:
            return []


async def account_of(pool: asyncpg.Pool, member_id: str) -> asyncpg.Record | None:
    """Who keeps a member's dues account now, since which month, who kept it before, and whether it is closed
    (``state``: open or closed; ``closed_in``: the last month owed; ``closed_reason``: died, removed or
    transferred_out; ``closed_on``: the day the membership ended); ``gaps``: each closing a return to the county
    reopened, oldest first (``closed_in``, ``closed_reason``, ``reopened_from``, ``reopened_on``, ``letter_number``:
    the months after ``closed_in`` and before ``reopened_from`` are owed by nobody here)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT org_id, owed_from, previous_org_ids, continued_from, letter_number,"
        " CASE WHEN closed_in IS NULL THEN 'open' ELSE 'closed' END AS state, closed_in, closed_reason, closed_on,"
        " gaps FROM dues_accounts_view WHERE member_id = $1", member_id)
    return row


async def payments_of(pool: asyncpg.Pool, member_id: str, year: int | None) -> list[asyncpg.Record]:
    """A member's payments in order: what each paid, its voluntary extra, and whether that went to the Centre."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT payment_id, paid_on, amount, extra, to_central_committee, receiving_org_id, months"
        " FROM dues_payments_view WHERE member_id = $1 AND ($2::int IS NULL OR extract(year FROM paid_on) = $2)"
        " ORDER BY paid_on, position", member_id, year,
    )
    return rows


async def statement(pool: asyncpg.Pool, member_id: str, year: int | None) -> list[asyncpg.Record]:
    """A member's months in order, of one year or all."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM dues_months_view WHERE member_id = $1 AND ($2::int IS NULL OR month LIKE $2::text || '-%')"
        " ORDER BY month", member_id, year,
    )
    return rows


async def ledger_months(pool: asyncpg.Pool, org_id: str, year: int, on: date | None = None) -> list[asyncpg.Record]:
    """Per month of ``year``: expected (assessed) and paid across one organisation's members; with ``on``,
    paid counts only the payments made on or before that day."""
    if on is not None:
        dated: list[asyncpg.Record] = await pool.fetch(
            "SELECT m.month, sum(coalesce(m.amount, 0)) AS expected, sum(coalesce(a.paid, 0)) AS paid,"
            " count(*) AS members FROM dues_months_view m LEFT JOIN ("
            "  SELECT member_id, month, sum(amount) AS paid FROM dues_allocations_view WHERE paid_on <= $3"
            "  GROUP BY member_id, month) a USING (member_id, month)"
            " WHERE m.org_id = $1 AND m.month LIKE $2 || '-%' GROUP BY m.month ORDER BY m.month",
            org_id, str(year), on,
        )
        return dated
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT month, sum(coalesce(amount, 0)) AS expected, sum(paid) AS paid, count(*) AS members"
        " FROM dues_months_view WHERE org_id = $1 AND month LIKE $2 || '-%' GROUP BY month ORDER BY month",
        org_id, str(year),
    )
    return rows


async def received(pool: asyncpg.Pool, org_id: str, year: int, on: date | None = None) -> asyncpg.Record:
    """What one organisation received in ``year`` (with ``on``: by that day): in total, as extras, and for other
    organisations."""
    row: asyncpg.Record = await pool.fetchrow(
        "SELECT coalesce(sum(amount), 0) AS received, coalesce(sum(extra), 0) AS extras,"
        " coalesce(sum(amount) FILTER (WHERE org_id <> $1), 0) AS for_other_organisations,"
        " coalesce(sum(extra) FILTER (WHERE to_central_committee), 0) AS to_central_committee"
        " FROM dues_payments_view WHERE receiving_org_id = $1 AND extract(year FROM paid_on) = $2"
        " AND ($3::date IS NULL OR paid_on <= $3)",
        org_id, year, on,
    )
    return row
