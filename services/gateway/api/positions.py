"""Read your own writes: ``min_position`` as a request-scoped dependency that can ask the owning service
whether a position was ever issued (services/gateway/readmodels/waiting.py waits, or refuses at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services import system
from services.gateway.api.deps import Position
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service
from services.pure.errors import Unavailable
from services.pure.identity import Actor

#: The service whose store issues the positions of each event source.
OWNERS = {s.registry.source: s.name for s in system.SERVICES}


@dataclass(frozen=True)
class ReadAfter:
    """The ``min_position`` a query waits for, with the caller, to ask its service about it."""

    position: int | None
    request: Request
    actor: Actor

    async def issued(self, source: str) -> tuple[bool, int] | None:
        """``GET /positions/{position}`` of the service that owns ``source``; None if it cannot say."""
        service = OWNERS.get(source)
        if service is None or self.position is None:
            return None
        try:
            answer = await call_service(self.request, service, self.actor, "GET", f"/positions/{self.position}")
        except Unavailable:
            return None  # the read model may still catch up: wait, as without the question
        if answer.status_code != 200:
            return None
        found = answer.json()
        return bool(found["issued"]), int(found["last_issued"])


async def _read_after(request: Request, actor: CurrentActor, min_position: Position = None) -> ReadAfter:
    return ReadAfter(min_position, request, actor)


#: Optional only for the type checker: FastAPI always calls the dependency, so a route never sees None.
MinPosition = Annotated[ReadAfter | None, Depends(_read_after)]
