"""Who may call each operation of the public API and which records it reaches, declared once per route as data.

``@operation(router, path, roles=…, scope=Scope.…, action=…)`` registers a route with its roles and its
scope rule as the OpenAPI extension fields ``x-gb-roles`` / ``x-gb-scope`` (a sentence) / ``x-gb-scope-rule``
(the rule's name) — the same fields the command rows carry, so docs/endpoints.md and the authorization-matrix
test are generated from ``app.openapi()`` — and enforces both here, before the route runs:

- the role: any other role gets 403 "only … may {action}";
- the record: when the rule places a record named in the path (``member_id``, ``org_id``, ``person_id``), the
  caller must reach that record's place (``services.pure.scope.require_reach``, the same rule membership
  applies to every command). The place is read from the read models after ``min_position`` is waited for,
  so a caller reads their own writes. A record that does not exist is placed with nobody but the county: a
  caller out of scope learns nothing from a 403 about what exists.

List routes filter by what the caller reaches instead (:func:`reachable_orgs`, :func:`narrow`,
:func:`own_township`); secondments and leads keep their own township/branch/registrant filters (their
records are placed by township, unit, branch and registrant, not by the membership tree) and declare so.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, TypeVar, cast

import asyncpg
from fastapi import APIRouter, Depends

from services.gateway.api import as_of
from services.gateway.auth import require
from services.gateway.commands import access_extension, role_check
from services.gateway.readmodels import organisations
from services.gateway.readmodels.transfers import IN_PROGRESS
from services.gateway.readmodels.waiting import wait_for_position
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.pure.errors import Forbidden
from services.pure.identity import BUREAUS, Actor, Role
from services.pure.scope import Place, require_reach

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])

#: Every role of the county's own people: the route's scope rule decides what each one sees. Partner
#: systems are not among them: they read their own partner records, and receive outward events only. Nor
#: are the bureaus: they reach only the migrant workers' service cases referred to them (services/workers).
ANYONE: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PARTNER and r not in BUREAUS)
#: County and township staff.
STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
#: Staff and branch secretaries: the people who keep the records.
KEEPERS = (*STAFF, Role.BRANCH_SECRETARY)
PUBLIC_SCOPE = "public: no token needed"


class Scope(StrEnum):
    """The scope rules a route may declare (their sentences: :data:`RULES`)."""

    PUBLIC = "public"
    DIRECTORY = "directory"
    COUNTY = "county"
    MEMBER = "member"
    ORGANISATION = "organisation"
    CASE = "case"
    TOWNSHIP = "township"
    SECONDMENT = "secondment"
    LEAD = "lead"
    PARTNER = "partner"
    REPLAY = "replay"
    SERVICE_CASE = "service_case"


RULES: dict[Scope, str] = {
    Scope.PUBLIC: PUBLIC_SCOPE,
    Scope.DIRECTORY: "public to every role of the county (not partner systems): the branch directory (names, "
                     "destinations, home organisations and "
                     "member counts) is read by anyone with a token, whatever their organisation",
    Scope.COUNTY: "the county: everything",
    Scope.MEMBER: "a member's records: the county any; a township committee those of its township's "
                  "organisations; a branch secretary its own organisation's; a host organisation the members "
                  "reported or being transferred to it; a member their own",
    Scope.ORGANISATION: "an organisation's records: the county any; a township committee its township's "
                        "organisations (itself and all under it); a branch secretary or host organisation its "
                        "own organisation",
    Scope.CASE: "a development case: the county any; a township committee its township's organisations'; a "
                "branch secretary its own organisation's; the applicant their own",
    Scope.TOWNSHIP: "per township: the county every township (or one); a township committee its own",
    Scope.SECONDMENT: "the county: every township; a township committee (sending unit, token scoped to the "
                      "township or one of its units): its own township",
    Scope.LEAD: "the county: every lead; a township committee: its township's; a branch secretary: its "
                "branch's; a member: the leads they registered",
    Scope.PARTNER: "the county: every partner system and subscription; a partner system: its own record and "
                   "subscriptions only",
    Scope.SERVICE_CASE: "migrant workers' service cases: the county any; a township committee its township's; a "
                        "bureau only the cases referred to it (403 for any other, whether it exists or not)",
    Scope.REPLAY: "every role of the county: a rebuild's progress names no record (the answers it serves are "
                  "scoped as any other read)",
}

#: The path parameter naming the record a rule places (a route with it in its path is checked here).
RECORD: dict[Scope, str] = {Scope.MEMBER: "member_id", Scope.ORGANISATION: "org_id", Scope.CASE: "person_id"}


def operation(router: APIRouter, path: str, *, roles: Sequence[Role], scope: Scope, action: str,
              note: str = "", record_checked_by: str | None = None, method: str = "GET",
              **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register ``method path`` on ``router`` for ``roles`` (403 "only … may {action}" for any other), and
    keep the caller to ``scope`` for the record the path names (see the module's docstring).

    ``note`` adds to the rule's sentence (what is masked, which filter applies); ``record_checked_by`` names
    the service that checks the record instead (it alone holds it). The endpoint takes the caller as its
    ``actor`` parameter (and, for a checked record, the read pool as ``pool``); ``options`` go to
    ``add_api_route``.
    """
    if not roles:
        raise ValueError(f"{path}: an operation names the roles that may call it (public ones use public())")
    param = RECORD.get(scope)
    checked_here = param is not None and "{" + param + "}" in path and record_checked_by is None
    sentence = RULES[scope] + (f". {note}" if note else "") + (
        f". The record is checked by the {record_checked_by} service" if record_checked_by else "")

    def register(endpoint: Endpoint) -> Endpoint:
        parameters = inspect.signature(endpoint).parameters
        if "actor" not in parameters:
            raise TypeError(f"{endpoint.__name__} must take the caller as `actor` to have its role checked")
        if checked_here and "pool" not in parameters:
            raise TypeError(f"{endpoint.__name__} must take the read pool as `pool` to have its record checked")

        @functools.wraps(endpoint)
        async def checked(*args: Any, **kwargs: Any) -> Any:
            actor: Actor = kwargs["actor"]
            require(actor, action, *roles)
            if checked_here and actor.role is not Role.COUNTY_ADMIN:
                assert param is not None
                pool: asyncpg.Pool = kwargs["pool"]
                await wait_for_position(pool, MEMBERSHIP.source, kwargs.get("min_position"))
                require_reach(actor, await PLACES[scope](pool, kwargs[param]), action)
            return await endpoint(*args, **kwargs)

        if "pool" in parameters:
            # It reads the read models, so it takes ``as_of`` (ReadPool): document the answers that adds.
            options["responses"] = {**as_of.RESPONSES, **options.get("responses", {})}
        extension = {**access_extension(roles, sentence), "x-gb-scope-rule": scope.value}
        if checked_here:
            extension["x-gb-scope-record"] = param
        # The role is checked again as a dependency, which runs before FastAPI validates the body and the
        # query: a caller whose role may not call the operation gets 403, never a 422 about their input.
        router.add_api_route(path, checked, methods=[method], openapi_extra=extension,
                             dependencies=[Depends(role_check(tuple(roles), action))], **options)
        return cast(Endpoint, checked)

    return register


def public(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register ``GET path`` for anyone, without a token (health probes)."""

    def register(endpoint: Endpoint) -> Endpoint:
        extension = {**access_extension((), PUBLIC_SCOPE), "x-gb-scope-rule": Scope.PUBLIC.value}
        router.add_api_route(path, endpoint, methods=["GET"], openapi_extra=extension, **options)
        return endpoint

    return register


# Places of records, read from the read models.

async def org_place(pool: asyncpg.Pool, org_id: str | None, *, hosts: Iterable[str | None] = (),
                    people: Iterable[str] = ()) -> Place:
    """An organisation's place: itself and its township."""
    return Place.of(org_id or None, await organisations.township_of(pool, org_id),
                    hosts=(h for h in hosts if h), people=people)


def member_hosts(host_org_id: str | None, receiving_org_ids: Iterable[str]) -> tuple[str, ...]:
    """The host organisations that reach a member: the one they reported to (or, from outside the county,
    take part at) and those a transfer in progress is taking them to."""
    return tuple(h for h in (host_org_id, *receiving_org_ids) if h)


async def member_place(pool: asyncpg.Pool, member_id: str) -> Place:
    """A member's place: their formal organisation and its township (a member from outside the county: the
    host organisation they take part at), their hosts, and themselves. Not a member: their development
    case's place; neither: only the county's, and theirs."""
    row = await pool.fetchrow("SELECT formal_org_id, host_org_id FROM members_view WHERE member_id = $1", member_id)
    if row is None:
        return await case_place(pool, member_id)
    receiving = [r["to_org_id"] for r in await pool.fetch(
        "SELECT to_org_id FROM transfers_view WHERE member_id = $1 AND state = ANY($2::text[])",
        member_id, list(IN_PROGRESS))]
    hosts = member_hosts(row["host_org_id"], receiving)
    place = await org_place(pool, row["formal_org_id"], hosts=hosts, people=(member_id,))
    if place.township_id is None and row["host_org_id"]:
        # Formal organisation outside the county's tree: the host organisation answers for them here.
        place = await org_place(pool, row["host_org_id"], hosts=hosts, people=(member_id,))
    return place


async def case_place(pool: asyncpg.Pool, person_id: str) -> Place:
    """A development case's place: its organisation, and the applicant."""
    org_id = await pool.fetchval("SELECT org_id FROM development_view WHERE person_id = $1", person_id)
    if org_id is None:
        return Place.of(None, None, people=(person_id,))
    return await org_place(pool, org_id, people=(person_id,))


async def _organisation(pool: asyncpg.Pool, org_id: str) -> Place:
    return await org_place(pool, org_id)


PLACES: dict[Scope, Callable[[asyncpg.Pool, str], Awaitable[Place]]] = {
    Scope.MEMBER: member_place, Scope.ORGANISATION: _organisation, Scope.CASE: case_place,
}


# What a caller's lists are limited to.

async def reachable_orgs(pool: asyncpg.Pool, actor: Actor) -> set[str] | None:
    """The organisations whose records ``actor`` reaches; None: all of them (the county)."""
    match actor.role:
        case Role.COUNTY_ADMIN:
            return None
        case Role.TOWNSHIP_COMMITTEE:
            return await organisations.township_orgs(pool, actor.org_id) if actor.org_id else set()
        case Role.BRANCH_SECRETARY | Role.HOST_ORGANISATION:
            return {actor.org_id} if actor.org_id else set()
        case _:
            return set()


def narrow(reachable: set[str] | None, asked: str | None, actor: Actor) -> list[str] | None:
    """The organisations a list is filtered to: the one ``asked`` (403 if not reachable) or every reachable
    one; None: no filter."""
    if asked is not None:
        if reachable is not None and asked not in reachable:
            raise Forbidden(f"{actor.label} cannot read the records of organisation {asked}: your token reaches "
                            f"{_whose(actor)}")
        return [asked]
    return None if reachable is None else sorted(reachable)


def own_township(actor: Actor, asked: str | None) -> str | None:
    """The township a per-township report is read for: any (or all) for the county, its own for a committee."""
    if actor.role is Role.COUNTY_ADMIN:
        return asked
    if actor.role is Role.TOWNSHIP_COMMITTEE and asked in (None, actor.org_id):
        return actor.org_id
    raise Forbidden(f"{actor.label} cannot read township {asked}: your token reaches {_whose(actor)}")


def _whose(actor: Actor) -> str:
    return {Role.TOWNSHIP_COMMITTEE: f"the organisations of township {actor.org_id}",
            Role.BRANCH_SECRETARY: f"organisation {actor.org_id}",
            Role.HOST_ORGANISATION: f"organisation {actor.org_id}"}.get(actor.role, "no organisation's records")
