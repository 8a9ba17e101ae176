"""The authorization matrix, generated from the running gateway's OpenAPI document: every operation × every role.

Records are made in two townships, A and B, through the API as the county. Then, for every operation:

- a role the operation does not name (``x-gb-roles``) gets 403 — POSTs with an empty body, so the role is
  refused before the body is looked at; path parameters are A's records;
- a GET that names a membership record in its path (``x-gb-scope-rule`` member / organisation / case, or
  the public branch directory): each role's token inside A's scope is not refused, and the same role's
  token scoped to township B is 403 (the directory: not refused either, as documented).

Writes out of scope are the write side's (tests/e2e/test_write_scope.py); a few cross-township ones are
checked here too, with the explicit reads the issue names: township B on A's member, branch, dues and due items.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body

YEAR = datetime.now(UTC).year
#: GET scope rules placed on a record of the membership tree named in the path.
RECORD_RULES = {"member": "member_id", "organisation": "org_id", "case": "person_id"}


class Township:
    """One township's records, and tokens of every role scoped to them."""

    def __init__(self, name: str) -> None:
        self.township = name
        self.ids: dict[str, str] = {}

    def token(self, settings: Settings, role: Role, path_record: str | None = None) -> dict[str, str]:
        match role:
            case Role.COUNTY_ADMIN:
                return bearer(settings, role)
            case Role.TOWNSHIP_COMMITTEE:
                return bearer(settings, role, self.township)
            case Role.BRANCH_SECRETARY | Role.HOST_ORGANISATION:
                return bearer(settings, role, self.ids["branch_id"])
            case Role.MEMBER:
                # A member's own record: the one the path names (a member, or an applicant's case).
                return bearer(settings, role, subject=path_record or self.ids["member_id"])
            case Role.LABOUR_BUREAU | Role.CREDIT_COOPERATIVE | Role.JUSTICE_BUREAU | Role.INSURANCE:
                # A bureau reaches only the service cases referred to it (tests/e2e/test_migrant_workers.py).
                return bearer(settings, role, f"bureau-{self.township}")
            case Role.PARTNER:
                # A partner system reaches no membership record; its own partner records are
                # tests/e2e/test_partner_records.py's.
                return bearer(settings, role, f"matrix-{self.township}")
        raise AssertionError(role)


async def _created(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.text}"
    return str(response.json()["id"])


async def _township(gateway: httpx.AsyncClient, admin: dict[str, str], county: str, run: str,
                    letter: str) -> Township:
    town = Township(f"township-{letter}-{run}")
    today = str(county_today())
    answer = await gateway.post("/v1/organisations", headers=admin, json={
        "org_id": town.township, "name": f"Township {letter} {run}", "kind": "township_committee",
        "parent_id": county, "approval_authority": True, "established_on": "2026-01-05"})
    assert answer.status_code == 201, answer.text
    branch = await _created(gateway, "/v1/branches", branch_body(home_org_id=town.township), admin)
    second = await _created(gateway, "/v1/branches", branch_body(home_org_id=town.township), admin)
    member = await _created(gateway, "/v1/members", member_body(branch, name=f"Member {letter}"), admin)
    mover = await _created(gateway, "/v1/members", member_body(branch, name=f"Mover {letter}"), admin)
    await _created(gateway, f"/v1/members/{member}/dues/account", {
        "org_id": branch, "category": "wage_earner", "base": "4000.00", "owed_from": f"{YEAR}-01"}, admin)
    await _created(gateway, f"/v1/members/{member}/dues/payments", {
        "months": [f"{YEAR}-01"], "amount": "40.00", "paid_on": today, "branch_consent": True}, admin)
    case = await _created(gateway, "/v1/development/cases", {
        "name": f"Applicant {letter}", "birth_date": "1996-04-18", "contact": {"phone": "+86 137 0000 1111"},
        "org_id": branch, "route": "mobile_member_organisation", "is_mobile": True, "applied_on": today}, admin)
    transfer = await _created(gateway, f"/v1/members/{mover}/transfers",
                              {"to_org_id": second, "reason": "moved for work"}, admin)
    town.ids = {"branch_id": branch, "org_id": branch, "member_id": member, "person_id": case,
                "transfer_id": transfer, "stream_id": member, "mover": mover}
    return town


@pytest.fixture(scope="module")
async def townships(system: Settings, gateway: httpx.AsyncClient,
                    admin_headers: dict[str, str]) -> tuple[Township, Township]:
    run = uuid.uuid4().hex[:6]
    county = f"county-{run}"
    answer = await gateway.post("/v1/organisations", headers=admin_headers, json={
        "org_id": county, "name": f"County {run}", "kind": "county_committee", "parent_id": None,
        "approval_authority": True, "established_on": "2026-01-01"})
    assert answer.status_code == 201, answer.text
    a = await _township(gateway, admin_headers, county, run, "a")
    b = await _township(gateway, admin_headers, county, run, "b")

    async def visible() -> bool:
        # Each township's committee sees its member, dues, case and transfer: the read models have caught up.
        for town in (a, b):
            own = town.token(system, Role.TOWNSHIP_COMMITTEE)
            member = await gateway.get(f"/v1/members/{town.ids['member_id']}", headers=own)
            dues = await gateway.get(f"/v1/members/{town.ids['member_id']}/dues", headers=own)
            case = await gateway.get(f"/v1/development/cases/{town.ids['person_id']}", headers=own)
            moves = await gateway.get("/v1/transfers", params={"org_id": town.ids["branch_id"]}, headers=own)
            if not (member.status_code == case.status_code == 200 and dues.status_code == 200
                    and dues.json()["months"] and moves.status_code == 200 and moves.json()["items"]):
                return False
        return True

    await eventually(visible, what="the two townships' records in the read models")
    return a, b


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in openapi["paths"].items() for method, op in ops.items()
            if op.get("x-gb-roles")]


def _fill(path: str, town: Township) -> str:
    """A path with its parameters: A's records where it has one, else a well-formed id that names nothing."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token_id":
            return uuid.uuid4().hex
        return town.ids.get(name, f"none-{uuid.uuid4().hex[:8]}")
    return re.sub(r"{(\w+)}", value, path)


def _year(op: dict[str, Any]) -> dict[str, int]:
    """``year`` for an operation that takes it (a year's report), else nothing: the gateway refuses a query parameter
    an operation does not take."""
    return {"year": YEAR} if any(p["name"] == "year" for p in op.get("parameters", [])) else {}


async def _call(gateway: httpx.AsyncClient, method: str, path: str, headers: dict[str, str],
                query: dict[str, int] | None = None) -> httpx.Response:
    if method == "GET":
        return await gateway.get(path, params=query, headers=headers)
    return await gateway.request(method, path, content=b"", headers={**headers, "content-type": "application/json"})


async def test_every_operation_refuses_every_role_it_does_not_name(
    system: Settings, gateway: httpx.AsyncClient, townships: tuple[Township, Township]
) -> None:
    a, _ = townships
    openapi = (await gateway.get("/openapi.json")).json()
    checks = [(method, path, role, _year(op)) for method, path, op in _operations(openapi)
              for role in Role if role.value not in op["x-gb-roles"]]
    assert len(checks) > 100, "the matrix found too few operations to mean anything"
    tokens = {role: a.token(system, role) for role in Role}
    limit = asyncio.Semaphore(16)

    async def check(method: str, path: str, role: Role, query: dict[str, int]) -> str | None:
        async with limit:
            answer = await _call(gateway, method, _fill(path, a), tokens[role], query)
        if answer.status_code != 403 or answer.headers["content-type"] != "application/problem+json":
            return f"{method} {path} as {role.value}: {answer.status_code} {answer.text[:200]}"
        return None

    wrong = [w for w in await asyncio.gather(*(check(*c) for c in checks)) if w]
    assert wrong == []


async def test_every_read_of_a_record_is_kept_to_the_callers_scope(
    system: Settings, gateway: httpx.AsyncClient, townships: tuple[Township, Township]
) -> None:
    a, b = townships
    openapi = (await gateway.get("/openapi.json")).json()
    reads = [(path, op) for method, path, op in _operations(openapi) if method == "GET"
             and (op.get("x-gb-scope-rule") in RECORD_RULES or op.get("x-gb-scope-rule") == "directory")
             and re.search(r"{\w+}", path)]
    # The record reads the issue found leaking, and the public directory, are all in the matrix.
    assert {p for p, _ in reads} >= {"/v1/members/{member_id}", "/v1/members/{member_id}/dues",
                                     "/v1/organisations/{org_id}/dues/ledger", "/v1/organisations/{org_id}/due-items",
                                     "/v1/development/cases/{person_id}", "/v1/branches/{branch_id}"}
    wrong: list[str] = []
    for path, op in reads:
        url = _fill(path, a)
        record = next((a.ids[n] for n in re.findall(r"{(\w+)}", path) if n in a.ids), None)
        public = op["x-gb-scope-rule"] == "directory"
        for role in (Role(r) for r in op["x-gb-roles"]):
            inside = await _call(gateway, "GET", url, a.token(system, role, record), _year(op))
            if inside.status_code == 403 or inside.status_code >= 500:
                wrong.append(f"{path} as {role.value} of A: {inside.status_code} {inside.text[:200]}")
            if role is Role.COUNTY_ADMIN:
                continue  # the county reaches everything: there is no "outside" token
            outsider = b.token(system, role, b.ids["person_id"] if "person_id" in path else None)
            outside = await _call(gateway, "GET", url, outsider, _year(op))
            if (outside.status_code == 403) == public or outside.status_code >= 500:
                wrong.append(f"{path} as {role.value} of B: {outside.status_code} {outside.text[:200]}")
    assert wrong == []


async def test_township_b_cannot_read_or_write_township_as_member_branch_dues_or_due_items(
    system: Settings, gateway: httpx.AsyncClient, townships: tuple[Township, Township]
) -> None:
    a, b = townships
    other, own = b.token(system, Role.TOWNSHIP_COMMITTEE), a.token(system, Role.TOWNSHIP_COMMITTEE)
    member, branch = a.ids["member_id"], a.ids["branch_id"]
    reads = [f"/v1/members/{member}", f"/v1/members/{member}/dues", f"/v1/members/{member}/personal-data",
             f"/v1/organisations/{branch}/dues/ledger?year={YEAR}", f"/v1/organisations/{branch}/due-items",
             f"/v1/organisations/{branch}/meeting-compliance?year={YEAR}",
             f"/v1/members?formal_org_id={branch}", f"/v1/transfers?org_id={branch}",
             f"/v1/development/cases?org_id={branch}", f"/v1/development/cases/{a.ids['person_id']}"]
    for path in reads:
        refused = await gateway.get(path, headers=other)
        assert refused.status_code == 403, f"{path}: {refused.status_code} {refused.text}"
        assert b.township in refused.json()["detail"], refused.json()
        assert (await gateway.get(path, headers=own)).status_code == 200, path
    # Writes on A's branch and member: refused to B by the write side.
    today = str(county_today())
    for path, body in ((f"/v1/organisations/{branch}/secretary", {"elected_on": today, "secretary_id": member}),
                       (f"/v1/members/{member}/contacts", {"contacted_on": today, "channel": "phone"})):
        assert (await gateway.post(path, json=body, headers=other)).status_code == 403, path


async def test_lists_hold_only_what_the_caller_reaches(
    system: Settings, gateway: httpx.AsyncClient, townships: tuple[Township, Township]
) -> None:
    a, b = townships
    for town, stranger in ((a, b), (b, a)):
        for role in (Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY):
            headers = town.token(system, role)
            members = {m["member_id"] for m in (await gateway.get("/v1/members", params={"limit": 500},
                                                                  headers=headers)).json()["items"]}
            assert {town.ids["member_id"], town.ids["mover"]} <= members
            assert not members & {stranger.ids["member_id"], stranger.ids["mover"]}
            cases = {c["person_id"] for c in (await gateway.get("/v1/development/cases", params={"limit": 500},
                                                                headers=headers)).json()["items"]}
            assert town.ids["person_id"] in cases and stranger.ids["person_id"] not in cases
            transfers = {t["transfer_id"] for t in (await gateway.get("/v1/transfers", params={"limit": 500},
                                                                      headers=headers)).json()["items"]}
            assert town.ids["transfer_id"] in transfers and stranger.ids["transfer_id"] not in transfers
    # The county's lists hold both townships.
    county = a.token(system, Role.COUNTY_ADMIN)
    found = {m["member_id"] for m in (await gateway.get("/v1/members", params={
        "formal_org_id": a.ids["branch_id"]}, headers=county)).json()["items"]}
    assert a.ids["member_id"] in found
    # Reports per township: a committee reads its own, never the other's.
    for path, key, year in (("/v1/reports/targets", "township", {"year": YEAR}),
                            ("/v1/reports/destinations", "home_org_id", {})):
        assert (await gateway.get(path, params={**year, key: b.township},
                                  headers=a.token(system, Role.TOWNSHIP_COMMITTEE))).status_code == 403
        assert (await gateway.get(path, params={**year, key: a.township},
                                  headers=a.token(system, Role.TOWNSHIP_COMMITTEE))).status_code == 200
