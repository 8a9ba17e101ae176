"""Checks the gateway makes before it forwards a command, on facts only its read models hold.

A service never reads another service's store, so a rule across two services' records — a cadre (secondment)
is the person of a member record (membership) — is checked here, in the read models the gateway builds from
both services' events, and the owning service then decides the rest on its own stream. A read model trails
the events by moments: a record created a moment ago may not be found yet (the answer says to retry); and two
concurrent commands can both pass a read-model check, which the owning service's own rule then bounds (one
link per cadre). Each check raises a problem (4xx problem+json) to refuse; it returns to let the command go on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import Request

from services.gateway.readmodels import members
from services.gateway.seconded_seats import seconded_seats
from services.membership.contract.commands.branches import ElectCommittee
from services.pure.errors import Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.secondment.contract.commands import LinkMember

#: ``check(request, actor, path parameters, validated body)``; raises a Problem to refuse the command.
GatewayCheck = Callable[[Request, Actor, Mapping[str, str], Any], Awaitable[None]]

#: Member statuses a cadre's record may be linked to: a member of the Party now (a suspension may be lifted).
LINKABLE_STATUSES = ("probationary", "full", "suspended")


async def member_link(request: Request, actor: Actor, params: Mapping[str, str], body: Any) -> None:
    """A cadre is linked only to a member record that exists, is a member's now and is no other cadre's."""
    pool: asyncpg.Pool = request.app.state.read_pool
    # The service checks the sending unit's scope too; checked first here so that a token of another township
    # learns nothing of member records from the answers below.
    cadre = await pool.fetchrow("SELECT township_id, unit_id FROM cadres_view WHERE cadre_id = $1",
                                params["cadre_id"])
    if cadre is not None and actor.role is Role.TOWNSHIP_COMMITTEE and actor.org_id not in (
            cadre["township_id"], cadre["unit_id"]):
        raise Forbidden(f"the sending unit {actor.org_id} cannot link a cadre of {cadre['unit_id']} in "
                        f"{cadre['township_id']}")
    member_id = str(body.member_id).strip()
    row = await members.member(pool, member_id)
    if row is None:
        raise NotFound(f"no member {member_id} in the members read model; check the id (if the member was "
                       "registered a moment ago, read GET /v1/members/{id}?min_position=… first, then retry)")
    if row["status"] not in LINKABLE_STATUSES:
        raise StateConflict(f"member {member_id} is {row['status']}: a cadre is linked only to the record of a "
                            f"current member ({', '.join(LINKABLE_STATUSES)})")
    other = await pool.fetchval("SELECT cadre_id FROM cadres_view WHERE member_id = $1 AND cadre_id <> $2",
                                member_id, params["cadre_id"])
    if other is not None:
        raise StateConflict(f"member {member_id} is already linked to cadre {other}: one person, one cadre record")


#: The commands the gateway checks before forwarding, by command type (bound by reference, not by name).
CHECKS: Mapping[type, GatewayCheck] = {LinkMember: member_link, ElectCommittee: seconded_seats}
