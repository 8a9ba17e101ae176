"""Tokens: the county issues bearer tokens, lists who holds which, and revokes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictStr, model_validator

from services.gateway.api.access import Scope, operation
from services.gateway.api.deps import ID_TEXT, IdValue, Limit, SettingsDep
from services.gateway.auth import BOOTSTRAP_ADMIN, CurrentActor, new_token
from services.gateway.readmodels import partners
from services.gateway.token_registry import TokenIssued, TokenRecord, TokenRegistry, TokenRevoked, access_meta
from services.pure.errors import DomainError, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
_COUNTY = (Role.COUNTY_ADMIN,)
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The token's id (`token_id`, its `jti`).")]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Annotated[StrictStr, Field(min_length=1, max_length=100, description="Who the token is for.")]
    role: Role
    org_id: Annotated[IdValue, Strict()] | None = Field(
        None, description="The organisation a secretary, committee or host acts for, or the partner id of a partner "
                          f"system (required for those roles): an id ({ID_TEXT}), never an ID number or a phone "
                          "number — it is part of every event the token's holder causes.")
    days: int = Field(30, ge=1, le=366)

    @model_validator(mode="after")
    def _scoped(self) -> TokenRequest:
        if self.role in (Role.BRANCH_SECRETARY, Role.TOWNSHIP_COMMITTEE, Role.HOST_ORGANISATION, Role.PARTNER) \
                and not self.org_id:
            raise ValueError(f"org_id is required for role {self.role.value}")
        return self


class TokenResponse(BaseModel):
    token: str = Field(description="The bearer token. It is shown once: only its id is recorded.")
    token_id: str = Field(description="The id to revoke the token by.")
    expires_at: datetime
    subject: str
    role: Role
    org_id: str | None


class RevocationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[StrictStr, Field(min_length=1, max_length=500)] | None = Field(
        None, description="Why the token is revoked (lost, leaked, holder left the post…).")


class TokenEvent(BaseModel):
    """One issuance or revocation, in the order they were recorded."""

    position: int
    kind: Literal["issued", "revoked"]
    token_id: str
    by: str = Field(description="Who issued or revoked the token.")
    at: datetime
    subject: str | None = None
    role: str | None = None
    org_id: str | None = None
    expires_at: datetime | None = None
    reason: str | None = None
    parent_id: str | None = Field(None, description="For a console session: the token it was opened with.")


class TokenEvents(BaseModel):
    items: list[TokenEvent]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


def _registry(request: Request) -> TokenRegistry:
    tokens: TokenRegistry = request.app.state.tokens
    return tokens


@operation(router, "", method="POST", status_code=201, roles=_COUNTY, action="issue tokens",
           scope=Scope.COUNTY, note="A token for anyone; administrator tokens only by the bootstrap administrator")
async def issue(body: TokenRequest, actor: CurrentActor, settings: SettingsDep, request: Request) -> TokenResponse:
    """Issue a signed bearer token with an expiry and an id (county administrators only). The issuance is
    recorded — who the token is for, until when, by whom — but never the token itself."""
    if body.role is Role.COUNTY_ADMIN and actor.subject != BOOTSTRAP_ADMIN:
        raise DomainError("only the bootstrap administrator issues administrator tokens")
    # Who a token is for is its actor label on every event it causes, in clear, and in the logs.
    not_personal(body.subject, "subject", instead="the person's member, cadre or staff id, or a login name")
    who = Actor(subject=body.subject, role=body.role, org_id=body.org_id)
    if who.role is Role.PARTNER:
        await _registered_partner(request, str(who.org_id))
    issued = new_token(settings, who, days=body.days)
    await _registry(request).issued(TokenIssued(token_id=issued.token_id, subject=who.subject, role=who.role.value,
                                                org_id=who.org_id, expires_at=issued.expires_at),
                                    access_meta(actor, request.headers))
    return TokenResponse(token=issued.token, token_id=issued.token_id, expires_at=issued.expires_at,
                         subject=who.subject, role=who.role, org_id=who.org_id)


async def _registered_partner(request: Request, partner_id: str) -> None:
    """A partner system's token names a partner the county registered and keeps active: a typo's token would read
    nothing, and a deactivated partner's is refused anyway (services/gateway/partner_access.py)."""
    record = await partners.partner(request.app.state.read_pool, partner_id)
    state = record["state"] if record is not None else None
    if state is None:
        raise DomainError(f"no partner system {partner_id} is registered: register it first (POST /v1/partners); "
                          "one registered a moment ago is known here within seconds", field="org_id")
    if state != "active":
        raise StateConflict(f"partner {partner_id} is deactivated: reactivate it first "
                            f"(POST /v1/partners/{partner_id}/reactivation)")


@operation(router, "", roles=_COUNTY, action="read the record of tokens", scope=Scope.COUNTY,
           response_model=TokenEvents)
async def history(
    actor: CurrentActor, request: Request, limit: Limit = 100,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page.")]
    = None,
) -> TokenEvents:
    """Every issuance and revocation of a token, oldest first: whose token, until when, by whom and when."""
    recorded = await _registry(request).history(int(cursor or 0), limit + 1)
    items = []
    for r in recorded[:limit]:
        event: Any = r.event
        common: dict[str, Any] = {"position": r.envelope.position, "token_id": event.token_id,
                                  "by": r.envelope.actor, "at": r.envelope.time}
        if isinstance(event, TokenIssued):
            items.append(TokenEvent(kind="issued", subject=event.subject, role=event.role, org_id=event.org_id,
                                    expires_at=event.expires_at, parent_id=event.parent_id, **common))
        elif isinstance(event, TokenRevoked):
            items.append(TokenEvent(kind="revoked", reason=event.reason, **common))
    next_cursor = str(items[-1].position) if len(recorded) > limit and items else None
    return TokenEvents(items=items, next_cursor=next_cursor)


@operation(router, "/{token_id}", roles=_COUNTY, action="read the record of tokens", scope=Scope.COUNTY,
           response_model=TokenRecord)
async def get_token(token_id: TokenId, actor: CurrentActor, request: Request) -> TokenRecord:
    """One token's record: its holder, expiry, who issued it and when, and its revocation if any."""
    record = await _registry(request).record(token_id)
    if record is None:
        raise NotFound(f"no token {token_id} was issued here")
    return record


@operation(router, "/{token_id}/revocation", method="POST", roles=_COUNTY, action="revoke tokens",
           scope=Scope.COUNTY, response_model=TokenRecord)
async def revoke(token_id: TokenId, actor: CurrentActor, request: Request,
                 body: RevocationRequest | None = None) -> TokenRecord:
    """Revoke a token by its id: from now on it is refused with 401. The revocation is recorded with who
    made it and when. (The bootstrap administrator token has no id: change `GB_ADMIN_TOKEN` instead.)"""
    reason = body.reason if body is not None else None
    if reason:
        not_personal(reason, "reason", instead=in_words("why the token is revoked"))
    return await _registry(request).revoke(token_id, reason, access_meta(actor, request.headers))
