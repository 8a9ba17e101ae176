"""Two time axes on the real system: facts entered after the day they happened are judged as of that day.

Every date here is fixed and before the county's first day of records (policy ``records_kept_from``), so the
facts are taken over from the paper archive and the test means the same on any later day; the backdating
limit and the reason a later late entry needs are shown in tests/unit/pure/test_dates.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body, national_id

#: The day of the admission vote and of its meeting; six members join the branch afterwards.
MEETING_DAY = "2025-04-16"
JOINED_LATER = "2025-09-01"


async def post(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.text}"
    return dict(response.json())


async def history(gateway: httpx.AsyncClient, stream_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """A record's events as stored, read through the gateway's audit route."""
    response = await gateway.get(f"/v1/audit/streams/{stream_id}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    return list(response.json()["events"])


async def a_branch_of_three_then_nine(gateway: httpx.AsyncClient, admin: dict[str, str]) -> tuple[str, list[str]]:
    """A branch with 3 full members on MEETING_DAY and 9 today: six were received into it on JOINED_LATER."""
    branch = (await post(gateway, "/v1/branches", branch_body(established_on="2023-01-01"), admin))["id"]
    members = []
    for n in range(9):
        body = member_body(branch, name=f"Member {n}", national_id=national_id(n))
        if n >= 3:
            body["member_since"] = JOINED_LATER
        members.append((await post(gateway, "/v1/members", body, admin))["id"])
    return branch, members


async def test_a_vote_recorded_today_for_a_meeting_on_a_past_day_counts_that_days_roster(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch, members = await a_branch_of_three_then_nine(gateway, admin_headers)
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    township = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test")
    case_id = (await post(gateway, "/v1/development/cases", {
        "name": "Zhang Min", "birth_date": "1996-04-18", "contact": {"phone": "+86 137 0000 1111"},
        "org_id": branch, "route": "mobile_member_organisation", "is_mobile": True, "applied_on": "2024-01-10",
    }, secretary))["id"]

    async def step(path: str, body: dict[str, Any], headers: dict[str, str] = secretary) -> dict[str, Any]:
        return await post(gateway, f"/v1/development/cases/{case_id}/{path}", body, headers)

    await step("interview", {"interviewer": members[0], "interviewed_on": "2024-01-25"})
    await step("activist", {"nomination": "members", "decided_by": "general_meeting", "designated_on": "2024-03-01",
                            "filed_with_org_id": "township-test"})
    await step("contacts", {"contact_member_ids": members[:2], "assigned_on": "2024-03-05"})
    await step("target", {"decided_by": "general_meeting", "designated_on": "2025-03-01",
                          "filed_with_org_id": "township-test"})
    # Introducers are full members of the branch on the day they are named: one who joined later is not.
    late = await gateway.post(f"/v1/development/cases/{case_id}/introducers", headers=secretary, json={
        "introducer_member_ids": [members[1], members[5]], "assigned_on": "2025-03-03"})
    assert late.status_code == 422 and members[5] in late.json()["detail"], late.text
    await step("introducers", {"introducer_member_ids": members[1:3], "assigned_on": "2025-03-03"})
    await step("political-review", {"reviewed_on": "2025-03-10", "qualified": True,
                                    "hukou_place_org": "Qiaotou village committee",
                                    "residence_org": "Longhua street committee"})
    await step("training", {"course": "Party basics", "completed_on": "2025-03-20", "hours": "24", "days": 3})
    await step("pre-review", {"reviewed_on": "2025-03-25", "approved": True}, township)

    # Recorded today, for the meeting of MEETING_DAY: 3 present of the 3 full members of that day — a quorum,
    # where today's 9 would have refused it ("no quorum: 3 of 9").
    vote = await step("admission-vote", {"held_on": MEETING_DAY, "present": 3, "yes": 2, "no": 1, "abstain": 0,
                                         "backdating_reason": "minutes of the April meeting found in the archive"})
    [held] = [e for e in await history(gateway, case_id, admin_headers)
              if e["type"] == "gb.membership.admission_vote_held.v1"]
    assert int(held["streamversion"]) == vote["stream_version"]
    assert (held["data"]["held_on"], held["data"]["entitled"], held["data"]["passed"]) == (MEETING_DAY, 3, True)
    assert held["data"]["backdating_reason"] == "minutes of the April meeting found in the archive"

    # The same roster, day by day, for the meetings of the branch: 3 entitled then, 9 today.
    then = await post(gateway, "/v1/meetings", {
        "org_id": branch, "kind": "general_meeting", "held_on": MEETING_DAY, "present_ids": members[:3],
        "minutes_ref": f"minutes/{MEETING_DAY}"}, secretary)
    now = await post(gateway, "/v1/meetings", {
        "org_id": branch, "kind": "general_meeting", "held_on": "2025-11-20", "present_ids": members[:3],
        "absent_ids": members[3:], "minutes_ref": "minutes/2025-11-20"}, secretary)
    [recorded_then] = await history(gateway, then["id"], admin_headers)
    [recorded_now] = await history(gateway, now["id"], admin_headers)
    assert (recorded_then["data"]["entitled_voters"], recorded_then["data"]["quorum_met"]) == (3, True)
    assert (recorded_now["data"]["entitled_voters"], recorded_now["data"]["quorum_met"]) == (9, False)


async def test_a_meetings_day_is_corrected_by_a_new_event_that_names_the_one_it_corrects(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch, members = await a_branch_of_three_then_nine(gateway, admin_headers)
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    meeting = (await post(gateway, "/v1/meetings", {
        "org_id": branch, "kind": "general_meeting", "held_on": "2025-04-17", "present_ids": members[:3],
        "minutes_ref": "minutes/2025-04"}, secretary))["id"]
    correction = f"/v1/meetings/{meeting}/date-correction"
    # Moved past JOINED_LATER, the minutes no longer list every member of that day: refused, nothing written.
    await assert_refused(gateway, membership_db, correction, 422, headers=secretary, json={
        "corrects_version": 1, "held_on": "2025-10-01", "reason": "typed the wrong month"})

    await post(gateway, correction, {"corrects_version": 1, "held_on": MEETING_DAY,
                                     "reason": "the minutes say 16 April; entered as 17 April"}, secretary)
    recorded, corrected = await history(gateway, meeting, admin_headers)
    assert recorded["data"]["held_on"] == "2025-04-17", "the record is never edited"
    assert corrected["type"] == "gb.membership.meeting_date_corrected.v1"
    assert (corrected["data"]["corrects_version"], corrected["data"]["corrects_event_id"]) == (1, recorded["id"])
    assert (corrected["data"]["held_on_was"], corrected["data"]["held_on"]) == ("2025-04-17", MEETING_DAY)
    assert corrected["data"]["reason"] == "the minutes say 16 April; entered as 17 April"

    # A second correction names the correction it corrects; the record's own version is no longer the day's.
    problem = await assert_refused(gateway, membership_db, correction, 409, headers=secretary, json={
        "corrects_version": 1, "held_on": "2025-04-15", "reason": "again"})
    assert "version 2" in problem["detail"]


async def test_a_transfer_entered_later_with_its_own_date_is_valid_for_the_policy_period_from_the_letters_issue(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    home = (await post(gateway, "/v1/branches", branch_body(established_on="2023-01-01"), admin_headers))["id"]
    other = (await post(gateway, "/v1/branches", branch_body(established_on="2023-01-01"), admin_headers))["id"]
    township = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test")
    receiving = bearer(system, Role.BRANCH_SECRETARY, other)
    issued_on = date(2026, 1, 12)
    #: The mobility policy in force on the issue day (mobility-2026.1): a letter is valid 90 days from its issue.
    valid_until = issued_on + timedelta(days=90)

    async def transferred(n: int) -> tuple[str, str]:
        """A member of ``home`` whose transfer was requested on 2026-01-05 and its letter issued on 2026-01-12,
        both on paper and entered today."""
        member = (await post(gateway, "/v1/members", member_body(home, national_id=national_id(100 + n)),
                             admin_headers))["id"]
        transfer = (await post(gateway, f"/v1/members/{member}/transfers", {
            "to_org_id": other, "reason": "settled in Dongguan", "requested_on": "2026-01-05",
            "backdating_reason": "the paper request reached the county office in November"}, admin_headers))["id"]
        await post(gateway, f"/v1/members/{member}/transfers/{transfer}/approval", {
            "letter_number": f"QT-2026-{n:04d}", "channel": "paper", "issued_on": str(issued_on),
            "dues_paid_up_to": "2025-12", "backdating_reason": "letter issued on paper in January"}, township)
        return member, transfer

    async def transfers_of(member: str) -> dict[str, Any]:
        rows = (await gateway.get("/v1/transfers", params={"org_id": home}, headers=admin_headers)).json()["items"]
        return next((r for r in rows if r["member_id"] == member and r.get("valid_until")), {})

    accepted_member, accepted = await transferred(1)
    row = await eventually(lambda: transfers_of(accepted_member), what="the letter in the transfers read model")
    assert (row["requested_on"], row["issued_on"], row["valid_until"]) == ("2026-01-05", str(issued_on),
                                                                           str(valid_until))
    [requested, *_] = [e for e in await history(gateway, accepted_member, admin_headers)
                       if e["type"] == "gb.membership.transfer_requested.v1"]
    assert requested["data"]["requested_on"] == "2026-01-05"
    [letter] = [e for e in await history(gateway, accepted_member, admin_headers)
                if e["type"] == "gb.membership.transfer_letter_issued.v1"]
    assert (letter["data"]["valid_until"], letter["data"]["policy_version"]) == (str(valid_until), "mobility-2026.1")
    assert requested["data"]["backdating_reason"] == "the paper request reached the county office in November"

    # Received on its last valid day: accepted, the receiving branch holds the member.
    received = await post(gateway, f"/v1/members/{accepted_member}/transfers/{accepted}/reception", {
        "letter_number": "QT-2026-0001", "received_on": str(valid_until),
        "backdating_reason": "reception entered from the paper receipt"}, receiving)
    moved = await gateway.get(f"/v1/members/{accepted_member}", params={"min_position": received["position"]},
                              headers=admin_headers)
    assert moved.json()["formal_org_id"] == other

    # Received the day after: refused as expired, and the sending branch still holds the member.
    refused_member, refused = await transferred(2)
    await eventually(lambda: transfers_of(refused_member), what="the second letter in the transfers read model")
    problem = await assert_refused(
        gateway, membership_db, f"/v1/members/{refused_member}/transfers/{refused}/reception", 422,
        headers=receiving, json={"letter_number": "QT-2026-0002", "received_on": str(valid_until + timedelta(days=1)),
                                 "backdating_reason": "reception entered from the paper receipt"})
    assert f"valid until {valid_until}" in problem["detail"] and "expired" in problem["detail"]
    still = await gateway.get(f"/v1/members/{refused_member}", headers=admin_headers)
    assert still.status_code == 200 and still.json()["formal_org_id"] == home
    row = await eventually(lambda: transfers_of(refused_member), what="the refused transfer's letter")
    assert row["state"] == "letter_issued" and row["valid_until"] == str(valid_until)
