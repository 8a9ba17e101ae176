"""A bureau's own system follows the service cases as a partner (issue 13 item 1): the labour bureau, registered
as a partner for one township with a Kafka subscription to goldenbridge.service_case.step.v1, reads each step of
a micro-credit case on its own topic with its own principal — and nothing of another township's case."""

from __future__ import annotations

import uuid

import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, eventually
from tests.e2e.test_partner_router import ROUTED_WAIT, created, provisioned, read_feed, register_partner

CASE = "goldenbridge.service_case.step.v1"
CONSENT = ["register", "services", "share_with_bureaus"]


async def _case(gateway: httpx.AsyncClient, committee: dict[str, str], township: str, kind: str) -> str:
    today = str(county_today())
    worker = await created(gateway, "/v1/migrant-workers", {
        "township_id": township, "village": "Xicun", "consent_scope": CONSENT, "consent_on": today,
        "registered_on": today}, committee)
    case = await created(gateway, "/v1/service-cases", {"worker_id": worker, "kind": kind, "requested_on": today},
                         committee)
    await created(gateway, f"/v1/service-cases/{case}/referral", {"referred_on": today}, committee)
    return case


async def test_the_labour_bureaus_system_reads_its_townships_case_steps_on_its_own_topic(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    run = uuid.uuid4().hex[:6]
    county, towns = f"county-sc-{run}", [f"township-sc-{run}-{n}" for n in (1, 2)]
    await created(gateway, "/v1/organisations", {
        "org_id": county, "name": f"County {run}", "kind": "county_committee", "parent_id": None,
        "approval_authority": True, "established_on": "2026-01-05"}, admin_headers)
    for town in towns:
        await created(gateway, "/v1/organisations", {
            "org_id": town, "name": f"Township {town}", "kind": "township_committee", "parent_id": county,
            "approval_authority": True, "established_on": "2026-01-05"}, admin_headers)
    partner = f"labour-{run}"
    await register_partner(gateway, admin_headers, partner, townships=[towns[0]], event_types=[CASE],
                           personal_data="none", types=[CASE])
    await provisioned(gateway, admin_headers, partner)
    # The other township's case first: were it routed to this partner, it would be there before this one's.
    other = await _case(gateway, bearer(system, Role.TOWNSHIP_COMMITTEE, towns[1]), towns[1], "micro_credit")
    mine = await _case(gateway, bearer(system, Role.TOWNSHIP_COMMITTEE, towns[0]), towns[0], "micro_credit")
    labour = bearer(system, Role.LABOUR_BUREAU, "county-labour-bureau")
    await created(gateway, f"/v1/service-cases/{mine}/documents", {
        "document_number": f"RS-{run}", "amount": "20000", "issued_on": str(county_today())}, labour)

    async def steps() -> list[dict[str, object]] | None:
        events = [r.event for r in await read_feed(gateway, admin_headers, partner)]
        return events if len(events) >= 2 else None

    events = await eventually(steps, what="the case's steps on the partner topic", timeout=ROUTED_WAIT)
    assert {e["subject"] for e in events} == {f"case/{mine}"}, f"only its township's case, not case/{other}"
    assert [(e["type"], e["data"]["step"]) for e in events] == [(CASE, "referred"), (CASE, "issued")]
    issued = events[1]["data"]
    assert (issued["document_number"], issued["amount"], issued["bureau"], issued["township_id"]) == (
        f"RS-{run}", "20000", "labour_bureau", towns[0])
