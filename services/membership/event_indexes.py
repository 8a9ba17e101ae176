"""Indexes on the membership store's events for the handlers' look-ups by an event's content.

Each look-up below reads the events of one type by a field of their data. Without its index each was a scan of
every event of that type, JSON parsed row by row, on every command that asks — found in the benchmark's commands
load: establishing a branch asked ``named_as_home`` (services/membership/handlers/organisations.py), and its scan
of every branch ever established was most of PostgreSQL's CPU per command (12 of 26 ms across the system, at a few
thousand branches), growing with every branch. Partial indexes: only events of the type are indexed, so every
other append pays nothing. A look-up's statement must repeat its index's expression and type exactly for the
planner to use it (tests/integration/membership/test_event_index_plans.py checks each plan).
"""

from __future__ import annotations

import asyncpg

from services.membership.contract.events import REGISTRY
from services.membership.contract.events.branches import BranchEstablished, HostGuidanceLinked
from services.membership.contract.events.development import ProbationCancelled
from services.membership.contract.events.dues import DuesPaid
from services.membership.contract.events.meetings import MeetingDateCorrected, MeetingRecorded
from services.membership.contract.events.members import MemberDied, MembershipRemoved
from services.membership.contract.events.transfers import TransferReceived

# The wire names as the contract gives them: a statement naming a type by hand would select nothing once renamed.
BRANCH_ESTABLISHED = REGISTRY.name_of(BranchEstablished)
HOST_GUIDANCE_LINKED = REGISTRY.name_of(HostGuidanceLinked)
DUES_PAID = REGISTRY.name_of(DuesPaid)
MEETING_RECORDED = REGISTRY.name_of(MeetingRecorded)
MEETING_DATE_CORRECTED = REGISTRY.name_of(MeetingDateCorrected)
TRANSFER_RECEIVED = REGISTRY.name_of(TransferReceived)
MEMBER_DIED = REGISTRY.name_of(MemberDied)
MEMBERSHIP_REMOVED = REGISTRY.name_of(MembershipRemoved)
PROBATION_CANCELLED = REGISTRY.name_of(ProbationCancelled)
#: The facts of a member's record their dues account follows (services/membership/dues_reactions.py).
DUES_FOLLOWED = (TRANSFER_RECEIVED, MEMBER_DIED, MEMBERSHIP_REMOVED, PROBATION_CANCELLED)

INDEXES = f"""
CREATE INDEX IF NOT EXISTS events_branch_home ON events ((data::jsonb ->> 'home_org_id'))
    WHERE type = '{BRANCH_ESTABLISHED}';
CREATE INDEX IF NOT EXISTS events_branch_parent ON events ((data::jsonb ->> 'parent_id'))
    WHERE type = '{BRANCH_ESTABLISHED}';
CREATE INDEX IF NOT EXISTS events_branch_host ON events ((data::jsonb ->> 'host_org_id'))
    WHERE type IN ('{BRANCH_ESTABLISHED}', '{HOST_GUIDANCE_LINKED}');
CREATE INDEX IF NOT EXISTS events_dues_paid_org ON events ((data::jsonb ->> 'org_id'))
    WHERE type = '{DUES_PAID}';
CREATE INDEX IF NOT EXISTS events_dues_paid_receiving_org ON events ((data::jsonb ->> 'receiving_org_id'))
    WHERE type = '{DUES_PAID}';
CREATE INDEX IF NOT EXISTS events_meeting_present ON events USING gin ((data::jsonb -> 'present_ids'))
    WHERE type = '{MEETING_RECORDED}';
CREATE INDEX IF NOT EXISTS events_meeting_certificate_holders ON events
    USING gin ((data::jsonb -> 'certificate_holders_present')) WHERE type = '{MEETING_RECORDED}';
CREATE INDEX IF NOT EXISTS events_dues_followed ON events (position)
    WHERE type IN ({", ".join(f"'{name}'" for name in DUES_FOLLOWED)});
"""

#: Whether a recorded branch names $1 as its home organisation or parent: two probes (one condition naming both
#: fields would scan).
NAMED_AS_HOME = f"""
SELECT EXISTS (SELECT 1 FROM events WHERE type = '{BRANCH_ESTABLISHED}' AND data::jsonb ->> 'home_org_id' = $1)
    OR EXISTS (SELECT 1 FROM events WHERE type = '{BRANCH_ESTABLISHED}' AND data::jsonb ->> 'parent_id' = $1)
"""
#: The payments collected by, or received at, organisation $1: a probe of each index.
DUES_PAID_AT = f"""
SELECT position FROM events WHERE type = '{DUES_PAID}' AND data::jsonb ->> 'org_id' = $1
 UNION
SELECT position FROM events WHERE type = '{DUES_PAID}' AND data::jsonb ->> 'receiving_org_id' = $1
 ORDER BY position
"""
#: Outstation branches ever linked to host organisation $1 (established with it or linked later).
LINKED_TO_HOST = f"""
SELECT DISTINCT stream_id FROM events WHERE type IN ('{BRANCH_ESTABLISHED}', '{HOST_GUIDANCE_LINKED}')
   AND data::jsonb ->> 'host_org_id' = $1
"""
#: The day of member $1's last attended meeting (a corrected meeting's last correction's day), or else of their
#: first recorded event.
LAST_LIFE = f"""
SELECT coalesce(
    (SELECT max(coalesce(
        (SELECT (c.data::jsonb ->> 'held_on')::date FROM events c
          WHERE c.stream_id = m.stream_id AND c.type = '{MEETING_DATE_CORRECTED}'
          ORDER BY c.version DESC LIMIT 1),
        (m.data::jsonb ->> 'held_on')::date)) FROM events m
      WHERE m.type = '{MEETING_RECORDED}'
        AND (m.data::jsonb -> 'present_ids' ? $1 OR m.data::jsonb -> 'certificate_holders_present' ? $1)),
    (SELECT min(occurred_at)::date FROM events WHERE stream_id = $1))
"""


def facts_after(types: tuple[str, ...]) -> str:
    """The positions of facts of ``types`` (some of ``DUES_FOLLOWED``) after position $1, in order, at most $2.

    The types are written in, not passed: only then can the planner prove the statement reads within
    ``events_dues_followed``. With them as a parameter it walked every event after the mark, and a sweep whose
    reaction has nothing to do keeps its mark where it was, so each sweep (every few seconds) read the whole store."""
    if not types or not set(types) <= set(DUES_FOLLOWED):
        raise ValueError(f"{types} are not all of the indexed facts {DUES_FOLLOWED}")
    listed = ", ".join(f"'{name}'" for name in types)
    return f"SELECT position FROM events WHERE type IN ({listed}) AND position > $1 ORDER BY position LIMIT $2"


async def install(pool: asyncpg.Pool) -> None:
    """Made once (a store recorded before them is indexed at the service's next start, holding appends meanwhile)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_membership_event_indexes'))")
        await conn.execute(INDEXES)
