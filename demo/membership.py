"""Demo data, part one: a county's year 2026 of the Golden Bridge Project, via the API.

The county committee and five township committees; 13 outstation branches (branch n on 10 January +
17n days, townships in turn; Heping's only branch on 15 August); 20–30 members each, most of them
away at work; and member development: in every even-numbered branch one migrant worker who applied
in 2024 is admitted in 2026, and branch n designates n % 3 new activists in 2026. So, hand-checkably:
four townships meet the 30 June target and Heping misses it; 12 activists and 7 admissions in 2026;
branches #3 and #9 (n = 2 and 8) are the two that meet the branch target.

Everything goes through the public gateway, like a real client (``demo.client``), with idempotency
keys derived from the demo's own names — loading twice changes nothing. The townships' units, cadres
and a year of secondments (``demo.secondment``) and investment leads in every stage
(``demo.investment``) build on these branches; their numbers are written in those modules.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import date, timedelta
from typing import Any

from demo.client import DemoClient, gateway_client

log = logging.getLogger("demo")

COUNTY = "county-committee"
TOWNSHIPS = ("township-qiaotou", "township-shuikou", "township-longtan", "township-baishi")
LATE_TOWNSHIP = "township-heping"
BRANCHES = 13
DESTINATIONS = (
    ("Shenzhen, Guangdong", "Longhua street Party committee", "electronics"),
    ("Dongguan, Guangdong", "Chang'an town Party committee", "manufacturing"),
    ("Ningbo, Zhejiang", "Beilun district Party committee", "building materials"),
    ("Shanghai", "Minhang Xinzhuang Party committee", "municipal works"),
    ("Xiamen, Fujian", "Huli district Party committee", "sales"),
    ("Guangzhou, Guangdong", "Baiyun district Party committee", "construction"),
)
BASES = ("enterprise", "locality", "industry", "village", "township", "native_private_enterprise")
SURNAMES = tuple("Li Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao".split())  # noqa: SIM905
GIVEN = tuple("Wei Fang Min Jing Lei Qiang Yan Jun Hua Ping Gang Hui Xia Tao Ming Chao Yun Bo Hong".split())  # noqa: SIM905
CATEGORIES = ("wage_earner", "wage_earner", "wage_earner", "self_employed", "farmer", "retiree", "annual_salary")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def national_id(rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 42))
    body = f"3607{rng.randrange(10, 99)}{born:%Y%m%d}{rng.randrange(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def established_on(n: int) -> date:
    return date(2026, 1, 10) + timedelta(days=17 * n) if n < 12 else date(2026, 8, 15)


def plan(seed: int = 2026) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The demo county's branches and members, deterministic."""
    rng = random.Random(seed)
    branches, members = [], []
    for n in range(BRANCHES):
        township = TOWNSHIPS[n % len(TOWNSHIPS)] if n < 12 else LATE_TOWNSHIP
        dest, host, industry = DESTINATIONS[n % len(DESTINATIONS)]
        joint = n % 4 == 3
        branches.append({
            "name": f"{township.split('-')[1].title()} outstation branch in {dest.split(',')[0]} #{n + 1}",
            "founding_basis": BASES[n % len(BASES)],
            "build_mode": "joint" if joint else ("affiliated" if n % 5 == 4 else "standalone"),
            "home_org_id": township, "host_guidance_org": host, "destination": dest, "industry": industry,
            "established_on": str(established_on(n)),
            "covered_units": [f"{industry} unit {k + 1}" for k in range(3)] if joint else [],
        })
        people = []
        for _ in range(rng.randrange(20, 31)):
            phone = f"+86 13{rng.randrange(0, 10)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
            people.append({
                "name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}", "national_id": national_id(rng),
                "status": "full" if rng.random() < 0.9 else "probationary",
                "dues_category": rng.choice(CATEGORIES), "contact": {"phone": phone},
                "away": rng.random() < 0.6, "months": rng.choice((2, 3, 4, 8, 12, 24)),
            })
        members.append(people)
    return branches, members


def member_body(person: dict[str, Any], branch_id: str) -> dict[str, Any]:
    """The registration body of a planned member (the same bytes on every load, so a replay matches)."""
    body = {k: v for k, v in person.items() if k not in ("away", "months")}
    return {**body, "formal_org_id": branch_id}


async def branch_ids(demo: DemoClient) -> list[str]:
    """The 13 branches' ids, by replaying their establishment (the same key and body answer the same id)."""
    branches, _ = plan()
    return [await demo.post_id("/v1/branches", f"branch-{b}", branch, record=False)
            for b, branch in enumerate(branches)]


async def first_member(demo: DemoClient, b: int, branch_id: str) -> tuple[str, str]:
    """Branch b's first planned member (id, name), by replaying the registration."""
    person = plan()[1][b][0]
    member_id = await demo.post_id("/v1/members", f"member-{b}-0", member_body(person, branch_id), record=False)
    return member_id, str(person["name"])


def admission_steps(n: int, full: list[str], entitled: int) -> list[tuple[str, dict[str, Any], bool]]:
    """A migrant worker who applied in 2024 and is admitted in 2026 (path, body, needs a township token)."""
    est = established_on(n)
    township = TOWNSHIPS[n % len(TOWNSHIPS)] if n < 12 else LATE_TOWNSHIP

    def later(days: int) -> str:
        return str(est + timedelta(days=days))

    return [
        ("interview", {"interviewer": full[0], "interviewed_on": "2024-10-20"}, False),
        ("activist", {"nomination": "members", "decided_by": "general_meeting", "designated_on": "2024-12-01",
                      "filed_with_org_id": township}, False),
        ("contacts", {"contact_member_ids": full[:2], "assigned_on": "2024-12-05"}, False),
        ("assessments", {"assessed_on": "2025-05-30", "summary": "steady progress"}, False),
        ("assessments", {"assessed_on": "2025-11-20", "summary": "ready to be a target"}, False),
        ("target", {"decided_by": "general_meeting", "designated_on": "2025-12-02", "filed_with_org_id": township},
         False),
        ("introducers", {"introducer_member_ids": full[1:3], "assigned_on": "2025-12-05"}, False),
        ("political-review", {"reviewed_on": "2025-12-10", "qualified": True, "hukou_place_org": f"{township} village",
                              "residence_org": "host street committee"}, False),
        ("training", {"course": "Party basics", "completed_on": "2025-12-15", "hours": "24", "days": 3}, False),
        ("pre-review", {"reviewed_on": later(2), "approved": True}, True),
        ("admission-vote", {"held_on": later(10), "present": entitled, "yes": entitled, "no": 0, "abstain": 0},
         False),
        ("admission-approval", {"talked_on": later(20), "approved_on": later(25)}, True),
    ]


def activist_steps(n: int, k: int, full: list[str]) -> list[tuple[str, dict[str, Any], bool]]:
    est = established_on(n)
    township = TOWNSHIPS[n % len(TOWNSHIPS)]
    return [
        ("interview", {"interviewer": full[0], "interviewed_on": str(est + timedelta(days=5 + k))}, False),
        ("activist", {"nomination": "members", "decided_by": "general_meeting",
                      "designated_on": str(est + timedelta(days=30 + k)), "filed_with_org_id": township}, False),
    ]


#: Dues, hand-checkably: in every branch the first DUES_ACCOUNTS full members (by id) keep their dues in the
#: system — wage earners on a base of 4,000 yuan (1 % by the 2008 scale: 40 a month), owed from January 2026 —
#: and paid January to March on 31 March (120 each); in branch 0 (Qiaotou) the first also gave 1,000 yuan of
#: his own on 1 July, which the 2008 rules remit to the Party Centre. So every branch expects and received 360
#: for Q1, a township with three branches 1,080, the county 4,680, and 1,000 went to the Centre.
DUES_ACCOUNTS = 3


async def open_dues(post: Any, b: int, branch_id: str, full: list[str], counts: dict[str, int]) -> None:
    for k, member_id in enumerate(full[:DUES_ACCOUNTS]):
        await post(f"/v1/members/{member_id}/dues/account", f"dues-account-{b}-{k}", {
            "org_id": branch_id, "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"})
        counts["dues_accounts"] += 1
        await post(f"/v1/members/{member_id}/dues/payments", f"dues-q1-{b}-{k}", {
            "months": ["2026-01", "2026-02", "2026-03"], "amount": "120.00", "paid_on": "2026-03-31",
            "branch_consent": True})
        counts["dues_payments"] += 1
        if b == 0 and k == 0:
            await post(f"/v1/members/{member_id}/dues/payments", f"dues-voluntary-{b}-{k}", {
                "months": [], "amount": "1000.00", "extra": "1000.00", "paid_on": "2026-07-01"})
            counts["dues_payments"] += 1


async def load(base_url: str, token: str) -> dict[str, int]:
    """Load the county, its townships, branches, members and development cases; the counts loaded."""
    branches, members = plan()
    counts = {"organisations": 0, "branches": 0, "members": 0, "outflows": 0, "applications": 0, "admissions": 0,
              "dues_accounts": 0, "dues_payments": 0}
    async with gateway_client(base_url, token) as client:
        post = DemoClient(client).post

        await post("/v1/organisations", "county", {
            "org_id": COUNTY, "name": "County Party committee", "kind": "county_committee", "parent_id": None,
            "approval_authority": True, "established_on": "2001-07-01"})
        township_tokens: dict[str, str] = {}
        for township in (*TOWNSHIPS, LATE_TOWNSHIP):
            await post("/v1/organisations", township, {
                "org_id": township, "name": f"{township.split('-')[1].title()} township Party committee",
                "kind": "township_committee", "parent_id": COUNTY, "approval_authority": True,
                "established_on": "2001-07-01"})
            # A township's own token (issued by the gateway's token route) for the steps only it may take.
            issued = await post("/v1/tokens", f"token-{township}-{uuid.uuid4()}",
                                {"subject": f"{township}-office", "role": "township_committee", "org_id": township})
            township_tokens[township] = issued["token"]
            counts["organisations"] += 1

        for b, (branch, people) in enumerate(zip(branches, members, strict=True)):
            branch_id = (await post("/v1/branches", f"branch-{b}", branch))["id"]
            counts["branches"] += 1
            full: list[str] = []

            async def one(m: int, person: dict[str, Any], branch_id: str = branch_id, b: int = b,
                          dest: str = branch["destination"], full: list[str] = full) -> None:
                registered = await post("/v1/members", f"member-{b}-{m}", member_body(person, branch_id))
                member_id = registered["id"]
                counts["members"] += 1
                if person["status"] == "full":
                    full.append(member_id)
                if person["away"]:
                    await post(f"/v1/members/{member_id}/outflows", f"outflow-{b}-{m}", {
                        "destination": dest, "employer": f"Employer {m % 7 + 1}", "contact": person["contact"],
                        "left_on": "2026-09-01", "expected_months": person["months"],
                    })
                    counts["outflows"] += 1

            await asyncio.gather(*(one(m, p) for m, p in enumerate(people)))
            full.sort()
            await open_dues(post, b, branch_id, full, counts)
            township = str(branch["home_org_id"])
            cases: list[tuple[str, list[tuple[str, dict[str, Any], bool]]]] = []
            if b % 2 == 0:
                cases.append(("2024-10-10", admission_steps(b, full, len(full))))
            cases += [(str(established_on(b) + timedelta(days=1 + k)), activist_steps(b, k, full))
                      for k in range(b % 3)]
            for c, (applied_on, steps) in enumerate(cases):
                person_id = (await post("/v1/development/cases", f"case-{b}-{c}", {
                    "name": f"Candidate {b + 1}.{c + 1}", "birth_date": "1995-06-01",
                    "contact": {"phone": f"+86 150 {b:04d} {c:04d}"}, "org_id": branch_id,
                    "route": "mobile_member_organisation", "is_mobile": True, "applied_on": applied_on}))["id"]
                counts["applications"] += 1
                for s, (step, body, needs_township) in enumerate(steps):
                    await post(f"/v1/development/cases/{person_id}/{step}", f"case-{b}-{c}-{s}", body,
                               token=township_tokens[township] if needs_township else None)
                counts["admissions"] += steps[-1][0] == "admission-approval"
            log.info("demo data: branch %d/%d loaded (%d members so far)", b + 1, len(branches), counts["members"])
    return counts
