"""Organisations read model (``organisations_view``): the Party tree as far as access goes — each
organisation's kind, parent and (outstation branches) home organisation — and the township queries the
API scopes every read with (services/gateway/api/access.py).

A row is written by its own organisation's event only (``OrganisationEstablished`` or
``BranchEstablished``): the projector applies partitions concurrently, so a row may not depend on its
parent's row having been applied first. The township of an organisation is therefore resolved when read,
with a recursive query up (``township_of``) or down (``township_orgs``) the tree, by the same rule as
membership's write side (services/membership/access.py ``township_of``): the first township committee up
the home organisation (an outstation branch) or parent chain; the home organisation of an outstation
branch is its township even when that committee is not recorded as an organisation; an organisation that
is not recorded has no township (only the county, or the committee that *is* it, reaches it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op
from services.membership.contract.events import BranchEstablished
from services.membership.contract.events.branches import (
    CommitteeDuty,
    CommitteeElected,
    CommitteeSeat,
    HostOrganisationRegistered,
    OrganisationEstablished,
    OrgKind,
    SecretaryApproved,
    SecretaryElected,
)

#: How far up or down the tree a township is looked for (the same bound as membership's).
MAX_DEPTH = 8
TOWNSHIP = OrgKind.TOWNSHIP_COMMITTEE.value

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.organisations_view (
    org_id text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    parent_id text,
    home_org_id text,
    outstation boolean NOT NULL,
    established_on date NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS organisations_view_up ON {schema}.organisations_view ((coalesce(home_org_id, parent_id)));
CREATE TABLE IF NOT EXISTS {schema}.committees_view (
    org_id text PRIMARY KEY,
    elected_on date NOT NULL,
    secretary_id text NOT NULL,
    deputy_secretary_id text,
    secretary_approved boolean NOT NULL,
    term_due_on date NOT NULL,
    seats jsonb NOT NULL,
    position bigint NOT NULL
);
"""

#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (OrganisationEstablished, BranchEstablished, CommitteeElected, SecretaryElected,
                            SecretaryApproved, HostOrganisationRegistered)

_INSERT = (" (org_id, name, kind, parent_id, home_org_id, outstation, established_on, position)"
           " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (org_id) DO NOTHING")


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case OrganisationEstablished():
            return [(f"INSERT INTO {q}.organisations_view" + _INSERT,
                     (event.org_id, event.name, event.kind.value, event.parent_id, None, False, event.established_on,
                      pos))]
        case BranchEstablished():
            return [(f"INSERT INTO {q}.organisations_view" + _INSERT,
                     (event.branch_id, event.name, event.kind.value, event.parent_id, event.home_org_id, True,
                      event.established_on, pos))]
        case HostOrganisationRegistered():
            # Outside the tree: no parent, no township; only the county and the host itself reach its records.
            return [(f"INSERT INTO {q}.organisations_view" + _INSERT,
                     (event.org_id, event.name, OrgKind.HOST_ORGANISATION.value, None, None, False,
                      event.registered_on, pos))]
        case CommitteeElected() | SecretaryElected():
            # A new election replaces the leadership; the secretary awaits the higher organisation's approval.
            return [(f"INSERT INTO {q}.committees_view (org_id, elected_on, secretary_id, deputy_secretary_id,"
                     " secretary_approved, term_due_on, seats, position) VALUES ($1,$2,$3,$4,false,$5,$6::jsonb,$7)"
                     " ON CONFLICT (org_id) DO UPDATE SET elected_on = EXCLUDED.elected_on,"
                     " secretary_id = EXCLUDED.secretary_id, deputy_secretary_id = EXCLUDED.deputy_secretary_id,"
                     " secretary_approved = false, term_due_on = EXCLUDED.term_due_on, seats = EXCLUDED.seats,"
                     " position = EXCLUDED.position",
                     (event.org_id, event.elected_on, event.secretary_id, event.deputy_secretary_id,
                      event.term_due_on, encode(_seats(event)).decode(), pos))]
        case SecretaryApproved():
            return [(f"UPDATE {q}.committees_view SET secretary_approved = true, position = $2 WHERE org_id = $1",
                     (event.org_id, pos))]
        case _:
            return []


def _seats(event: CommitteeElected | SecretaryElected) -> list[dict[str, Any]]:
    """Each seat as the committee read shows it: a seconded cadre's names the cadre, the secondment and the
    home organisation their relationship stays with. A secretary elected without a committee (under seven
    full members) is one seat, with their deputy."""
    if isinstance(event, CommitteeElected):
        return [_seat(s) for s in event.seats]
    seats = [CommitteeSeat(member_id=event.secretary_id, duties=(CommitteeDuty.SECRETARY,),
                           entrepreneur=event.secretary_entrepreneur)]
    if event.deputy_secretary_id:
        seats.append(CommitteeSeat(member_id=event.deputy_secretary_id, duties=(CommitteeDuty.DEPUTY_SECRETARY,),
                                   entrepreneur=event.deputy_entrepreneur))
    return [_seat(s) for s in seats]


def _seat(seat: CommitteeSeat) -> dict[str, Any]:
    return {"member_id": seat.member_id, "duties": [d.value for d in seat.duties], "entrepreneur": seat.entrepreneur,
            "seconded_cadre": seat.seconded_cadre, "cadre_id": seat.cadre_id, "secondment_id": seat.secondment_id,
            "home_org_id": seat.home_org_id}


async def committee(pool: asyncpg.Pool, org_id: str) -> asyncpg.Record | None:
    """An organisation's elected leadership: committee seats (or its secretary), term and approval."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT org_id, elected_on, secretary_id, deputy_secretary_id, secretary_approved, term_due_on, seats"
        " FROM committees_view WHERE org_id = $1", org_id)
    return row


# Up the tree from $1: each step is the organisation the current one answers to (home organisation first),
# stopping at a township committee. `via_home` says the step was taken from an outstation branch.
_UP = f"""
WITH RECURSIVE up(org_id, depth, via_home) AS (
    SELECT $1::text, 0, false
    UNION ALL
    SELECT coalesce(o.home_org_id, o.parent_id), up.depth + 1, o.outstation AND o.home_org_id IS NOT NULL
      FROM up JOIN organisations_view o ON o.org_id = up.org_id
     WHERE o.kind <> '{TOWNSHIP}' AND up.depth < {MAX_DEPTH} AND coalesce(o.home_org_id, o.parent_id) IS NOT NULL
)
SELECT up.org_id, up.depth, up.via_home, o.kind FROM up LEFT JOIN organisations_view o USING (org_id)
ORDER BY up.depth
"""

# Down the tree from the township $1: organisations answering to it, not crossing another township. An
# unrecorded township committee has only outstation branches under it (their home is their township).
_DOWN = f"""
WITH RECURSIVE top AS (SELECT kind FROM organisations_view WHERE org_id = $1),
down(org_id, depth) AS (
    SELECT o.org_id, 1 FROM organisations_view o
     WHERE o.kind <> '{TOWNSHIP}' AND coalesce(o.home_org_id, o.parent_id) = $1
       AND (EXISTS (SELECT 1 FROM top WHERE kind = '{TOWNSHIP}')
            OR (NOT EXISTS (SELECT 1 FROM top) AND o.outstation AND o.home_org_id = $1))
    UNION
    SELECT o.org_id, down.depth + 1
      FROM down JOIN organisations_view o ON coalesce(o.home_org_id, o.parent_id) = down.org_id
     WHERE o.kind <> '{TOWNSHIP}' AND down.depth < {MAX_DEPTH}
)
SELECT DISTINCT org_id FROM down
"""


def township_from_chain(chain: Sequence[tuple[str, bool, str | None]]) -> str | None:
    """The township at the top of a walk up the tree: ``chain`` is (org_id, via_home, kind or None if the
    organisation is not recorded), from the organisation itself upwards."""
    if not chain:
        return None
    org_id, via_home, kind = chain[-1]
    if kind == TOWNSHIP:
        return org_id
    if kind is None:
        # Not recorded: the township only if an outstation branch named it as its home organisation.
        return org_id if via_home else None
    return None


async def township_of(pool: asyncpg.Pool, org_id: str | None) -> str | None:
    """The township committee ``org_id`` belongs to (itself, if it is one); None when there is none."""
    if not org_id:
        return None
    rows = await pool.fetch(_UP, org_id)
    return township_from_chain([(r["org_id"], r["via_home"], r["kind"]) for r in rows])


async def township_orgs(pool: asyncpg.Pool, township_id: str) -> set[str]:
    """Every organisation of a township: the committee itself and all that answer to it."""
    return {township_id, *(r["org_id"] for r in await pool.fetch(_DOWN, township_id))}


async def organisation(pool: asyncpg.Pool, org_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM organisations_view WHERE org_id = $1", org_id)
    return row


async def townships(pool: asyncpg.Pool, on: date) -> list[asyncpg.Record]:
    """The register of townships: every township committee recorded and established by ``on``."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT org_id, name, established_on FROM organisations_view WHERE kind = '{TOWNSHIP}'"
        " AND (established_on IS NULL OR established_on <= $1) ORDER BY org_id", on)
    return rows
