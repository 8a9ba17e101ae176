"""Members: register, register an outflow, read one, list them (ID numbers masked by role)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor, require
from services.gateway.commands import command_route, route_table
from services.gateway.readmodels import page, wait_for_position
from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import Actor, Role
from services.membership.commands import members as standing
from services.membership.commands import mobility, transfers
from services.membership.domain.rules import mask_national_id
from services.membership.events import REGISTRY
from services.membership.routes import MEMBER_STEPS
from services.membership.schemas import RegisterMemberBody, RegisterOutflowBody

router = APIRouter(prefix="/v1/members", tags=["members"])
member_commands = APIRouter(prefix="/v1", tags=["members"])
SOURCE = REGISTRY.source
_WRITERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY)


def _shown(row: Any, actor: Actor) -> dict[str, Any]:
    item = dict(row)
    for key in ("contact", "outflow"):
        if isinstance(item.get(key), str):
            item[key] = orjson.loads(item[key])
    if not actor.may_see_national_id():
        item["national_id"] = mask_national_id(item["national_id"])
    return item


command_route(
    router, "", RegisterMemberBody, roles=_WRITERS, action="register members",
    location=lambda created, _: f"/v1/members/{created['id']}",
    doc="""Register a member with their one formal organisation and dues category.

    A branch secretary registers members only into their own branch.
    """,
)
command_route(
    router, "/{member_id}/outflows", RegisterOutflowBody, roles=_WRITERS, action="register outflows",
    location=lambda _, p: f"/v1/members/{p['member_id']}",
    doc="""Register that a member has gone out to work: destination, employer, contact, expected stay.

    The event records whether the stay calls for a transfer of the organisational relationship
    (six months or more at a fixed place) or an activity certificate.
    """,
)


@router.get("/{member_id}")
async def get_member(member_id: str, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One member. The national ID number is masked except for county and township staff."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await pool.fetchrow("SELECT * FROM members_view WHERE member_id = $1", member_id)
    if row is None:
        raise NotFound(f"no member {member_id}; if you just registered them, pass min_position")
    if actor.role is Role.BRANCH_SECRETARY and row["formal_org_id"] != actor.org_id:
        raise Forbidden("a branch secretary sees only the members of their own branch")
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member sees only their own record")
    if actor.role is Role.HOST_ORGANISATION:
        raise Forbidden("host organisations see branches, not member records")
    return _shown(row, actor)


@router.get("")
async def list_members(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, formal_org_id: str | None = None,
    away: bool | None = Query(None, description="Only members registered as away (true) or at home (false)."),
    destination: str | None = Query(None, description="Destination of members who are away."),
) -> dict[str, Any]:
    """Members by formal organisation, mobility status and destination. Secretaries see their branch only."""
    require(actor, "list members", *_WRITERS)
    if actor.role is Role.BRANCH_SECRETARY:
        if formal_org_id not in (None, actor.org_id):
            raise Forbidden("a branch secretary lists only the members of their own branch")
        formal_org_id = actor.org_id
    await wait_for_position(pool, SOURCE, min_position)
    rows = await pool.fetch(
        "SELECT * FROM members_view WHERE ($1::text IS NULL OR member_id > $1)"
        " AND ($2::text IS NULL OR formal_org_id = $2) AND ($3::bool IS NULL OR away = $3)"
        " AND ($4::text IS NULL OR outflow->>'destination' = $4) ORDER BY member_id LIMIT $5",
        cursor, formal_org_id, away, destination, limit + 1,
    )
    items, next_cursor = page(rows, limit, "member_id")
    return {"items": [_shown(i, actor) for i in items], "next_cursor": next_cursor}


_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
_SELF = (*_WRITERS, Role.MEMBER)
_HOST = (*_WRITERS, Role.HOST_ORGANISATION)

#: Who may send each member-stream command (the service checks scope again) and what it does.
MEMBER_ROLES: dict[type, tuple[tuple[Role, ...], str]] = {
    standing.SuspendMembership: (_STAFF, "Suspend (停止黨籍) after six months without contact (higher committee)."),
    standing.RemoveAsLapsed: (_WRITERS, "Record the branch meeting's decision to remove a lapsed member (step 1)."),
    standing.ApproveRemoval: (_STAFF, "Approve the removal (step 2, the higher organisation)."),
    standing.RejectRemoval: (_STAFF, "Reject the branch's removal decision."),
    standing.RestoreMembership: (_STAFF, "Restore a suspended member once contact is regained."),
    standing.RecordDeath: (_WRITERS, "Record a member's death."),
    mobility.RegisterInflow: (_HOST, "Register a member from elsewhere arriving at a host organisation here."),
    mobility.ReportToHost: ((*_HOST, Role.MEMBER), "Record that a mobile member reported to the host organisation."),
    mobility.IssueActivityCertificate: (_STAFF, "Issue an activity certificate (流動黨員活動證; township committee). "
                                                "Six months or more at a fixed place calls for a transfer instead."),
    mobility.ReviewCertificate: (_STAFF, "Record the yearly review of a certificate."),
    mobility.ReturnCertificate: (_WRITERS, "Record the certificate returned and inspected."),
    mobility.RegisterReturn: (_WRITERS, "Register that a mobile member came home (the certificate is inspected)."),
    mobility.RecordContact: (_SELF, "Record a contact with a mobile member (it resets the six-month clock)."),
    mobility.ReportToHomeOrganisation: (_SELF, "Record the member's yearly report to the home organisation."),
    transfers.RequestTransfer: (_SELF, "Ask to transfer the organisational relationship, to an organisation here or "
                                       "one outside the county (name and address)."),
    transfers.ApproveTransferOut: ((*_STAFF, Role.HOST_ORGANISATION),
                                   "Approve the transfer out: the introduction letter (number, channel, dues paid "
                                   "up to which month; valid 90 days by policy)."),
    transfers.ReceiveTransfer: (_HOST, "Receive the member: from now on the receiving organisation is their formal "
                                       "organisation. A letter is accepted up to its last valid day."),
    transfers.ReturnReceipt: ((*_STAFF, Role.HOST_ORGANISATION), "Return the receipt (回執) to the sender."),
    transfers.ReissueLetter: ((*_STAFF, Role.HOST_ORGANISATION), "Re-issue a lost letter (the old one becomes void)."),
    transfers.CancelTransfer: (_SELF, "Cancel a transfer that has not been received."),
}

route_table(member_commands, MEMBER_STEPS, MEMBER_ROLES)
