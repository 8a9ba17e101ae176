"""Queries on migrant-worker services: the register, service cases (a bureau sees only those referred to it)
and labour-export groups with the outstation branch at their destination."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api.access import STAFF, Scope, operation
from services.gateway.api.deps import Cursor, Day, IdQuery, Limit, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.api.secondments import plain
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import workers
from services.gateway.readmodels.waiting import page, wait_for_position
from services.kernel import clock
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import BUREAUS, Actor, Role
from services.workers.contract.events import REGISTRY, CaseStage, ServiceKind

#: Each read under the tag of the commands on the same records (the first segment of their paths).
router = APIRouter(prefix="/v1")
SOURCE = REGISTRY.source
#: Who reads service cases: the county, township committees and the bureaus (their own cases).
CASE_READERS = (*STAFF, *BUREAUS)


def _township(actor: Actor) -> str | None:
    """The township a committee's reads are kept to (None: the county's, all of them)."""
    return actor.org_id if actor.role is Role.TOWNSHIP_COMMITTEE else None


def _reaches(actor: Actor, row: asyncpg.Record | None, what: str) -> asyncpg.Record:
    """The record if ``actor`` reaches it; 403 alike for one out of reach and one that does not exist (for
    anyone but the county), so a refusal tells nothing about other townships' or bureaus' records."""
    if actor.role is Role.COUNTY_ADMIN:
        if row is None:
            raise NotFound(f"no {what}; if you just wrote it, pass min_position")
        return row
    if row is not None and actor.role is Role.TOWNSHIP_COMMITTEE and row["township_id"] == actor.org_id:
        return row
    if row is not None and actor.role in BUREAUS and row.get("bureau") == actor.role.value:
        return row
    raise Forbidden(f"{actor.label} cannot read {what}: "
                    + ("a bureau reads only the cases referred to it" if actor.role in BUREAUS
                       else f"your token reaches township {actor.org_id} only"))


@operation(router, "/migrant-workers/{worker_id}", roles=STAFF, scope=Scope.TOWNSHIP, action="read the register",
           tags=["migrant-workers"])
async def get_worker(worker_id: PathId, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """A worker on the register: township, village, member id if a member, skills and consent (no name, ID or
    phone number is kept)."""
    await wait_for_position(pool, SOURCE, min_position)
    return plain(_reaches(actor, await workers.worker(pool, worker_id), f"worker {worker_id}"))


@operation(router, "/service-cases", roles=CASE_READERS, scope=Scope.SERVICE_CASE, action="read service cases",
           tags=["service-cases"])
async def list_cases(actor: CurrentActor, pool: ReadPool, township: IdQuery = None, stage: CaseStage | None = None,
                     kind: ServiceKind | None = None, min_position: MinPosition = None, limit: Limit = 100,
                     cursor: Cursor = None) -> dict[str, Any]:
    """Service cases with their bureau, deadline and what was issued or decided; a bureau's list holds only the
    cases referred to it, a committee's only its township's."""
    mine = _township(actor)
    if mine is not None and township not in (None, mine):
        raise Forbidden(f"your token reads the cases of township {mine} only, not {township}")
    bureau = actor.role.value if actor.role in BUREAUS else None
    await wait_for_position(pool, SOURCE, min_position)
    rows = await workers.cases(pool, township=mine or township, bureau=bureau, stage=stage and stage.value,
                               kind=kind and kind.value, after=cursor, limit=limit + 1)
    items, next_cursor = page(rows, limit, "case_id")
    return {"items": [plain(i) for i in items], "next_cursor": next_cursor}


@operation(router, "/service-cases/{case_id}", roles=CASE_READERS, scope=Scope.SERVICE_CASE,
           action="read service cases", tags=["service-cases"])
async def get_case(case_id: PathId, actor: CurrentActor, pool: ReadPool,
                   min_position: MinPosition = None) -> dict[str, Any]:
    """One service case: its stage, the bureau it is with and its deadline, what was issued (a certificate's
    number and amount) or decided (a legal-aid case number, a loan), and how it closed."""
    await wait_for_position(pool, SOURCE, min_position)
    return plain(_reaches(actor, await workers.case(pool, case_id), f"service case {case_id}"))


@operation(router, "/export-groups/{group_id}", roles=STAFF, scope=Scope.TOWNSHIP, action="read export groups",
           tags=["export-groups"])
async def get_group(group_id: PathId, actor: CurrentActor, pool: ReadPool,
                    min_position: MinPosition = None) -> dict[str, Any]:
    """A labour-export group with its outstation branch from the directory: its name and destination, and
    whether that is the group's destination (``branch_at_destination``; null when no such branch is known)."""
    await wait_for_position(pool, SOURCE, min_position)
    row = plain(_reaches(actor, await workers.group(pool, group_id), f"export group {group_id}"))
    known = row["branch_destination"] is not None
    return {**row, "branch_known": known,
            "branch_at_destination": (row["branch_destination"] == row["destination"]) if known else None}


@operation(router, "/reports/migrant-services", roles=STAFF, scope=Scope.TOWNSHIP,
           action="read the migrant-worker services report", tags=["reports"])
async def migrant_services_report(
    actor: CurrentActor, pool: ReadPool, township: IdQuery = None,
    on: Annotated[Day, Query(description="The day counted to (default today).")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Service cases by township and kind (requested, open, closed, overdue with their bureau, acted on late, days
    to close), migrant workers on the register by township, and where labour-export groups took them."""
    mine = _township(actor)
    if mine is not None and township not in (None, mine):
        raise Forbidden(f"your token reads township {mine} only, not {township}")
    await wait_for_position(pool, SOURCE, min_position)
    day = on or clock.today()
    scope = mine or township
    return {
        "on": day.isoformat(),
        "cases": [plain(r) for r in await workers.case_counts(pool, day, scope)],
        "workers": [plain(r) for r in await workers.workers_by_township(pool, day, scope)],
        "destinations": [plain(r) for r in await workers.workers_by_destination(pool, day, scope)],
    }
