"""Bad input and forbidden actions on secondments and leads: a 4xx problem+json that says what to fix,
and nothing written to the owning service's event store."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer
from tests.e2e.secondment_steps import Seconded, cadre_body, lead_body, placement, post, second_a_cadre, signed_lead


@pytest.fixture(scope="module")
async def seconded(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> Seconded:
    return await second_a_cadre(gateway, admin_headers, departed_on="2025-03-01")


async def test_secondment_commands_with_bad_bodies_are_refused(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
    seconded: Seconded,
) -> None:
    nominate: dict[str, Any] = {"cadre_id": seconded.cadre_id, "route": "self_found", "placement": placement(),
                                "nominated_on": "2025-01-01"}
    for body in ({**nominate, "route": "by_lottery"}, {**nominate, "salary_paid_by_county": True},
                 {k: v for k, v in nominate.items() if k != "placement"}, {**nominate, "nominated_on": "yesterday"}):
        problem = await assert_refused(gateway, secondment_db, "/v1/secondments", 422, headers=admin_headers, json=body)
        assert problem["errors"], "a body error names the field to fix"
    await assert_refused(gateway, secondment_db, "/v1/secondments", 422, headers=admin_headers, content=b"{not json")
    await assert_refused(gateway, secondment_db, "/v1/secondments", 401, headers={}, json=nominate)
    # A rule: the cadre already has this secondment open.
    problem = await assert_refused(gateway, secondment_db, "/v1/secondments", 409, headers=admin_headers,
                                   json=nominate)
    assert seconded.secondment_id in problem["detail"]
    # The headcount cannot be negative; a unit must exist before its cadres.
    await assert_refused(gateway, secondment_db, f"/v1/units/{seconded.unit_id}/headcount", 422,
                         headers=admin_headers, json={"headcount": -1, "effective_from": "2025-01-01",
                                                      "reason": "typo"})
    await assert_refused(gateway, secondment_db, "/v1/cadres", 404, headers=admin_headers,
                         json=cadre_body("unit-that-does-not-exist"))


async def test_secondment_rules_and_roles_refuse_and_write_nothing(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
    seconded: Seconded,
) -> None:
    sid, own = seconded.secondment_id, bearer(system, Role.TOWNSHIP_COMMITTEE, seconded.township_id)
    # Post, rank and pay stay unchanged while away.
    problem = await assert_refused(gateway, secondment_db, f"/v1/cadres/{seconded.cadre_id}/post", 409, headers=own,
                                   json={"post": "head", "rank": "deputy section", "pay_grade": "grade 22",
                                         "changed_on": "2025-06-01"})
    assert "unchanged" in problem["detail"]
    # The term runs until 2027-02-28: ending earlier is an early end, which needs a request and approval.
    await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/end", 422, headers=own,
                         json={"outcome": "return_to_post", "last_day": "2025-09-30", "decided_on": "2025-09-30"})
    # Approvals are the county organisation department's; other townships cannot touch this cadre.
    await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/extension-decision", 403, headers=own,
                         json={"approved": True, "decided_on": "2025-09-30"})
    other = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-elsewhere")
    await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/check-ins", 403, headers=other,
                         json={"checked_in_on": "2025-05-01", "thinking": "fine", "work": "fine"})
    member = bearer(system, Role.MEMBER, subject=seconded.cadre_id)
    await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/check-ins", 403, headers=member,
                         json={"checked_in_on": "2025-05-01", "thinking": "fine", "work": "fine"})
    # Money is yuan to the fen; a capital contribution needs its amount.
    for body in ({"kind": "capital", "description": "plant", "contributed_on": "2025-05-01", "amount_yuan": "1.005"},
                 {"kind": "capital", "description": "plant", "contributed_on": "2025-05-01"}):
        await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/contributions", 422, headers=own,
                             json=body)
    # A date in the future is refused.
    await assert_refused(gateway, secondment_db, f"/v1/secondments/{sid}/check-ins", 422, headers=own,
                         json={"checked_in_on": "2099-01-01", "thinking": "fine", "work": "fine"})
    await assert_refused(gateway, secondment_db, "/v1/secondments/no-such-secondment/check-ins", 404, headers=own,
                         json={"checked_in_on": "2025-05-01", "thinking": "fine", "work": "fine"})


async def test_lead_commands_with_bad_input_or_no_right_are_refused(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], investment_db: asyncpg.Pool,
    seconded: Seconded,
) -> None:
    township = seconded.township_id
    body = lead_body(township)
    for bad in ({**body, "promised_amount": "a lot"}, {**body, "kind": "favour"}, {**body, "referral_fee": 1},
                {k: v for k, v in body.items() if k != "investor"}):
        await assert_refused(gateway, investment_db, "/v1/leads", 422, headers=admin_headers, json=bad)
    for bad in ({**body, "promised_amount": "-5"}, {**body, "registered_on": "2099-01-01"},
                {**body, "registrant_name": body["investor"]}):  # an investor cannot refer themselves
        problem = await assert_refused(gateway, investment_db, "/v1/leads", 422, headers=admin_headers, json=bad)
        assert problem["detail"]
    # A member registers leads under their own name, never as a branch; a secretary only for its branch.
    member = bearer(system, Role.MEMBER, subject="member-7")
    await assert_refused(gateway, investment_db, "/v1/leads", 403, headers=member, json=body)
    secretary = bearer(system, Role.BRANCH_SECRETARY, "branch-other")
    await assert_refused(gateway, investment_db, "/v1/leads", 403, headers=secretary, json=body)
    await assert_refused(gateway, investment_db, "/v1/leads", 403, headers=bearer(system, Role.HOST_ORGANISATION, "h"),
                         json=body)

    lead_id = await signed_lead(gateway, admin_headers, lead_body(township))
    await post(gateway, f"/v1/leads/{lead_id}/funds", {"amount": "100000", "arrived_on": "2024-07-01",
                                                       "reference": "V-1"}, admin_headers)
    # The same voucher twice; backwards in the pipeline; landing by a member; a reward before landing.
    await assert_refused(gateway, investment_db, f"/v1/leads/{lead_id}/funds", 409, headers=admin_headers,
                         json={"amount": "100000", "arrived_on": "2024-07-02", "reference": "V-1"})
    await assert_refused(gateway, investment_db, f"/v1/leads/{lead_id}/progress", 409, headers=admin_headers,
                         json={"to_stage": "contacted", "advanced_on": "2024-07-03"})
    await assert_refused(gateway, investment_db, f"/v1/leads/{lead_id}/landing", 403, headers=member,
                         json={"completed_on": "2024-08-01", "actual_fixed_investment": "1000000"})
    await assert_refused(gateway, investment_db, f"/v1/leads/{lead_id}/reward-claims", 422, headers=admin_headers,
                         json={"claimant_id": "branch-x", "claimed_on": "2024-08-01"})
    await assert_refused(gateway, investment_db, f"/v1/leads/{lead_id}/progress", 403, headers=secretary,
                         json={"to_stage": "signed", "advanced_on": "2024-07-03"})
