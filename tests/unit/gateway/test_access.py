"""Every public operation states its roles and scope rule as data, and the gateway enforces both in one place:
the role before the body, the record's place before the route runs, lists filtered to what a caller reaches."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from services.gateway.api import access
from services.gateway.api.access import RECORD, RULES, Scope, member_hosts, narrow, operation, own_township
from services.gateway.api.deps import ReadPool
from services.gateway.app import create_app
from services.gateway.auth import CurrentActor, new_token
from services.gateway.commands import publish
from services.gateway.throttle import FailedAuthentications
from services.gateway.token_registry import TokenRegistry
from services.kernel.http import install_problem_handlers
from services.kernel.routes import CommandRoute
from services.kernel.settings import Settings
from services.pure.errors import Forbidden
from services.pure.identity import BUREAUS, Actor, Role
from services.pure.scope import Place

SETTINGS = Settings()
COUNTY = Actor(subject="c", role=Role.COUNTY_ADMIN)
TOWNSHIP_A = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
SECRETARY = Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="branch-1")
HOST = Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="host-1")
MEMBER = Actor(subject="m-1", role=Role.MEMBER)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in create_app().openapi()["paths"].items() for method, op in ops.items()]


def test_every_read_names_one_of_the_scope_rules() -> None:
    rules = {s.value for s in Scope}
    unnamed = [(m, p) for m, p, op in _operations() if m == "get" and op.get("x-gb-scope-rule") not in rules]
    assert unnamed == []


def test_every_read_of_a_membership_record_named_in_its_path_is_checked_by_the_gateway_or_the_service() -> None:
    unchecked = [
        (p, op["x-gb-scope-rule"]) for m, p, op in _operations()
        if m == "get" and (param := RECORD.get(Scope(op["x-gb-scope-rule"])))
        and "{" + param + "}" in p and op.get("x-gb-scope-record") != param and "checked by" not in op["x-gb-scope"]
    ]
    assert unchecked == []


def test_the_branch_directory_is_public_to_every_role_of_the_county_and_says_so() -> None:
    for method, path, op in _operations():
        if method == "get" and path.startswith("/v1/branches"):
            # Partner systems are not the county's people: they get outward events, not its directory; the
            # bureaus reach only the service cases referred to them.
            assert set(op["x-gb-roles"]) == {r.value for r in Role if r is not Role.PARTNER and r not in BUREAUS}
            assert op["x-gb-scope-rule"] == "directory" and op["x-gb-scope"].startswith("public to every role")


def test_every_rule_has_a_sentence() -> None:
    assert set(RULES) == set(Scope)


def test_a_list_is_narrowed_to_the_organisations_reached() -> None:
    assert narrow(None, None, COUNTY) is None
    assert narrow(None, "b-9", COUNTY) == ["b-9"]
    assert narrow({"township-a", "b-1", "b-2"}, None, TOWNSHIP_A) == ["b-1", "b-2", "township-a"]
    assert narrow({"township-a", "b-1"}, "b-1", TOWNSHIP_A) == ["b-1"]


def test_asking_a_list_for_an_organisation_out_of_reach_is_refused() -> None:
    with pytest.raises(Forbidden, match="township township-a"):
        narrow({"township-a", "b-1"}, "b-of-township-b", TOWNSHIP_A)
    with pytest.raises(Forbidden):
        narrow(set(), "anything", MEMBER)


def test_a_township_committee_reads_its_own_townships_reports_only() -> None:
    assert own_township(COUNTY, None) is None
    assert own_township(COUNTY, "township-b") == "township-b"
    assert own_township(TOWNSHIP_A, None) == "township-a"
    assert own_township(TOWNSHIP_A, "township-a") == "township-a"
    with pytest.raises(Forbidden):
        own_township(TOWNSHIP_A, "township-b")


class _NoPool:
    """reachable_orgs must not touch the database for roles whose reach is their token alone."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the pool was used ({name})")


async def test_whose_organisations_each_role_reaches_without_a_township_lookup() -> None:
    pool: Any = _NoPool()
    assert await access.reachable_orgs(pool, COUNTY) is None
    assert await access.reachable_orgs(pool, SECRETARY) == {"branch-1"}
    assert await access.reachable_orgs(pool, HOST) == {"host-1"}
    assert await access.reachable_orgs(pool, MEMBER) == set()
    assert await access.reachable_orgs(pool, Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE)) == set()


async def test_a_township_committee_reaches_the_organisations_of_its_township(monkeypatch: Any) -> None:
    async def township_orgs(pool: Any, township_id: str) -> set[str]:
        return {township_id, "b-1"}

    monkeypatch.setattr(access.organisations, "township_orgs", township_orgs)
    assert await access.reachable_orgs(_NoPool(), TOWNSHIP_A) == {"township-a", "b-1"}


def test_a_members_hosts_are_the_one_reported_to_and_those_a_transfer_takes_them_to() -> None:
    assert member_hosts("host-1", ["branch-9"]) == ("host-1", "branch-9")
    assert member_hosts(None, []) == ()


# The record check and the role check, on a small app wired like the gateway.

PLACES = {"m-1": Place.of("branch-1", "township-a", people=("m-1",))}


@pytest.fixture
async def client(monkeypatch: Any) -> Any:
    async def member_place(pool: Any, member_id: str) -> Place:
        return PLACES.get(member_id, Place())

    async def no_wait(*_: Any) -> None:
        return None

    monkeypatch.setitem(access.PLACES, Scope.MEMBER, member_place)
    monkeypatch.setattr(access, "wait_for_position", no_wait)
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = SETTINGS
    app.state.tokens = TokenRegistry(Any)  # type: ignore[arg-type]
    app.state.auth_failures = FailedAuthentications(limit=100, window=60)
    app.state.read_pool = None
    router = APIRouter()

    @operation(router, "/members/{member_id}", roles=tuple(Role), scope=Scope.MEMBER, action="read members")
    async def get_member(member_id: str, actor: CurrentActor, pool: ReadPool) -> dict[str, str]:
        return {"member_id": member_id}

    class Body(BaseModel):
        name: str

    class Command(BaseModel):
        name: str

    route: CommandRoute[Any] = CommandRoute(path="/things", command=Command, handler=None, roles=(Role.COUNTY_ADMIN,),
                                            scope="anything", summary="Make a thing.", body=Body)  # type: ignore[arg-type]
    publish(router, route, "membership")
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        yield http


def _as(actor: Actor) -> dict[str, str]:
    return {"Authorization": "Bearer " + new_token(SETTINGS, actor).token}


@pytest.mark.parametrize(("actor", "status"), [
    (COUNTY, 200), (TOWNSHIP_A, 200), (SECRETARY, 200), (MEMBER, 200),
    (Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="branch-2"), 403),
    (Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b"), 403),
    (Actor(subject="m-2", role=Role.MEMBER), 403), (HOST, 403),
])
async def test_a_record_is_read_only_by_callers_who_reach_its_place(client: Any, actor: Actor, status: int) -> None:
    answer = await client.get("/members/m-1", headers=_as(actor))
    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_record_that_does_not_exist_is_placed_with_the_county_only(client: Any) -> None:
    assert (await client.get("/members/nobody", headers=_as(TOWNSHIP_A))).status_code == 403
    assert (await client.get("/members/nobody", headers=_as(COUNTY))).status_code == 200


# Malformed JSON is still a 422 first: FastAPI parses the JSON before it runs any dependency.
@pytest.mark.parametrize("body", [None, b"", b"{}", b'{"name": 1}', b"[]"])
async def test_a_caller_whose_role_may_not_send_a_command_gets_403_before_the_body_is_read(
        client: Any, body: bytes | None) -> None:
    headers = {**_as(SECRETARY), "content-type": "application/json"}
    answer = await client.post("/v1/things", content=body, headers=headers)
    assert answer.status_code == 403, answer.text
    assert "only county_admin may" in answer.json()["detail"]


async def test_the_role_that_may_send_a_command_still_has_its_body_validated(client: Any) -> None:
    answer = await client.post("/v1/things", json={}, headers=_as(COUNTY))
    assert answer.status_code == 422


# A query parameter the operation does not take (services/gateway/query_names.py): refused, after the role.

async def test_a_query_parameter_a_read_does_not_take_is_refused_naming_those_it_takes(client: Any) -> None:
    assert (await client.get("/members/m-1", headers=_as(COUNTY))).status_code == 200
    answer = await client.get("/members/m-1", params={"branch_id": "branch-2"}, headers=_as(COUNTY))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    (error,) = answer.json()["errors"]
    assert error["field"] == "query.branch_id"
    assert error["message"] == "this operation does not take this query parameter; it takes: as_of"


async def test_a_command_takes_no_query_parameter(client: Any) -> None:
    answer = await client.post("/v1/things", params={"dry_run": "1"}, json={"name": "x"}, headers=_as(COUNTY))
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["message"]) for e in answer.json()["errors"]] == [
        ("query.dry_run", "this operation does not take this query parameter; it takes: no query parameters")]


async def test_a_caller_whose_role_may_not_call_learns_that_before_any_word_on_the_query(client: Any) -> None:
    answer = await client.post("/v1/things", params={"x": "1"}, json={}, headers=_as(SECRETARY))
    assert answer.status_code == 403, answer.text


async def test_the_query_is_judged_before_the_record_and_says_nothing_of_it(client: Any) -> None:
    """As a declared parameter's value is: a caller out of a record's reach gets the same answer whether the record
    exists or not."""
    other = Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="branch-2")
    answers = [await client.get(f"/members/{m}", params={"x": "1"}, headers=_as(other)) for m in ("m-1", "nobody")]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json()["errors"] == answers[1].json()["errors"]


async def test_a_parameter_name_that_is_not_a_plain_name_is_not_repeated_in_the_answer(client: Any) -> None:
    answer = await client.get("/members/m-1", params={"13812345678": "1", "limit": "5"}, headers=_as(COUNTY))
    assert answer.status_code == 422
    assert "13812345678" not in answer.text
    assert sorted(e["field"] for e in answer.json()["errors"]) == ["query.(a parameter)", "query.limit"]


async def test_a_query_parameter_given_twice_is_refused_rather_than_one_value_dropped(client: Any) -> None:
    answer = await client.get("/members/m-1?as_of=2026-01-01&as_of=2026-06-01", headers=_as(COUNTY))
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["message"]) for e in answer.json()["errors"]] == [
        ("query.as_of", "give this query parameter once: it came 2 times, and only one value can apply")]


def test_no_operation_takes_a_list_in_its_query() -> None:
    """Why a repeated name is refused (services/gateway/query_names.py): an operation that took a list would be
    asked with its name repeated, and the check would have to let that one through."""
    lists = [(path, p["name"]) for _, path, op in _operations() for p in op.get("parameters", [])
             if p["in"] == "query" and "array" in str(p.get("schema"))]
    assert lists == []
