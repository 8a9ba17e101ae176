"""Demo data, part two: the demo townships' organs and stations, their cadres and a year of secondments.

The 5 % target (A): required = ceil(headcount × 5 / 100); a cadre counts from the departure through the
last day away. On 24 November 2026 (the demo's today; year 2026, open until 31 December):

| township | units (headcount)                                 | required | out | self-found/org. | status        |
|----------|---------------------------------------------------|----------|-----|-----------------|---------------|
| Qiaotou  | office 25, agricultural 20, finance 15 = 60       | 3        | 3   | 2 / 1           | met at 5.00 % |
| Shuikou  | office 26, water station 13 → 15 from 1 July = 41 | 3        | 2   | 1 / 1           | open, 4.88 %  |
| Longtan  | office 50, culture station 30 = 80                | 4        | 5   | 3 / 2           | met, 6.25 %   |
| Baishi   | office 23, forestry station 15 = 38               | 2        | 2   | 2 / 0           | met, 5.26 %   |
| Heping   | office 25                                         | 2        | 0   | 0 / 0           | open, 0.00 %  |

Qiaotou meets it at exactly 5 %; Shuikou is one person short, open until the year ends.

On 28 February 2026 (an earlier day of the year): Qiaotou 2 of 60 out (Chen Gang's last day at term),
open; Shuikou 2 of 39 → required 2, met (5.13 %) — the water station's two new posts from 1 July
make it one short later; Longtan 4 of 80, met at 5.00 % (Huang Li still out: she ends early on
31 May); Baishi 1 of 38, open; Heping 0 of 25, open.

The secondments (departure → end; self-found unless marked "org."):
- Qiaotou: Chen Gang 2024-03-01 → at term 2026-02-28 (departure + 24 months − 1 day), returned to
  his post; Zhou Min 2025-06-01 (her leads bring 1,250,000 yuan: the funds-credit policy records
  them as capital and proposes her commendation when they pass 1,000,000 on 2026-05-12 — see
  ``demo.investment``); Xu Tao 2026-03-16, org., also serving in Qiaotou branch #1; Ma Yun 2026-09-01.
- Shuikou: Sun Qiang 2025-10-08; Guo Hui 2026-02-02, org.
- Longtan: Lin Bo 2025-04-01; Huang Li 2025-09-01, early end approved 2026-05-10, last day
  2026-05-31; Luo Jun 2025-11-03, org.; Gao Ping 2026-01-05; He Xia 2026-05-06; Wu Hong 2026-08-03, org.
- Baishi: Zhu Lei 2025-12-01; Yang Fang 2026-06-15.
- Heping: Li Chao's organisational posting was rejected by the county on 2026-04-20; his self-found
  job was approved on 2026-11-09 but he has not left yet, so Heping has no one out.

Every secondment away has a check-in five days before each quarter of its time away (up to today
or its last day). 15 cadres, 16 nominations, 14 departures, 2 ends.

Commendations for a major contribution, one of each kind (policy: 1,000,000 yuan of capital, 2 projects or
5 people introduced): Zhou Min by capital on 2026-05-12 (her leads' funds, see ``demo.investment``); Sun Qiang
(Shuikou) by projects on 2026-09-10, his second project landed; Lin Bo (Longtan) by talent on 2026-08-20, two
engineers and three nurses. Chen Gang's and Zhu Lei's market information counts for none. 6 contributions.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from demo.client import DemoClient
from demo.membership import branch_ids
from services.pure.dates import add_months

log = logging.getLogger("demo")

TODAY = date(2026, 11, 24)
#: (unit id, township, name, kind, headcount from 2020-01-01)
UNITS = (
    ("unit-qiaotou-office", "township-qiaotou", "Qiaotou township government office", "organ", 25),
    ("unit-qiaotou-agri", "township-qiaotou", "Qiaotou agricultural service station", "station", 20),
    ("unit-qiaotou-finance", "township-qiaotou", "Qiaotou finance station", "station", 15),
    ("unit-shuikou-office", "township-shuikou", "Shuikou township government office", "organ", 26),
    ("unit-shuikou-water", "township-shuikou", "Shuikou water conservancy station", "station", 13),
    ("unit-longtan-office", "township-longtan", "Longtan township government office", "organ", 50),
    ("unit-longtan-culture", "township-longtan", "Longtan culture station", "station", 30),
    ("unit-baishi-office", "township-baishi", "Baishi township government office", "organ", 23),
    ("unit-baishi-forestry", "township-baishi", "Baishi forestry station", "station", 15),
    ("unit-heping-office", "township-heping", "Heping township government office", "organ", 25),
)
#: (unit id, new headcount, effective from, reason)
HEADCOUNT_CHANGES = (("unit-shuikou-water", 15, date(2026, 7, 1), "two hydrology technicians hired"),)
#: cadre key → (name, unit id, post, rank)
CADRES = {
    "chen-gang": ("Chen Gang", "unit-qiaotou-agri", "deputy head, agricultural station", "section member"),
    "zhou-min": ("Zhou Min", "unit-qiaotou-office", "investment promotion officer", "deputy section chief"),
    "xu-tao": ("Xu Tao", "unit-qiaotou-finance", "accountant", "section member"),
    "ma-yun": ("Ma Yun", "unit-qiaotou-office", "clerk", "section member"),
    "sun-qiang": ("Sun Qiang", "unit-shuikou-office", "economic development officer", "section member"),
    "guo-hui": ("Guo Hui", "unit-shuikou-water", "technician", "section member"),
    "lin-bo": ("Lin Bo", "unit-longtan-office", "deputy head, economic office", "deputy section chief"),
    "huang-li": ("Huang Li", "unit-longtan-culture", "cultural officer", "section member"),
    "luo-jun": ("Luo Jun", "unit-longtan-office", "Party affairs officer", "section member"),
    "gao-ping": ("Gao Ping", "unit-longtan-office", "statistics officer", "section member"),
    "he-xia": ("He Xia", "unit-longtan-culture", "librarian", "section member"),
    "wu-hong": ("Wu Hong", "unit-longtan-office", "labour services officer", "section member"),
    "zhu-lei": ("Zhu Lei", "unit-baishi-forestry", "forestry technician", "section member"),
    "yang-fang": ("Yang Fang", "unit-baishi-office", "township office clerk", "section member"),
    "li-chao": ("Li Chao", "unit-heping-office", "deputy head, township office", "deputy section chief"),
}

SHENZHEN = ("enterprise", "Pengcheng Electronics Ltd", "Shenzhen, Guangdong")
DONGGUAN = ("enterprise", "Chang'an Mould Works", "Dongguan, Guangdong")
NINGBO = ("enterprise", "Beilun Building Materials Co", "Ningbo, Zhejiang")
SHANGHAI = ("locality", "Minhang district investment office", "Shanghai")
XIAMEN = ("enterprise", "Huli Trading Co", "Xiamen, Fujian")
GUANGZHOU = ("locality", "Baiyun district liaison office", "Guangzhou, Guangdong")


@dataclass(frozen=True, kw_only=True)
class Posting:
    """One nomination and what follows it; dates hand-picked, all on or before the demo's today."""

    key: str
    cadre: str
    route: str
    host: tuple[str, str, str]
    nominated_on: date
    decided_on: date
    rejected: str = ""
    departed_on: date | None = None
    #: Serves in this outstation branch (the membership demo's branch n) as well.
    branch: int | None = None
    role_at_host: str | None = None
    #: Last day at term: returned to the original post (decided that day).
    returned_on: date | None = None
    #: Early end: (requested on, last day, approved on).
    early_end: tuple[date, date, date] | None = None
    #: (kind, description, day, people introduced — talent only).
    contributions: tuple[tuple[str, str, date, int | None], ...] = field(default=())


def d(text: str) -> date:
    return date.fromisoformat(text)


POSTINGS = (
    Posting(key="qiaotou-1", cadre="chen-gang", route="self_found", host=SHENZHEN, nominated_on=d("2024-01-15"),
            decided_on=d("2024-02-01"), departed_on=d("2024-03-01"), returned_on=d("2026-02-28"),
            contributions=(("market_information", "suppliers looking for a second site", d("2025-05-20"), None),)),
    Posting(key="qiaotou-2", cadre="zhou-min", route="self_found", host=SHANGHAI, nominated_on=d("2025-04-20"),
            decided_on=d("2025-05-10"), departed_on=d("2025-06-01"), role_at_host="investment liaison"),
    Posting(key="qiaotou-3", cadre="xu-tao", route="organisational", host=SHENZHEN, nominated_on=d("2026-02-10"),
            decided_on=d("2026-02-27"), departed_on=d("2026-03-16"), branch=0, role_at_host="finance assistant"),
    Posting(key="qiaotou-4", cadre="ma-yun", route="self_found", host=XIAMEN, nominated_on=d("2026-07-20"),
            decided_on=d("2026-08-05"), departed_on=d("2026-09-01")),
    Posting(key="shuikou-1", cadre="sun-qiang", route="self_found", host=DONGGUAN, nominated_on=d("2025-09-01"),
            decided_on=d("2025-09-15"), departed_on=d("2025-10-08"),
            contributions=(("project", "a bamboo flooring workshop landed in the Shuikou park", d("2026-04-15"), None),
                           ("project", "a cold-chain depot for Shuikou's mushrooms", d("2026-09-10"), None))),
    Posting(key="shuikou-2", cadre="guo-hui", route="organisational", host=NINGBO, nominated_on=d("2025-12-15"),
            decided_on=d("2026-01-08"), departed_on=d("2026-02-02"), branch=1),
    Posting(key="longtan-1", cadre="lin-bo", route="self_found", host=GUANGZHOU, nominated_on=d("2025-02-20"),
            decided_on=d("2025-03-10"), departed_on=d("2025-04-01"),
            contributions=(("talent", "recruited two engineers for the Longtan industrial park", d("2026-03-10"), 2),
                           ("talent", "three nurses for the Longtan clinic", d("2026-08-20"), 3))),
    Posting(key="longtan-2", cadre="huang-li", route="self_found", host=SHANGHAI, nominated_on=d("2025-07-15"),
            decided_on=d("2025-08-01"), departed_on=d("2025-09-01"),
            early_end=(d("2026-04-20"), d("2026-05-31"), d("2026-05-10"))),
    Posting(key="longtan-3", cadre="luo-jun", route="organisational", host=DONGGUAN, nominated_on=d("2025-09-20"),
            decided_on=d("2025-10-15"), departed_on=d("2025-11-03"), branch=2, role_at_host="branch organiser"),
    Posting(key="longtan-4", cadre="gao-ping", route="self_found", host=XIAMEN, nominated_on=d("2025-11-20"),
            decided_on=d("2025-12-10"), departed_on=d("2026-01-05")),
    Posting(key="longtan-5", cadre="he-xia", route="self_found", host=SHENZHEN, nominated_on=d("2026-03-25"),
            decided_on=d("2026-04-15"), departed_on=d("2026-05-06")),
    Posting(key="longtan-6", cadre="wu-hong", route="organisational", host=GUANGZHOU, nominated_on=d("2026-06-20"),
            decided_on=d("2026-07-10"), departed_on=d("2026-08-03"), branch=6),
    Posting(key="baishi-1", cadre="zhu-lei", route="self_found", host=NINGBO, nominated_on=d("2025-10-20"),
            decided_on=d("2025-11-10"), departed_on=d("2025-12-01"),
            contributions=(("market_information", "timber buyers in Ningbo port", d("2026-09-05"), None),)),
    Posting(key="baishi-2", cadre="yang-fang", route="self_found", host=DONGGUAN, nominated_on=d("2026-05-10"),
            decided_on=d("2026-05-28"), departed_on=d("2026-06-15")),
    Posting(key="heping-1", cadre="li-chao", route="organisational", host=SHANGHAI, nominated_on=d("2026-04-10"),
            decided_on=d("2026-04-20"), rejected="the host office could not confirm a post for 2026"),
    Posting(key="heping-2", cadre="li-chao", route="self_found", host=DONGGUAN, nominated_on=d("2026-10-26"),
            decided_on=d("2026-11-09")),
)


def check_in_days(p: Posting) -> list[date]:
    """Five days before each quarter of time away, up to the last day away or the demo's today."""
    if p.departed_on is None:
        return []
    until = min(TODAY, p.returned_on or TODAY, p.early_end[1] if p.early_end else TODAY)
    days, k = [], 1
    while (day := add_months(p.departed_on, 3 * k) - timedelta(days=5)) <= until:
        days.append(day)
        k += 1
    return days


@dataclass
class Secondments:
    """What the leads need from this part: cadre and secondment ids by the demo's keys."""

    cadres: dict[str, str] = field(default_factory=dict)
    secondments: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


async def load_secondments(demo: DemoClient) -> Secondments:
    out = Secondments()
    counts = out.counts
    for key in ("units", "cadres", "nominations", "rejections", "departures", "check_ins", "contributions", "ends"):
        counts[key] = 0
    for unit_id, township, name, kind, headcount in UNITS:
        await demo.post("/v1/units", f"unit-{unit_id}", {
            "unit_id": unit_id, "township_id": township, "name": name, "kind": kind, "headcount": headcount,
            "effective_from": "2020-01-01"})
        counts["units"] += 1
    for unit_id, headcount, effective_from, reason in HEADCOUNT_CHANGES:
        await demo.post(f"/v1/units/{unit_id}/headcount", f"unit-{unit_id}-{effective_from}", {
            "headcount": headcount, "effective_from": str(effective_from), "reason": reason})
    for key, (name, unit_id, post, rank) in CADRES.items():
        out.cadres[key] = await demo.post_id("/v1/cadres", f"cadre-{key}", {
            "name": name, "unit_id": unit_id, "post": post, "rank": rank, "pay_grade": "grade 22",
            "administrative_relation_org_id": unit_id, "party_relation_org_id": f"{unit_id}-branch",
            "registered_on": "2018-09-01"})
        counts["cadres"] += 1
    log.info("demo data: %(units)d township units and %(cadres)d cadres registered; loading their secondments", counts)
    branches = await branch_ids(demo)

    async def one(p: Posting) -> None:
        host_kind, host_name, locality = p.host
        placement: dict[str, Any] = {"host_kind": host_kind, "host_name": host_name, "locality": locality}
        if p.branch is not None:
            placement["outstation_branch_id"] = branches[p.branch]
        if p.role_at_host:
            placement["role_at_host"] = p.role_at_host
        sid = await demo.post_id("/v1/secondments", f"secondment-{p.key}", {
            "cadre_id": out.cadres[p.cadre], "route": p.route, "placement": placement,
            "nominated_on": str(p.nominated_on)})
        out.secondments[p.key] = sid
        counts["nominations"] += 1
        path = f"/v1/secondments/{sid}"
        decision: dict[str, Any] = {"approved": not p.rejected, "decided_on": str(p.decided_on)}
        if p.rejected:
            decision["reason"] = p.rejected
            counts["rejections"] += 1
        await demo.post(f"{path}/nomination-decision", f"secondment-{p.key}-decision", decision)
        if p.departed_on is None:
            return
        await demo.post(f"{path}/departure", f"secondment-{p.key}-departure",
                        {"departed_on": str(p.departed_on), "placement": placement})
        counts["departures"] += 1
        for k, day in enumerate(check_in_days(p)):
            await demo.post(f"{path}/check-ins", f"secondment-{p.key}-check-in-{k}", {
                "checked_in_on": str(day), "thinking": "settled and in good spirits",
                "work": f"quarter {k + 1} at {host_name}"})
            counts["check_ins"] += 1
        for k, (kind, description, day, people) in enumerate(p.contributions):
            body: dict[str, Any] = {"kind": kind, "description": description, "contributed_on": str(day)}
            if people is not None:
                body["people"] = people
            await demo.post(f"{path}/contributions", f"secondment-{p.key}-contribution-{k}", body)
            counts["contributions"] += 1
        if p.returned_on is not None:
            await demo.post(f"{path}/end", f"secondment-{p.key}-end", {
                "outcome": "return_to_post", "last_day": str(p.returned_on), "decided_on": str(p.returned_on)})
            counts["ends"] += 1
        if p.early_end is not None:
            requested_on, last_day, approved_on = p.early_end
            await demo.post(f"{path}/early-end-request", f"secondment-{p.key}-early-end", {
                "last_day": str(last_day), "requested_on": str(requested_on), "reason": "a parent's illness at home"})
            await demo.post(f"{path}/early-end-decision", f"secondment-{p.key}-early-end-decision",
                            {"approved": True, "decided_on": str(approved_on)})
            counts["ends"] += 1

    async def cadre(key: str) -> None:  # one cadre's nominations in order; cadres side by side
        for p in POSTINGS:
            if p.cadre == key:
                await one(p)

    await asyncio.gather(*(cadre(key) for key in CADRES))
    log.info("demo data: %(units)d units, %(cadres)d cadres, %(nominations)d nominations (%(rejections)d rejected), "
             "%(departures)d departures, %(check_ins)d check-ins, %(ends)d ends of secondment", counts)
    return out
