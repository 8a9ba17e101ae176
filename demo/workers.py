"""Demo data, part four: migrant workers on the register of every demo township, a service case of a
different kind in each, and one labour-export group — each bureau acting with a token of its own role.

Every township registers four workers (two of them agreeing to labour export) in January 2026. The cases
on 31 December 2026, hand-checkably:

| township | kind         | requested | referred | bureau's step                         | closed     | on 31 Dec |
|----------|--------------|-----------|----------|---------------------------------------|------------|-----------|
| Qiaotou  | micro_credit | 03-02     | 03-03    | certificate 30,000 (03-06); loan 03-16 | 03-20      | closed    |
| Shuikou  | legal_aid    | 05-10     | 05-11    | taken on (05-15)                       | 07-01      | closed    |
| Longtan  | notarisation | 06-01     | 06-02    | notarial deed, free (06-10)            | 06-12      | closed    |
| Baishi   | training     | 09-01     | 09-02    | none: due by 10-02 (30 days)           |            | overdue   |
| Heping   | insurance    | 11-20     |          |                                        |            | open      |

Qiaotou's township committee also sends its two willing workers to Shenzhen with a labour-export group on
20 February 2026, linked to the outstation branch there (the membership demo's branch #1). So the year-end
summary shows 4 workers on every township's register, one case requested in each, one closed in Qiaotou,
Shuikou and Longtan, one overdue in Baishi, and 2 workers exported from Qiaotou, to branch #1.
"""

from __future__ import annotations

import logging
from typing import Any

from demo.client import DemoClient, gateway_client
from demo.membership import LATE_TOWNSHIP, TOWNSHIPS, branch_ids, plan

log = logging.getLogger("demo")

WILLING = ["register", "services", "share_with_bureaus", "labour_export"]
STAY_HOME = ["register", "services", "share_with_bureaus"]
SKILLS = (["masonry"], ["electrician"], ["sewing"], ["driving"])
BUREAUS = {"labour": ("labour_bureau", "county-labour-bureau"),
           "credit": ("credit_cooperative", "county-rural-credit-cooperative"),
           "justice": ("justice_bureau", "county-justice-bureau"),
           "insurance": ("insurance", "county-life-insurer")}

#: Each township's case: its kind, and its steps as (path suffix, bureau or None for the committee, body).
CASES: dict[str, tuple[str, str, list[tuple[str, str | None, dict[str, Any]]]]] = {
    "township-qiaotou": ("micro_credit", "2026-03-02", [
        ("referral", None, {"referred_on": "2026-03-03"}),
        ("documents", "labour", {"document_number": "RS-QT-2026-001", "amount": "30000", "issued_on": "2026-03-06"}),
        ("referral", None, {"referred_on": "2026-03-09"}),
        ("decision", "credit", {"granted": True, "reference": "NX-2026-0316", "amount": "30000",
                                "decided_on": "2026-03-16"}),
        ("closing", None, {"closed_on": "2026-03-20"}),
    ]),
    "township-shuikou": ("legal_aid", "2026-05-10", [
        ("referral", None, {"referred_on": "2026-05-11"}),
        ("decision", "justice", {"granted": True, "reference": "FY-2026-051", "decided_on": "2026-05-15"}),
        ("closing", "justice", {"closed_on": "2026-07-01", "outcome": "settled",
                                "note": "unpaid wages paid after mediation"}),
    ]),
    "township-longtan": ("notarisation", "2026-06-01", [
        ("referral", None, {"referred_on": "2026-06-02"}),
        ("documents", "justice", {"document_number": "GZ-LT-2026-017", "issued_on": "2026-06-10", "fee": "0"}),
        ("closing", None, {"closed_on": "2026-06-12"}),
    ]),
    "township-baishi": ("training", "2026-09-01", [
        ("referral", None, {"referred_on": "2026-09-02"}),
    ]),
    LATE_TOWNSHIP: ("insurance", "2026-11-20", []),
}
#: Qiaotou's group to the membership demo's branch #1 (index 0), in Shenzhen.
GROUP_TOWNSHIP, GROUP_BRANCH = "township-qiaotou", 0


async def _token(demo: DemoClient, role: str, org_id: str) -> str:
    """A day's token for a bureau, issued by the county like any other (its issuance is recorded; a second
    load issues another, and writes nothing else new)."""
    answer = await demo.client.post("/v1/tokens", json={"subject": f"demo-{org_id}", "role": role, "org_id": org_id,
                                                         "days": 1})
    if answer.status_code != 201:
        raise RuntimeError(f"/v1/tokens answered {answer.status_code}: {answer.text}")
    return str(answer.json()["token"])


async def load_workers(demo: DemoClient) -> dict[str, int]:
    """Register the workers, open and walk each township's case, and send Qiaotou's export group."""
    tokens = {name: await _token(demo, role, org) for name, (role, org) in BUREAUS.items()}
    workers: dict[str, list[str]] = {}
    for township in (*TOWNSHIPS, LATE_TOWNSHIP):
        short = township.split("-")[1]
        workers[township] = [await demo.post_id("/v1/migrant-workers", f"worker-{short}-{k}", {
            "township_id": township, "village": f"{short.title()} village {k % 2 + 1}",
            "consent_scope": WILLING if k < 2 else STAY_HOME, "consent_on": "2026-01-15",
            "registered_on": "2026-01-15", "skills": SKILLS[k]}) for k in range(4)]
    cases = 0
    for township, (kind, requested_on, steps) in CASES.items():
        short = township.split("-")[1]
        opened = await demo.post("/v1/service-cases", f"case-{short}", {
            "worker_id": workers[township][2], "kind": kind, "requested_on": requested_on})
        case_id = str(opened["id"])
        # Loading again: the case exists, and its steps are done up to where the first load got. A bureau's step
        # on a case that has moved on to another bureau is refused before its key is looked up (403: the case is
        # no longer that bureau's to see), so the steps left are found from the case as it stands.
        done = await _steps_done(demo, case_id, int(opened["position"])) if opened.get("replayed") else 0
        for n, (step, bureau, body) in enumerate(steps[done:], start=done):
            await demo.post(f"/v1/service-cases/{case_id}/{step}", f"case-{short}-{n}-{step}", body,
                            token=tokens[bureau] if bureau else None)
        cases += 1
    branch = (await branch_ids(demo))[GROUP_BRANCH]
    await demo.post("/v1/export-groups", "export-group-qiaotou", {
        "township_id": GROUP_TOWNSHIP, "destination": plan()[0][GROUP_BRANCH]["destination"], "branch_id": branch,
        "worker_ids": workers[GROUP_TOWNSHIP][:2], "organised_on": "2026-02-10", "departs_on": "2026-02-20"})
    return {"workers": sum(len(w) for w in workers.values()), "cases": cases, "groups": 1}


async def _steps_done(demo: DemoClient, case_id: str, position: int) -> int:
    """How many of the demo's steps a case has had: one per step its record shows (a micro-credit case has
    two referrals, the second one to the credit cooperative)."""
    answer = await demo.client.get(f"/v1/service-cases/{case_id}", params={"min_position": position})
    if answer.status_code != 200:
        raise RuntimeError(f"/v1/service-cases/{case_id} answered {answer.status_code}: {answer.text}")
    case = answer.json()
    done = sum(1 for key in ("referred_on", "issued_on", "decided_on", "closed_on") if case.get(key))
    return done + (1 if case.get("bureau") == "credit_cooperative" else 0)


async def load_migrant_services(base_url: str, token: str) -> dict[str, int]:
    async with gateway_client(base_url, token) as client:
        return await load_workers(DemoClient(client))
