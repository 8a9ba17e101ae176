"""No phone or ID number reaches the migrant-worker services' or the partners' events on the real system: an ID
paper's own number, a phone in a note, a reference or a village, and a phone as a partner's contact are each
refused with a problem+json 422 that says what to record instead, and nothing is appended (docs/workers.md,
docs/partners.md; the check is services/pure/personal_text.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import a_township, assert_refused, bearer
from tests.e2e.secondment_steps import post

CONSENT = ["register", "services", "share_with_bureaus", "labour_export"]
ID_NUMBER = "11010519491231002X"
PHONE = "+86 138-0013-8000"
CASE_TYPE = "goldenbridge.service_case.step.v1"


@pytest.fixture(scope="module")
async def township(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    return (await a_township(gateway, admin_headers))[1]


async def _referred_case(gateway: httpx.AsyncClient, committee: dict[str, str], township: str, kind: str
                         ) -> dict[str, Any]:
    today = str(county_today())
    worker = await post(gateway, "/v1/migrant-workers", {
        "township_id": township, "village": "Dongcun", "consent_scope": CONSENT, "consent_on": today,
        "registered_on": today}, committee)
    case = await post(gateway, "/v1/service-cases", {"worker_id": worker["id"], "kind": kind, "requested_on": today},
                       committee)
    referred = await post(gateway, f"/v1/service-cases/{case['id']}/referral", {"referred_on": today}, committee)
    return {"id": case["id"], "worker_id": worker["id"], "position": referred["position"]}


def _says(problem: dict[str, Any], field: str, instead: str) -> None:
    """The 422 names the field and what to record instead, and repeats no number."""
    detail = str(problem["detail"])
    assert detail.startswith(f"{field} holds what looks like"), detail
    assert instead in detail, detail
    assert not any(c.isdigit() for c in detail), detail


async def _case_row(gateway: httpx.AsyncClient, case: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = await gateway.get(f"/v1/service-cases/{case['id']}", params={"min_position": case["position"]},
                               headers=headers)
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()
    return row


async def test_an_id_papers_own_number_is_refused_and_the_receipt_number_recorded(
    system: Settings, gateway: httpx.AsyncClient, workers_db: asyncpg.Pool, township: str
) -> None:
    committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)
    labour = bearer(system, Role.LABOUR_BUREAU, "county-labour-bureau")
    case = await _referred_case(gateway, committee, township, "papers")
    stream = f"case-{case['id']}"
    version = await workers_db.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", stream)
    today = str(county_today())
    for number in (ID_NUMBER, f"身份证 {ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}", "１３８００１３８０００"):
        problem = await assert_refused(gateway, workers_db, f"/v1/service-cases/{case['id']}/documents", 422,
                                       headers=labour, json={"document_number": number, "issued_on": today})
        _says(problem, "document_number", "acceptance receipt")
    assert await workers_db.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", stream) == version
    row = await _case_row(gateway, case, labour)
    assert (row["stage"], row["document_number"]) == ("referred", None)

    issued = await post(gateway, f"/v1/service-cases/{case['id']}/documents",
                         {"document_number": f"SL-{case['id'][:8]}", "issued_on": today}, labour)
    row = await _case_row(gateway, {**case, "position": issued["position"]}, labour)
    assert (row["stage"], row["document_number"]) == ("issued", f"SL-{case['id'][:8]}")


async def test_a_phone_or_id_number_in_any_text_of_a_workers_command_is_refused_and_nothing_appended(
    system: Settings, gateway: httpx.AsyncClient, workers_db: asyncpg.Pool, township: str
) -> None:
    committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)
    justice = bearer(system, Role.JUSTICE_BUREAU, "county-justice-bureau")
    today = str(county_today())
    register = {"township_id": township, "village": "Dongcun", "consent_scope": CONSENT, "consent_on": today,
                "registered_on": today}
    for field, value, instead in (("village", f"Dongcun, tel {PHONE}", "the village's name"),
                                  ("skills", ["masonry", ID_NUMBER], "each skill by name")):
        problem = await assert_refused(gateway, workers_db, "/v1/migrant-workers", 422, headers=committee,
                                       json={**register, field: value})
        _says(problem, field, instead)

    case = await _referred_case(gateway, committee, township, "legal_aid")
    problem = await assert_refused(gateway, workers_db, "/v1/service-cases", 422, headers=committee, json={
        "worker_id": case["worker_id"], "kind": "training", "requested_on": today,
        "note": f"call the worker back on {PHONE}"})
    _says(problem, "note", "what the case is about, in words")
    problem = await assert_refused(gateway, workers_db, f"/v1/service-cases/{case['id']}/decision", 422,
                                   headers=justice, json={"granted": True, "reference": ID_NUMBER,
                                                          "decided_on": today})
    _says(problem, "reference", "the legal-aid case or loan contract number")
    decided = await post(gateway, f"/v1/service-cases/{case['id']}/decision",
                          {"granted": True, "reference": f"FY-{case['id'][:8]}", "decided_on": today}, justice)
    problem = await assert_refused(gateway, workers_db, f"/v1/service-cases/{case['id']}/closing", 422,
                                   headers=justice, json={"closed_on": today, "outcome": "settled",
                                                          "note": "settled; worker's mobile 13800138000"})
    _says(problem, "note", "what the case is about, in words")
    row = await _case_row(gateway, {**case, "position": decided["position"]}, justice)
    assert (row["stage"], row["reference"]) == ("decided", f"FY-{case['id'][:8]}")


async def test_a_partners_contact_names_an_office_and_a_phone_there_is_refused(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool
) -> None:
    partner = f"pii-{uuid.uuid4().hex[:6]}"
    body = {"partner_id": partner, "name": "某县人社局", "kind": "labour_bureau", "contact": "劳动保障局就业科",
            "personal_data": "none", "scope": {"event_types": [CASE_TYPE], "organisations": [], "townships": []}}
    for contact in ("0574-8770-0000", f"就业科 {PHONE}", ID_NUMBER):
        answer = await gateway.post("/v1/partners", json={**body, "contact": contact}, headers=admin_headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        _says(answer.json(), "contact", "the office or role to reach at the partner")
    # The stream of a partner is its id: a refused registration left none.
    assert await partners_db.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", partner) == 0

    registered = await post(gateway, "/v1/partners", body, admin_headers)
    change = {key: body[key] for key in ("name", "scope", "personal_data")}
    answer = await gateway.put(f"/v1/partners/{partner}", json={**change, "contact": PHONE}, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    _says(answer.json(), "contact", "the office or role to reach at the partner")
    assert await partners_db.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", partner) == 1
    read = await gateway.get(f"/v1/partners/{partner}", params={"min_position": registered["position"]},
                             headers=admin_headers)
    assert read.status_code == 200 and read.json()["contact"] == "劳动保障局就业科", read.text
