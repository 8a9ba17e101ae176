"""Personal data in clear: forwarded to membership, the only service holding the keys to open it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.api.access import Scope, operation
from services.gateway.api.deps import PathId
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service, relay_response
from services.pure.errors import Forbidden
from services.pure.identity import Role

router = APIRouter(prefix="/v1/members", tags=["members"])

READERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.MEMBER)


@operation(router, "/{member_id}/personal-data", roles=READERS, action="read personal data in clear",
           scope=Scope.MEMBER, record_checked_by="membership",
           responses={410: {"description": "The person's personal data was erased; it can never be read again"}})
async def personal_data(member_id: PathId, request: Request, actor: CurrentActor) -> Response:
    """A member's national ID number and latest contact (phone, address, WeChat) in clear, decrypted by
    membership with the person's own key. Every other view holds them masked. **410** once the person
    was erased (their key is destroyed)."""
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member reads only their own personal data")
    return relay_response(await call_service(request, "membership", actor, "GET",
                                             f"/members/{quote(member_id, safe='')}/personal-data"))
