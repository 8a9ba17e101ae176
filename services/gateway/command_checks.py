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

from services.gateway.readmodels import cadres, members, organisations
from services.gateway.seconded_seats import seconded_seats
from services.investment.contract.commands import RegisterLead
from services.investment.contract.events import RegistrantKind
from services.membership.contract.commands.branches import ElectCommittee
from services.pure.errors import DomainError, Forbidden, NotFound, StateConflict
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


#: Whether the branch or the township a lead names is an organisation on record, or the township is the home of one.
_A_RECORDED_PLACE = ("SELECT EXISTS (SELECT 1 FROM organisations_view WHERE org_id = ANY($1::text[])"
                     " OR coalesce(home_org_id, parent_id) = $2)")


async def lead_placement(request: Request, actor: Actor, params: Mapping[str, str], body: Any) -> None:
    """A lead is placed where the records put it: its branch is an organisation of its township (that township's
    pipeline and reports count it), a member's own lead at their own branch, a cadre's in their own township.

    The investment service checks the caller against the body (a committee names its township, a secretary its
    branch, a member or cadre their own id) but cannot see the Party tree nor anyone's record, so without this a
    body naming another township or its branch put the lead in that township's pipeline and reports.
    Exceptions, as the records are used: a cadre's lead may name a branch not on record (a placement with no
    outstation branch), and so may the county, which acts in every township; a branch on record is always
    checked. A member token with no member or cadre record behind it places nothing in an organisation on
    record. The values are checked as sent: the lead keeps them as sent."""
    pool: asyncpg.Pool = request.app.state.read_pool
    branch_id, township_id, kind = body.branch_id, body.township_id, body.registrant_kind
    # The service's own scope rule (services/investment/domain/lead_state.py), asked first here so that a caller
    # of another scope learns nothing of the tree or of anyone's record from the answers below.
    if (actor.role is Role.TOWNSHIP_COMMITTEE and actor.org_id != township_id) or (
            actor.role is Role.BRANCH_SECRETARY and actor.org_id != branch_id) or (
            actor.role is Role.MEMBER and actor.subject != body.registrant_id):
        raise Forbidden(f"{actor.label} cannot register a lead for this registrant: only the county, the township "
                        f"committee of {township_id}, the secretary of branch {branch_id} or the registrant "
                        f"{body.registrant_id} may")
    if actor.role is not Role.MEMBER and kind is not RegistrantKind.BRANCH:
        await _named_registrant_in_place(pool, body.registrant_id, kind, branch_id, township_id)
    if actor.role is Role.MEMBER:
        if kind is RegistrantKind.BRANCH:
            raise Forbidden("a member registers leads under their own name; the branch secretary registers the "
                            "branch's")
        if not await _registrant_on_record(pool, actor.subject, kind, branch_id, township_id):
            return
    township = await organisations.township_of(pool, branch_id)
    if township == township_id:
        return
    if township is None and await organisations.organisation(pool, branch_id) is None:
        if actor.role is Role.COUNTY_ADMIN or kind is RegistrantKind.CADRE:
            return
        raise DomainError(f"branch {branch_id} is not an organisation on record: name the branch the lead is "
                          "credited to by its id (GET /v1/branches lists them); if it was established a moment "
                          "ago, retry")
    # A committee's township and a cadre's are theirs to keep: the branch is what to change; otherwise the township.
    fix = f"name a branch of {township_id}" if not township or actor.role is Role.TOWNSHIP_COMMITTEE or (
        kind is RegistrantKind.CADRE and actor.role is Role.MEMBER) else f"send township_id {township}"
    where = f"in township {township}" if township else "in no township"
    raise DomainError(f"branch {branch_id} is {where}, not {township_id}: a lead is placed in the township of its "
                      f"branch; {fix}")


async def _registrant_on_record(pool: asyncpg.Pool, subject: str, kind: RegistrantKind, branch_id: str,
                               township_id: str) -> bool:
    """A member's or cadre's own lead is placed where their record is (403 otherwise); False when the caller has
    no record and the lead names no organisation on record — nothing of any township's to protect."""
    member = await members.member(pool, subject)
    cadre = await cadres.cadre(pool, subject)
    if kind is RegistrantKind.MEMBER and member is not None:
        if branch_id != member["formal_org_id"]:
            raise Forbidden(f"member {subject} is of branch {member['formal_org_id']}: a member's lead is credited "
                            f"to their own branch, not {branch_id}; send branch_id {member['formal_org_id']}")
        return True
    if kind is RegistrantKind.CADRE and cadre is not None:
        if township_id != cadre["township_id"]:
            raise Forbidden(f"cadre {subject} is of township {cadre['township_id']}: a cadre's lead is placed in "
                            f"their own township, not {township_id}; send township_id {cadre['township_id']}")
        return True
    if member is not None or cadre is not None:
        who = "member" if member is not None else "cadre"
        raise Forbidden(f"{subject} is a {who}: register the lead as registrant_kind {who}")
    if await pool.fetchval(_A_RECORDED_PLACE, [branch_id, township_id], township_id):
        raise NotFound(f"no member or cadre {subject} in the read models: a lead is placed at its registrant's "
                       "own branch or township, so their record is needed (if it was registered a moment ago, "
                       "retry)")
    return False


async def _named_registrant_in_place(pool: asyncpg.Pool, registrant_id: str, kind: RegistrantKind, branch_id: str,
                                    township_id: str) -> None:
    """A lead someone else registers for a member or cadre on record is placed where that person's record is, as
    their own would be: otherwise a committee naming another township's seconded cadre put that cadre's credit —
    funds arrived, a reward — in its own pipeline (hostile review 2026-12-02). The refusal does not say where the
    person is: a caller of another township learns nothing of them. A registrant not on record places nothing of
    anyone's."""
    if kind is RegistrantKind.MEMBER:
        member = await members.member(pool, registrant_id)
        if member is not None and member["formal_org_id"] != branch_id:
            raise DomainError(f"member {registrant_id} is not of branch {branch_id}: a member's lead is credited to "
                              "the member's own branch; name it, or register the lead under the branch")
    elif kind is RegistrantKind.CADRE:
        cadre = await cadres.cadre(pool, registrant_id)
        if cadre is not None and cadre["township_id"] != township_id:
            raise DomainError(f"cadre {registrant_id} is not a cadre of township {township_id}: a cadre's lead is "
                              "placed in the cadre's own township")


#: The commands the gateway checks before forwarding, by command type (bound by reference, not by name).
CHECKS: Mapping[type, GatewayCheck] = {LinkMember: member_link, ElectCommittee: seconded_seats,
                                       RegisterLead: lead_placement}
