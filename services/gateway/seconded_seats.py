"""The gateway's check of a committee election's seconded-cadre seats, on the secondment read models.

A seconded cadre may serve on an outstation branch's committee while their organisational relationship stays
at home (A: 外出锻炼). Membership decides the seat but cannot read the secondment service's store, so the
evidence a seat names — the cadre linked to the member, and that cadre's secondment in progress placed at this
branch on the election day — is checked here, where both services' events meet, before the election is
forwarded (services/gateway/command_checks.py lists it). Membership then refuses a seat asked for as a
seconded cadre's without that evidence, so nothing is taken on a client's word alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from fastapi import Request

from services.gateway.readmodels.cadres import seconded_to_branch
from services.pure.errors import StateConflict
from services.pure.identity import Actor


async def seconded_seats(request: Request, actor: Actor, params: Mapping[str, str], body: Any) -> None:
    """Each seat marked ``seconded_cadre`` names the cadre and the secondment the records show for its member
    at this branch on the election day; 409 saying what is missing or which ones the records show otherwise."""
    if body is None:
        return
    pool: asyncpg.Pool = request.app.state.read_pool
    branch_id = params["org_id"]
    for seat in body.seats:
        if not seat.seconded_cadre:
            continue
        member_id = seat.member_id.strip()
        found = await seconded_to_branch(pool, member_id, branch_id, body.elected_on)
        if found is None:
            raise StateConflict(
                f"member {member_id} is not a seconded cadre at {branch_id} on {body.elected_on}: link the cadre "
                "to the member (POST /v1/cadres/{cadre_id}/member-link) and start a secondment placed at this "
                "branch; if you just did, retry in a moment")
        cadre_id, secondment_id = found
        if (seat.cadre_id, seat.secondment_id) != (cadre_id, secondment_id):
            raise StateConflict(
                f"the records show member {member_id} as cadre {cadre_id} on secondment {secondment_id} at "
                f"{branch_id} on {body.elected_on}, not cadre {seat.cadre_id} on secondment {seat.secondment_id}: "
                "name those in the seat")
