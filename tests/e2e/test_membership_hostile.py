"""Hostile review of the membership domain on the running system (2026-12-02): a township keeping its member's dues
in another township's ledger, a dues account for no member at all, a transfer "outside the county" into a branch
here, texts long enough to bury a record, and a fuzzing of every membership route as each role with no 5xx and no
dead letter."""

from __future__ import annotations

from itertools import product
from typing import Any

import asyncpg
import httpx
import requests
import schemathesis
from schemathesis import GenerationMode

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.pure.dates import month_of, shift_month
from services.pure.identity import Role
from tests.e2e.conftest import (
    a_township,
    assert_refused,
    bearer,
    branch_body,
    eventually,
    member_body,
    outflow_body,
)
from tests.e2e.secondment_steps import get, post
from tests.e2e.test_secondment_investment_hostile import _fuzz


class Township:
    """A township committee of its own with one outstation branch and its secretary."""

    def __init__(self, system: Settings, township: str, branch: str) -> None:
        self.id, self.branch = township, branch
        self.committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)
        self.secretary = bearer(system, Role.BRANCH_SECRETARY, branch)


async def _township(system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> Township:
    township = (await a_township(gateway, admin_headers))[1]
    branch = (await post(gateway, "/v1/branches", branch_body(home_org_id=township), admin_headers))["id"]
    return Township(system, township, str(branch))


async def _member(gateway: httpx.AsyncClient, town: Township) -> str:
    return str((await post(gateway, "/v1/members", member_body(town.branch), town.secretary))["id"])


def _account(org_id: str) -> dict[str, Any]:
    return {"org_id": org_id, "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"}


async def test_a_township_cannot_keep_its_members_dues_in_another_townships_ledger(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    """Before, a township committee opened its member's account at another township's branch (201): that branch's
    ledger then owed and collected the member's dues. The county opened accounts for no member and at no
    organisation at all. Now the account is kept by the member's formal organisation only."""
    one, other = await _township(system, gateway, admin_headers), await _township(system, gateway, admin_headers)
    member = await _member(gateway, one)
    path = f"/v1/members/{member}/dues/account"
    problem = await assert_refused(gateway, membership_db, path, 422, headers=one.committee,
                                   json=_account(other.branch))
    assert f"give org_id {one.branch}" in problem["detail"]
    await assert_refused(gateway, membership_db, path, 422, headers=admin_headers, json=_account("no-such-org"))
    await assert_refused(gateway, membership_db, "/v1/members/nobody-here/dues/account", 404, headers=admin_headers,
                         json=_account(one.branch))

    opened = await post(gateway, path, _account(one.branch), one.committee)
    statement = await get(gateway, f"/v1/members/{member}/dues", one.secretary, year=2026,
                          min_position=opened["position"])
    assert statement["account"]["org_id"] == one.branch


async def test_six_months_paid_in_advance_cannot_be_doubled_by_a_second_payment(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    """Before, the six-month prepayment limit held for one payment only: a second payment the same day took the
    seventh month ahead (and a third the thirteenth)."""
    one = await _township(system, gateway, admin_headers)
    member = await _member(gateway, one)
    today = county_today()
    current = month_of(today)
    await post(gateway, f"/v1/members/{member}/dues/account", {**_account(one.branch), "owed_from": current},
               one.secretary)
    payments = f"/v1/members/{member}/dues/payments"
    await post(gateway, payments, {"months": [shift_month(current, n) for n in range(7)], "amount": "280.00",
                                   "paid_on": str(today), "branch_consent": True}, one.secretary)
    problem = await assert_refused(gateway, membership_db, payments, 422, headers=one.secretary, json={
        "months": [shift_month(current, 7)], "amount": "40.00", "paid_on": str(today)})
    assert "at most 6 months may be paid in advance" in problem["detail"]


async def test_a_transfer_outside_the_county_cannot_name_a_branch_of_the_county(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    """Before, to_external naming another township's branch was requested, approved and received: the member's
    formal organisation became that branch while their record said they had left the county."""
    one, other = await _township(system, gateway, admin_headers), await _township(system, gateway, admin_headers)
    member = await _member(gateway, one)
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{member}/transfers", 422,
                                   headers=one.secretary, json={
                                       "to_external": {"org_id": other.branch, "name": "Some committee",
                                                       "address": "Suzhou, Jiangsu"}, "reason": "moved for work"})
    assert "to_org_id instead of to_external" in problem["detail"]
    # Inside the county, the transfer names the branch in to_org_id and goes through its receiving side.
    requested = await post(gateway, f"/v1/members/{member}/transfers",
                           {"to_org_id": other.branch, "reason": "moved for work"}, one.secretary)
    assert requested["id"]


async def test_a_text_pasted_into_a_membership_command_is_refused_without_being_repeated(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    """Before, a 100,000-character assessment summary and a 5,000-character letter number were recorded (201), and
    the letter number was quoted back whole in every later 409."""
    one = await _township(system, gateway, admin_headers)
    member = await _member(gateway, one)
    transfer = (await post(gateway, f"/v1/members/{member}/transfers",
                           {"to_external": {"org_id": "ext-suzhou", "name": "Suzhou SIP committee",
                                            "address": "Suzhou, Jiangsu"}, "reason": "moved for work"},
                           one.secretary))["id"]
    today = str(county_today())
    problem = await assert_refused(
        gateway, membership_db, f"/v1/members/{member}/transfers/{transfer}/approval", 422, headers=one.committee,
        json={"letter_number": "组转字" * 2_000, "channel": "paper", "issued_on": today, "dues_paid_up_to": "2026-10"})
    assert "letter_number is 6,000 characters long" in problem["detail"] and "组转字" not in problem["detail"]
    applied = await post(gateway, "/v1/development/cases", {
        "name": "Zhang Min", "birth_date": "1996-04-18", "contact": {"phone": "+86 137 0000 1111"},
        "org_id": one.branch, "route": "mobile_member_organisation", "is_mobile": True, "applied_on": "2024-01-10"},
        one.secretary)
    case = f"/v1/development/cases/{applied['id']}"
    await post(gateway, f"{case}/interview", {"interviewer": member, "interviewed_on": "2024-01-25"}, one.secretary)
    await post(gateway, f"{case}/activist", {"nomination": "members", "decided_by": "general_meeting",
                                             "designated_on": "2024-03-01", "filed_with_org_id": one.id},
               one.secretary)
    problem = await assert_refused(gateway, membership_db, f"{case}/assessments", 422, headers=one.secretary,
                                   json={"assessed_on": "2024-08-30", "summary": "x" * 100_000})
    assert "summary is 100,000 characters long; it takes at most 2,000" in problem["detail"]


#: The routes of this review: branches, organisations, members, inflows, transfers, development, dues, meetings.
_OURS = ("/v1/branches", "/v1/organisations", "/v1/host-organisations", "/v1/members", "/v1/inflows",
         "/v1/transfers", "/v1/development", "/v1/dues", "/v1/meetings", "/v1/policies/membership")


async def test_fuzzing_the_membership_routes_as_each_role_gives_no_5xx_and_no_dead_letter(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    read_db: asyncpg.Pool,
) -> None:
    """schemathesis on these routes only (the secondment review's fuzzing), as a township committee, a branch
    secretary, a member and a host organisation of real records (the county fuzzes every route in test_api_fuzz.py):
    no 5xx, and nothing it got accepted is refused by the projector."""
    town = await _township(system, gateway, admin_headers)
    member = await _member(gateway, town)
    base = f"http://127.0.0.1:{system.gateway_port}"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(_OURS)]
    assert len(operations) >= 60, [op.path for op in operations]
    tokens = [town.committee, town.secretary, bearer(system, Role.MEMBER, None, member),
              bearer(system, Role.HOST_ORGANISATION, "host-fuzz")]
    # Other tests put poison on the topic on purpose (test_first_slice.py): only what this fuzzing caused counts.
    dead_before = len(await read_db.fetch("SELECT 1 FROM dead_letters WHERE topic = 'gb.membership.events'"))
    errors: list[str] = []
    with requests.Session() as session:
        for op, auth, mode in product(operations, tokens, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
            _fuzz(op, mode, base, session, auth, errors)
    assert not errors, "\n".join(errors[:20])
    positions = [r["position"] for r in await membership_db.fetch("SELECT position FROM events")]

    async def all_applied() -> bool:
        applied = await read_db.fetchval("SELECT count(*) FROM applied_events WHERE source = $1"
                                         " AND position = ANY($2::bigint[])", MEMBERSHIP.source, positions)
        return bool(applied == len(positions))

    await eventually(all_applied, timeout=60, what="every membership event projected")
    dead = await read_db.fetch("SELECT topic, reason FROM dead_letters WHERE topic = 'gb.membership.events'")
    assert len(dead) == dead_before, [dict(r) for r in dead]



async def test_a_member_reports_only_to_an_organisation_on_record(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool) -> None:
    branch = await post(gateway, "/v1/branches", branch_body(), admin_headers)
    member = await post(gateway, "/v1/members", member_body(branch["id"]), admin_headers)
    await post(gateway, f"/v1/members/{member['id']}/outflows", outflow_body(expected_months=3), admin_headers)
    path = f"/v1/members/{member['id']}/host-reports"
    report = {"host_org_id": "host-nowhere", "reported_on": "2026-10-10"}
    problem = await assert_refused(gateway, membership_db, path, 404, headers=admin_headers, json=report)
    assert "host-nowhere does not exist" in problem["detail"]
    taken = await gateway.post(path, headers=admin_headers, json={**report, "host_org_id": branch["id"]})
    assert taken.status_code == 201, taken.text


async def test_an_id_one_kind_of_record_holds_is_no_record_of_another_kind(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    # A record's stream is named by its id, and a host organisation's id is the county's to choose. Found by a
    # hostile walkthrough (2026-12-04): every member command on a host organisation's id answered 500 (the host's
    # events folded as a member's), and so did registering a host organisation under a member's id.
    town = await _township(system, gateway, admin_headers)
    member = await _member(gateway, town)
    today = county_today().isoformat()
    host = {"name": "龙华街道党工委", "locality": "广东省深圳市龙华区", "registered_on": today}
    host_id = str((await post(gateway, "/v1/host-organisations", {**host, "org_id": f"host-{member[:8]}"},
                              admin_headers))["id"])
    suspension = {"suspended_on": today, "reason": "长期不参加组织生活"}
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{host_id}/suspension", 404,
                                   headers=admin_headers, json=suspension)
    assert host_id in problem["detail"]
    problem = await assert_refused(gateway, membership_db, "/v1/host-organisations", 409, headers=admin_headers,
                                   json={**host, "org_id": member})
    assert "already used by another record" in problem["detail"]
    problem = await assert_refused(gateway, membership_db, "/v1/host-organisations", 422, headers=admin_headers,
                                   json={**host, "org_id": f"dues-{member}"})  # the member's dues account's name
    assert "keeps for its own records" in problem["detail"]
    kinds = await membership_db.fetch("SELECT DISTINCT stream_type FROM events WHERE stream_id = $1", member)
    assert [k["stream_type"] for k in kinds] == ["member"]
    contact = {"contacted_on": today, "channel": "phone"}
    await post(gateway, f"/v1/members/{member}/contacts", contact, admin_headers)  # the member's record works
