"""Who reaches which worker, case and group: the county every one, a township committee its township's, a
bureau only the cases referred to it.

The kernel runs ``authorize`` before every command's handler (``ServiceDefinition.authorize``). A bureau
naming a case that is not with it — or that does not exist — gets 403 either way, so a refusal tells it
nothing about other bureaus' cases. A case stays with the bureau it was last referred to: the labour bureau
that issued a micro-credit certificate no longer reaches the case once it is with the credit cooperative.
"""

from __future__ import annotations

from typing import Any

from services.kernel.store import EventStore
from services.pure.errors import Forbidden
from services.pure.identity import BUREAUS, Actor, Role
from services.workers.contract.commands import (
    CloseCase,
    DecideCase,
    IssueDocument,
    OrganiseExportGroup,
    ReferCase,
    RegisterWorker,
    RequestService,
    WithdrawConsent,
)
from services.workers.handlers import case_of, worker_of


async def _township_of(store: EventStore[Any], command: Any) -> str | None:
    match command:
        case RegisterWorker() | OrganiseExportGroup():
            return command.township_id
        case WithdrawConsent() | RequestService():
            worker = await worker_of(store, command.worker_id)
            return worker.township_id if worker.exists else None
        case ReferCase() | IssueDocument() | DecideCase() | CloseCase():
            case = await case_of(store, command.case_id)
            return case.township_id if case.exists else None
    return None


async def authorize(store: EventStore[Any], actor: Actor, command: Any) -> None:
    if actor.role is Role.COUNTY_ADMIN:
        return
    if actor.role is Role.TOWNSHIP_COMMITTEE:
        if actor.org_id and await _township_of(store, command) == actor.org_id:
            return
        raise Forbidden(f"{actor.label} reaches only the workers, cases and groups of township {actor.org_id}")
    if actor.role in BUREAUS and isinstance(command, (IssueDocument, DecideCase, CloseCase)):
        case = await case_of(store, command.case_id)
        if case.exists and case.bureau is not None and case.bureau.value == actor.role.value:
            return
        raise Forbidden(f"{actor.label} acts only on the service cases referred to the {actor.role.value}")
    raise Forbidden(f"{actor.label} cannot send {type(command).__name__}")
