"""A caller cannot widen its own scope by naming records into it: found by a hostile review (2026-12-02).

Scope comes from where a record is (services/pure/scope.py), and some of that place is named by commands: a unit's
township, an organisation's id, the host a member reported to. Each test is one way a township committee or a host
organisation could have moved someone else's records into its own reach, refused now, with nothing written and the
record still out of reach; and the legitimate way to record the same fact still accepted.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import a_township, assert_refused, bearer, branch_body, member_body, outflow_body
from tests.e2e.secondment_steps import post, second_a_cadre, unique


async def status_of(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> int:
    return (await gateway.get(path, headers=headers, params=params)).status_code


async def test_a_township_cannot_register_a_unit_into_another_townships_register(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings,
        secondment_db: asyncpg.Pool) -> None:
    ta = unique("township-a")
    b = await second_a_cadre(gateway, admin_headers, township_id=unique("township-b"))
    a = bearer(system, Role.TOWNSHIP_COMMITTEE, ta)
    unit = {"name": "Decoy station", "kind": "station", "headcount": 500, "effective_from": "2024-01-01"}
    # A unit named after A in B's register would have read A's token as a unit of B.
    await assert_refused(gateway, secondment_db, "/v1/units", 403, headers=a,
                         json={**unit, "unit_id": ta, "township_id": b.township_id})
    # B's id as a unit of A would have read B's token as a unit of A.
    await assert_refused(gateway, secondment_db, "/v1/units", 422, headers=a,
                         json={**unit, "unit_id": b.township_id, "township_id": ta})
    # A unit's own token cannot vouch for the township it would join.
    unit_token = bearer(system, Role.TOWNSHIP_COMMITTEE, unique("unit"))
    await assert_refused(gateway, secondment_db, "/v1/units", 403, headers=unit_token,
                         json={**unit, "unit_id": unique("unit"), "township_id": b.township_id})
    assert await status_of(gateway, f"/v1/cadres/{b.cadre_id}", a, min_position=b.position) == 403
    assert await status_of(gateway, f"/v1/secondments/{b.secondment_id}", a) == 403
    # A registers its own units, and B's committee still reads its own cadre.
    await post(gateway, "/v1/units", {**unit, "unit_id": unique("unit"), "township_id": ta}, a)
    b_token = bearer(system, Role.TOWNSHIP_COMMITTEE, b.township_id)
    assert await status_of(gateway, f"/v1/cadres/{b.cadre_id}", b_token) == 200


async def test_a_township_cannot_record_an_organisation_under_an_id_branches_name_as_their_home(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings,
        membership_db: asyncpg.Pool) -> None:
    (county, ta), unrecorded = await a_township(gateway, admin_headers), unique("township-unrecorded")
    branch = await post(gateway, "/v1/branches", branch_body(home_org_id=unrecorded), admin_headers)
    member = await post(gateway, "/v1/members", member_body(branch["id"]), admin_headers)
    a = bearer(system, Role.TOWNSHIP_COMMITTEE, ta)
    await assert_refused(gateway, membership_db, "/v1/organisations", 403, headers=a, json={
        "org_id": unrecorded, "name": "Decoy", "kind": "general_branch", "parent_id": ta,
        "established_on": "2026-06-01"})
    assert await status_of(gateway, f"/v1/members/{member['id']}", a, min_position=member["position"]) == 403
    # Membership checks this one against its own store, where the member already is: it takes no position.
    assert await status_of(gateway, f"/v1/members/{member['id']}/personal-data", a) == 403
    own = bearer(system, Role.TOWNSHIP_COMMITTEE, unrecorded)
    assert await status_of(gateway, f"/v1/members/{member['id']}", own) == 200
    # The county records the township itself; its committee keeps its members.
    recorded = await post(gateway, "/v1/organisations", {
        "org_id": unrecorded, "name": "Township", "kind": "township_committee", "parent_id": county,
        "approval_authority": True, "established_on": "2026-06-01"}, admin_headers)
    assert await status_of(gateway, f"/v1/members/{member['id']}", own, min_position=recorded["position"]) == 200
    assert await status_of(gateway, f"/v1/members/{member['id']}", a) == 403


async def test_a_host_records_a_members_report_only_with_the_certificate_the_member_presented(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings,
        membership_db: asyncpg.Pool) -> None:
    _, township = await a_township(gateway, admin_headers)
    branch = await post(gateway, "/v1/branches", branch_body(home_org_id=township), admin_headers)
    member_id = (await post(gateway, "/v1/members", member_body(branch["id"]), admin_headers))["id"]
    await post(gateway, f"/v1/members/{member_id}/outflows", outflow_body(expected_months=3), admin_headers)
    hosts = [unique("host"), unique("host")]
    for host in hosts:
        await post(gateway, "/v1/host-organisations", {"org_id": host, "name": "Host", "locality": "Dongguan",
                                                       "registered_on": "2026-10-01"}, admin_headers)
    first, second = (bearer(system, Role.HOST_ORGANISATION, h) for h in hosts)
    report = {"host_org_id": hosts[0], "reported_on": "2026-10-10"}
    path = f"/v1/members/{member_id}/host-reports"
    await assert_refused(gateway, membership_db, path, 403, headers=first, json=report)
    number = unique("LD")
    certificate = await post(gateway, f"/v1/members/{member_id}/certificates", {
        "certificate_number": number, "issued_on": "2026-10-02", "reason": "seasonal factory work",
        "destination": "Dongguan", "period_months": 3}, admin_headers)
    assert await status_of(gateway, f"/v1/members/{member_id}/dues", first,
                           min_position=certificate["position"]) == 403
    await assert_refused(gateway, membership_db, path, 403, headers=first,
                         json={**report, "certificate_number": "LD-wrong"})
    received = await post(gateway, path, {**report, "certificate_number": number}, first)
    # Received by the first host, the member is not the second's to take, certificate or not.
    await assert_refused(gateway, membership_db, path, 403, headers=second,
                         json={"host_org_id": hosts[1], "reported_on": "2026-10-11", "certificate_number": number})
    assert await status_of(gateway, f"/v1/members/{member_id}/dues", second,
                           min_position=received["position"]) == 403
