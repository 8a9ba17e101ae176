"""A county setting published today, effective next 1 January (2027-01-01 as this is written), on the real system.

What can be shown on a running system, and why this way. A fact dated after today is refused by the recording
rule (docs/decisions/effective-dates.md), so no real command can be dated 2027-01-01 while the county's day is
earlier; and a change never takes effect on or before the day it is published, so a system put at a later
instant (GB_CLOCK_AT, tests/e2e/test_one_clock.py) could not publish a change effective that day either — it
would need the same store first at one instant and then at another. So this test shows, on the real services:

* the publication goes through the gateway to membership and is stored on its hash-chained ``policy`` stream;
* the policy in force, read back from that store for 2026-12-31 and for 2027-01-01, is the old value the day
  before and the new value from the day on (``GET /v1/audit/policies/membership?on=…``, computed by the same
  ``in_force`` the handlers call);
* a real fact recorded today (a transfer letter) is still decided by the old value, though the change is
  already published, and records the old version;
* a change effective today, an unknown setting, a wrong type and a caller who is not the county are refused
  (422 naming the field, 403) and write nothing.

That a *decision* dated on or after the effective day takes the new value is shown by the real handlers on an
in-memory store (tests/unit/secondment/test_policy_publication.py: 停薪留职 refused on 2026-12-31, granted on
2027-01-01 under version ``secondment-2026.1+secondment.1``) and at the edge by hypothesis
(tests/unit/membership/test_policy_publication.py, tests/unit/pure/test_policy_data.py).

The change stays in the session's store, whose data folder each test run makes afresh; every other e2e test's
facts are dated today or earlier, so none of them is decided by it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from services.kernel import clock
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, member_body

TODAY = clock.today()
NEW_YEAR = date(TODAY.year + 1, 1, 1)
EVE = NEW_YEAR - timedelta(days=1)


async def post(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.text}"
    return dict(response.json())


async def in_force(gateway: httpx.AsyncClient, on: date, headers: dict[str, str]) -> dict[str, Any]:
    response = await gateway.get("/v1/audit/policies/membership", params={"on": str(on)}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_change_published_today_effective_next_new_year_applies_from_that_day_only(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    reason = f"county notice {uuid.uuid4().hex[:8]}: letters valid 60 days"
    # The county's day when published: read around the command, as the day may turn meanwhile (16:00 UTC).
    days = {str(clock.today())}
    published = await post(gateway, "/v1/policies/membership", {
        "policy": "mobility", "effective_from": str(NEW_YEAR), "changes": {"letter_validity_days": 60},
        "reason": reason}, admin_headers)
    assert published["stream_id"] == "policy"

    eve, new_year = await in_force(gateway, EVE, admin_headers), await in_force(gateway, NEW_YEAR, admin_headers)
    [ours] = [c for c in new_year["changes"] if c["reason"] == reason]
    days.add(str(clock.today()))
    assert (ours["effective_from"], ours["changes"]) == (str(NEW_YEAR), {"letter_validity_days": 60})
    assert ours["published_on"] in days
    assert eve["policies"]["mobility"]["settings"]["letter_validity_days"] == 90
    assert eve["policies"]["mobility"]["version"] == "mobility-2026.1"
    assert new_year["policies"]["mobility"]["settings"]["letter_validity_days"] == 60
    # Changes of one day apply in publication order: this run's is the last, so its version is the one in force.
    assert new_year["policies"]["mobility"]["version"] == f"mobility-2026.1+{ours['change_id']}"
    assert new_year["policies"]["organisation"]["version"] == "organisation-2026.1"

    # A real fact recorded today, after the publication: the letter is valid 90 days, under the old version.
    home = (await post(gateway, "/v1/branches", branch_body(established_on="2023-01-01"), admin_headers))["id"]
    other = (await post(gateway, "/v1/branches", branch_body(established_on="2023-01-01"), admin_headers))["id"]
    member = (await post(gateway, "/v1/members", member_body(home), admin_headers))["id"]
    transfer = (await post(gateway, f"/v1/members/{member}/transfers",
                           {"to_org_id": other, "reason": "settled in Dongguan"}, admin_headers))["id"]
    issued = clock.today()  # not TODAY, read when the module was imported: the county's day may have turned since
    await post(gateway, f"/v1/members/{member}/transfers/{transfer}/approval", {
        "letter_number": f"QT-{uuid.uuid4().hex[:6]}", "channel": "paper", "issued_on": str(issued),
        "dues_paid_up_to": f"{issued.year}-{issued.month:02d}"},
        bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test"))
    events = (await gateway.get(f"/v1/audit/streams/{member}", headers=admin_headers)).json()["events"]
    [letter] = [e["data"] for e in events if e["type"] == "gb.membership.transfer_letter_issued.v1"]
    assert (letter["valid_until"], letter["policy_version"]) == (str(issued + timedelta(days=90)), "mobility-2026.1")


async def test_a_change_effective_today_or_of_an_unknown_setting_or_type_or_by_another_role_is_refused(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    secondment_db: asyncpg.Pool,
) -> None:
    def change(**overrides: Any) -> dict[str, Any]:
        return {"policy": "mobility", "effective_from": str(NEW_YEAR), "changes": {"letter_validity_days": 60},
                "reason": "county notice", **overrides}

    today = await assert_refused(gateway, membership_db, "/v1/policies/membership", 422, headers=admin_headers,
                                 json=change(effective_from=str(TODAY)))
    assert today["field"] == "effective_from"
    unknown = await assert_refused(gateway, membership_db, "/v1/policies/membership", 422, headers=admin_headers,
                                   json=change(changes={"letter_validity": 60}))
    assert unknown["field"] == "letter_validity" and "letter_validity" in unknown["detail"]
    wrong = await assert_refused(gateway, secondment_db, "/v1/policies/secondment", 422, headers=admin_headers,
                                 json=change(policy="secondment", changes={"unpaid_leave_allowed": "yes"}))
    assert wrong["field"] == "unpaid_leave_allowed"
    await assert_refused(gateway, membership_db, "/v1/policies/membership", 403, json=change(),
                         headers=bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test"))
    refused_read = await gateway.get("/v1/audit/policies/membership",
                                     headers=bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test"))
    assert refused_read.status_code == 403
