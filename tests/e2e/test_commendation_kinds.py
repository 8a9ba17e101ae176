"""Commendation by capital, projects or talent on the real system: contributions recorded through the gateway
propose a commendation when a counted kind reaches its threshold, and the secondment read names the kinds, the
figures and the policy version; the county's settings are checked at the door (422 naming the field)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer
from tests.e2e.secondment_steps import get, post, second_a_cadre


def contribution(kind: str, day: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "description": f"{kind} brought to the county", "contributed_on": day, **more}


async def test_projects_or_talent_reaching_their_thresholds_propose_a_commendation_naming_the_kind(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
) -> None:
    projects = await second_a_cadre(gateway, admin_headers)
    talent = await second_a_cadre(gateway, admin_headers)
    sending = bearer(system, Role.TOWNSHIP_COMMITTEE, projects.township_id)
    path = f"/v1/secondments/{projects.secondment_id}"

    first = await post(gateway, f"{path}/contributions", contribution("project", "2025-01-10"), sending)
    view = await get(gateway, path, sending, min_position=first["position"])
    assert (view["projects"], view["commendation"]) == (1, None)
    second = await post(gateway, f"{path}/contributions", contribution("project", "2025-03-01"), sending)
    view = await get(gateway, path, sending, min_position=second["position"])
    assert view["commendation_proposed_on"] == "2025-03-01"
    commendation = view["commendation"]
    assert (commendation["qualified"], commendation["projects"], commendation["project_threshold"]) == (
        ["project"], 2, 2)
    assert commendation["counted"] == ["capital", "project", "talent"]
    assert commendation["policy_version"].startswith("secondment-2026.1")
    assert commendation["reason"] == "major contribution: projects 2 (threshold 2)"

    # People belong to talent contributions only (422, nothing written).
    await assert_refused(gateway, secondment_db, f"{path}/contributions", 422, headers=sending,
                         json=contribution("project", "2025-04-01", people=3))

    tpath = f"/v1/secondments/{talent.secondment_id}"
    tsending = bearer(system, Role.TOWNSHIP_COMMITTEE, talent.township_id)
    await post(gateway, f"{tpath}/contributions", contribution("talent", "2025-02-01", people=3), tsending)
    done = await post(gateway, f"{tpath}/contributions", contribution("talent", "2025-05-01", people=2), tsending)
    view = await get(gateway, tpath, tsending, min_position=done["position"])
    assert (view["talent_people"], view["commendation"]["qualified"], view["commendation"]["talent_people"]) == (
        5, ["talent"], 5)
    assert [c["people"] for c in view["contributions"]] == [3, 2]


async def test_the_county_publishes_commendation_kinds_and_thresholds_checked_at_the_door(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
) -> None:
    def change(changes: dict[str, Any]) -> dict[str, Any]:
        return {"policy": "secondment", "effective_from": "2099-01-01", "changes": changes, "reason": "test"}

    unknown_kind = await assert_refused(gateway, secondment_db, "/v1/policies/secondment", 422,
                                        headers=admin_headers, json=change({"commendation_kinds": ["technology"]}))
    assert unknown_kind["field"] == "commendation_kinds[0]" and "capital, project, talent" in unknown_kind["detail"]
    zero = await assert_refused(gateway, secondment_db, "/v1/policies/secondment", 422, headers=admin_headers,
                                json=change({"commendation_project_threshold": 0}))
    assert "commendation_project_threshold must be positive" in zero["detail"]
