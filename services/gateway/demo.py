"""Demo data for the run command: a county's outstation branches, members and outflows, via the API.

Everything goes through the public gateway, like a real client, with idempotency keys derived from
the demo's own names — loading twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from datetime import date, timedelta
from typing import Any

import httpx

from services.kernel.settings import load_settings

log = logging.getLogger("demo")

TOWNSHIPS = ("township-qiaotou", "township-shuikou", "township-longtan", "township-baishi")
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


def plan(seed: int = 2026) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The demo county: 12 branches (3 per township) and 20–30 members each, deterministic."""
    rng = random.Random(seed)
    branches, members = [], []
    for n in range(12):
        township = TOWNSHIPS[n % len(TOWNSHIPS)]
        dest, host, industry = DESTINATIONS[n % len(DESTINATIONS)]
        joint = n % 4 == 3
        branches.append({
            "name": f"{township.split('-')[1].title()} outstation branch in {dest.split(',')[0]} #{n + 1}",
            "founding_basis": BASES[n % len(BASES)],
            "build_mode": "joint" if joint else ("affiliated" if n % 5 == 4 else "standalone"),
            "home_org_id": township, "host_guidance_org": host, "destination": dest, "industry": industry,
            "established_on": str(date(2026, 1, 10) + timedelta(days=17 * n)),
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


async def load(base_url: str, token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    branches, members = plan()
    counts = {"branches": 0, "members": 0, "outflows": 0}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:

        async def post(path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
            r = await client.post(path, json=body, headers={"Idempotency-Key": f"demo-{key}"})
            if r.status_code not in (200, 201):
                raise RuntimeError(f"{path} answered {r.status_code}: {r.text}")
            return dict(r.json())

        for b, (branch, people) in enumerate(zip(branches, members, strict=True)):
            branch_id = (await post("/v1/branches", f"branch-{b}", branch))["id"]
            counts["branches"] += 1

            async def one(m: int, person: dict[str, Any], branch_id: str = branch_id, b: int = b,
                          dest: str = branch["destination"]) -> None:
                body = {k: v for k, v in person.items() if k not in ("away", "months")}
                registered = await post("/v1/members", f"member-{b}-{m}", {**body, "formal_org_id": branch_id})
                member_id = registered["id"]
                counts["members"] += 1
                if person["away"]:
                    await post(f"/v1/members/{member_id}/outflows", f"outflow-{b}-{m}", {
                        "destination": dest, "employer": f"Employer {m % 7 + 1}", "contact": person["contact"],
                        "left_on": "2026-09-01", "expected_months": person["months"],
                    })
                    counts["outflows"] += 1

            await asyncio.gather(*(one(m, p) for m, p in enumerate(people)))
            log.info("demo data: branch %d/%d loaded (%d members so far)", b + 1, len(branches), counts["members"])
    return counts


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    counts = asyncio.run(load(f"http://127.0.0.1:{settings.gateway_port}", settings.admin_token))
    log.info("demo data ready: %(branches)d branches, %(members)d members, %(outflows)d outflows", counts)


if __name__ == "__main__":
    main()
