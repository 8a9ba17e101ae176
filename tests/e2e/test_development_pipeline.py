"""A migrant worker from application to full member in an outstation branch, through the gateway."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from typing import Any

import httpx

from infra import supervisor
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body, national_id


class Case:
    """Drives one development case through the gateway and reads the read models after each step."""

    def __init__(self, gateway: httpx.AsyncClient, headers: dict[str, str], person_id: str) -> None:
        self.gateway, self.headers, self.person_id = gateway, headers, person_id

    async def step(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        response = await self.gateway.post(f"/v1/development/cases/{self.person_id}/{path}", json=body,
                                           headers=headers or self.headers)
        assert response.status_code == 201, f"{path}: {response.text}"
        return int(response.json()["position"])

    async def view(self, position: int) -> dict[str, Any]:
        response = await self.gateway.get(f"/v1/development/cases/{self.person_id}",
                                          params={"min_position": position}, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


async def to_probation(system: Settings, gateway: httpx.AsyncClient,
                       admin_headers: dict[str, str]) -> tuple[Case, str, dict[str, str], dict[str, str]]:
    """A migrant worker from application to probationary member (admitted 2025-05-10) of a new outstation branch:
    the case, the branch, its secretary's and the township committee's headers."""
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    township = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test")
    full = []
    for n in range(3):
        r = await gateway.post("/v1/members", json=member_body(branch, name=f"Member {n}", national_id=national_id(n)),
                               headers=secretary)
        assert r.status_code == 201, r.text
        full.append(r.json()["id"])

    applied = await gateway.post("/v1/development/cases", headers=secretary, json={
        "name": "Zhang Min", "birth_date": "1996-04-18", "contact": {"phone": "+86 137 0000 1111"},
        "org_id": branch, "route": "mobile_member_organisation", "is_mobile": True, "applied_on": "2024-01-10",
    })
    assert applied.status_code == 201, applied.text
    case = Case(gateway, secretary, applied.json()["id"])
    assert (await case.view(applied.json()["position"]))["stage"] == "applicant"

    await case.step("interview", {"interviewer": full[0], "interviewed_on": "2024-01-25"})
    pos = await case.step("activist", {"nomination": "members", "decided_by": "general_meeting",
                                       "designated_on": "2024-03-01", "filed_with_org_id": "township-test"})
    assert (await case.view(pos))["stage"] == "activist"
    await case.step("contacts", {"contact_member_ids": [full[0], full[1]], "assigned_on": "2024-03-05"})
    await case.step("assessments", {"assessed_on": "2024-08-30", "summary": "works hard, studies the theory"})
    await case.step("assessments", {"assessed_on": "2025-02-20", "summary": "ready to be a target"})

    early = await gateway.post(f"/v1/development/cases/{case.person_id}/target", headers=secretary, json={
        "decided_by": "general_meeting", "designated_on": "2025-02-28", "filed_with_org_id": "township-test"})
    assert early.status_code in (409, 422) and "365" in early.json()["detail"], early.text

    pos = await case.step("target", {"decided_by": "general_meeting", "designated_on": "2025-03-01",
                                     "filed_with_org_id": "township-test"})
    assert (await case.view(pos))["stage"] == "development_target"
    await case.step("introducers", {"introducer_member_ids": [full[1], full[2]], "assigned_on": "2025-03-03"})
    await case.step("political-review", {"reviewed_on": "2025-03-10", "qualified": True,
                                         "hukou_place_org": "Qiaotou village committee",
                                         "residence_org": "Longhua street committee"})
    await case.step("training", {"course": "Party basics", "completed_on": "2025-03-20", "hours": "24", "days": 3})

    forbidden = await gateway.post(f"/v1/development/cases/{case.person_id}/pre-review", headers=secretary,
                                   json={"reviewed_on": "2025-03-25", "approved": True})
    assert forbidden.status_code == 403, forbidden.text
    await case.step("pre-review", {"reviewed_on": "2025-03-25", "approved": True}, township)

    short = await gateway.post(f"/v1/development/cases/{case.person_id}/admission-vote", headers=secretary,
                               json={"held_on": "2025-04-15", "present": 3, "yes": 1, "no": 2, "abstain": 0})
    assert short.status_code == 201 and short.json()["position"]  # recorded, but it did not pass
    await case.step("admission-vote", {"held_on": "2025-04-16", "present": 3, "yes": 2, "no": 1, "abstain": 0})
    pos = await case.step("admission-approval", {"talked_on": "2025-04-20", "approved_on": "2025-05-10"}, township)
    admitted = await case.view(pos)
    assert admitted["stage"] == "probationary" and admitted["probation_end"] == "2026-04-16"

    member = await gateway.get(f"/v1/members/{case.person_id}", params={"min_position": pos}, headers=secretary)
    assert member.status_code == 200 and member.json()["status"] == "probationary", member.text
    return case, branch, secretary, township


async def test_a_migrant_worker_goes_from_application_to_full_member(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    case, branch, secretary, township = await to_probation(system, gateway, admin_headers)

    await case.step("oath", {"sworn_on": "2025-05-20"})
    await case.step("conversion-application", {"applied_on": "2026-04-16"})
    await case.step("conversion-vote", {"held_on": "2026-04-25", "resolution": "convert", "present": 3, "yes": 3,
                                        "no": 0, "abstain": 0})
    pos = await case.step("conversion-approval", {"outcome": "convert", "approved_on": "2026-05-15"}, township)
    assert (await case.view(pos))["stage"] == "full"
    member = await gateway.get(f"/v1/members/{case.person_id}", params={"min_position": pos}, headers=secretary)
    assert member.json()["status"] == "full" and member.json()["formal_org_id"] == branch

    funnel = (await gateway.get("/v1/development/funnel", params={"org_id": branch, "as_of": "2026-06-01"},
                                headers=secretary)).json()
    assert {s["stage"]: s["cases"] for s in funnel["stages"]}["full"] == 1

    # The new full member moves to work elsewhere: transfer to another outstation branch, letter received.
    other = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    transfer = await _transfer(gateway, case.person_id, "", {"to_org_id": other, "reason": "new job"}, secretary)
    assert transfer.status_code == 201, transfer.text
    today = county_today()
    letter = {"letter_number": "QT-2026-0099", "channel": "national_online", "issued_on": str(today),
              "dues_paid_up_to": "2026-10"}
    issued = await _transfer(gateway, case.person_id, f"/{transfer.json()['id']}/approval", letter, township)
    assert issued.status_code == 201, issued.text
    received = await _transfer(gateway, case.person_id, f"/{transfer.json()['id']}/reception",
                               {"letter_number": "QT-2026-0099", "received_on": str(today)},
                               bearer(system, Role.BRANCH_SECRETARY, other))
    assert received.status_code == 201, received.text
    moved = await gateway.get(f"/v1/members/{case.person_id}", params={"min_position": received.json()["position"]},
                              headers=admin_headers)
    assert (moved.json()["formal_org_id"], moved.json()["status"]) == (other, "full")
    [row] = (await gateway.get("/v1/transfers", params={"org_id": other}, headers=admin_headers)).json()["items"]
    assert (row["state"], row["received_on"], row["dues_paid_up_to"]) == ("received", str(today), "2026-10")


async def test_an_admission_vote_on_someone_who_is_not_a_development_target_is_refused(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    applied = await gateway.post("/v1/development/cases", headers=secretary, json={
        "name": "Wu Lei", "birth_date": "1999-09-09", "contact": {"phone": "+86 137 0000 2222"},
        "org_id": branch, "route": "residence", "applied_on": "2026-01-10",
    })
    person = applied.json()["id"]
    vote = await gateway.post(f"/v1/development/cases/{person}/admission-vote", headers=secretary,
                              json={"held_on": "2026-02-01", "present": 3, "yes": 3, "no": 0, "abstain": 0})
    assert vote.status_code == 409 and vote.headers["content-type"] == "application/problem+json", vote.text
    assert uuid.UUID(person)


async def test_the_deadline_engine_raises_an_overdue_interview_once_for_the_branch(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    applied = await gateway.post("/v1/development/cases", headers=secretary, json={
        "name": "Sun Hua", "birth_date": "2000-02-02", "contact": {"phone": "+86 137 0000 3333"},
        "org_id": branch, "route": "residence", "applied_on": "2026-09-01",
    })
    person = applied.json()["id"]

    for _ in range(2):  # a second run on the same day raises nothing new
        run = subprocess.run([sys.executable, "-m", "services.membership.deadlines", "--on", "2026-11-20"],
                             env=supervisor.child_env(system), capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]

    async def overdue() -> list[dict[str, Any]]:
        r = await gateway.get(f"/v1/organisations/{branch}/due-items", params={"overdue": "true"}, headers=secretary)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    items = await eventually(overdue, what="the overdue interview in the branch's due items")
    assert [(i["subject_id"], i["kind"], i["due_on"]) for i in items] == [(person, "interview_due", "2026-10-01")]
    other = bearer(system, Role.BRANCH_SECRETARY, "another-branch")
    assert (await gateway.get(f"/v1/organisations/{branch}/due-items", headers=other)).status_code == 403


async def _transfer(gateway: httpx.AsyncClient, member: str, path: str, body: dict[str, Any],
                    headers: dict[str, str]) -> httpx.Response:
    return await gateway.post(f"/v1/members/{member}/transfers{path}", json=body, headers=headers)


async def test_a_member_is_transferred_to_another_branch_and_received_once(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    home = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    host = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    home_secretary = bearer(system, Role.BRANCH_SECRETARY, home)
    host_secretary = bearer(system, Role.BRANCH_SECRETARY, host)
    township = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test")
    member = (await gateway.post("/v1/members", json=member_body(home), headers=home_secretary)).json()["id"]

    requested = await _transfer(gateway, member, "", {"to_org_id": host, "reason": "works in Dongguan"},
                                home_secretary)
    assert requested.status_code == 201, requested.text
    transfer = requested.json()["id"]
    today = county_today()  # a request is dated when it is made; the letter follows it
    letter = {"letter_number": "QT-2026-0042", "channel": "paper", "issued_on": str(today),
              "dues_paid_up_to": "2026-09"}
    by_secretary = await _transfer(gateway, member, f"/{transfer}/approval", letter, home_secretary)
    assert by_secretary.status_code == 403, by_secretary.text
    approved = await _transfer(gateway, member, f"/{transfer}/approval", letter, township)
    assert approved.status_code == 201, approved.text

    in_progress = await gateway.get("/v1/transfers", params={"state": "in_progress", "org_id": host,
                                                             "min_position": approved.json()["position"]},
                                    headers=admin_headers)
    [row] = in_progress.json()["items"]
    assert (row["letter_number"], row["valid_until"], row["dues_paid_up_to"]) == (
        "QT-2026-0042", str(today + timedelta(days=90)), "2026-09")
    still_home = await gateway.get(f"/v1/members/{member}", headers=admin_headers)
    assert still_home.json()["formal_org_id"] == home  # the sender stays responsible until reception

    reception = {"letter_number": "QT-2026-0042", "received_on": str(today)}
    received = await _transfer(gateway, member, f"/{transfer}/reception", reception, host_secretary)
    assert received.status_code == 201, received.text
    twice = await _transfer(gateway, member, f"/{transfer}/reception", reception, host_secretary)
    assert twice.status_code == 409 and twice.headers["content-type"] == "application/problem+json"
    receipt = await _transfer(gateway, member, f"/{transfer}/receipt", {"returned_on": str(today)}, township)
    assert receipt.status_code == 201, receipt.text

    moved = await gateway.get(f"/v1/members/{member}", params={"min_position": receipt.json()["position"]},
                              headers=admin_headers)
    assert moved.json()["formal_org_id"] == host
    done = await gateway.get("/v1/transfers", params={"org_id": home, "state": "completed"}, headers=admin_headers)
    assert [t["transfer_id"] for t in done.json()["items"]] == [transfer]


async def test_a_retried_application_answers_with_the_case_its_first_run_created(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    headers = {**admin_headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "Gao Yun", "birth_date": "1990-01-01", "contact": {"phone": "+86 137 0000 4444"},
            "org_id": branch, "route": "residence", "applied_on": "2026-03-01"}
    first = await gateway.post("/v1/development/cases", json=body, headers=headers)
    again = await gateway.post("/v1/development/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
