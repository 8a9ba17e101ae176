"""Tokens: administrators issue bearer tokens for secretaries, committees, hosts and members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from services.gateway.api.access import operation
from services.gateway.api.deps import SettingsDep
from services.gateway.auth import CurrentActor, issue_token
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Annotated[StrictStr, Field(min_length=1, max_length=100, description="Who the token is for.")]
    role: Role
    org_id: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = Field(
        None, description="The organisation a secretary, committee or host acts for (required for those roles).")
    days: int = Field(30, ge=1, le=366)

    @model_validator(mode="after")
    def _scoped(self) -> TokenRequest:
        if self.role in (Role.BRANCH_SECRETARY, Role.TOWNSHIP_COMMITTEE, Role.HOST_ORGANISATION) and not self.org_id:
            raise ValueError(f"org_id is required for role {self.role.value}")
        return self


class TokenResponse(BaseModel):
    token: str
    subject: str
    role: Role
    org_id: str | None


@operation(router, "", method="POST", status_code=201, roles=(Role.COUNTY_ADMIN,), action="issue tokens",
           scope="a token for anyone; administrator tokens only by the bootstrap administrator")
async def issue(body: TokenRequest, actor: CurrentActor, settings: SettingsDep) -> TokenResponse:
    """Issue a signed bearer token (county administrators only)."""
    if body.role is Role.COUNTY_ADMIN and actor.subject != "dev-admin":
        raise DomainError("only the bootstrap administrator issues administrator tokens")
    who = Actor(subject=body.subject, role=body.role, org_id=body.org_id)
    return TokenResponse(token=issue_token(settings, who, days=body.days), subject=who.subject, role=who.role,
                         org_id=who.org_id)
