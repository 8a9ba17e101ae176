"""Demo data, part three: a year of investment leads in the demo townships, in every stage of the pipeline.

20 registrations, registered by outstation branches (the membership demo's branch n), their first
members and seconded cadres. The pipeline on 24 November 2026 (stalled: an open lead whose last step
was 30 or more days before — 15 for a homecoming lead, the fast lane; arrived: yuan of funds recorded):

| township | reg. | cont. | visit | negot. | signed | funds arr. | landed | dropped | dup. | stalled | arrived   |
|----------|-----:|------:|------:|-------:|-------:|-----------:|-------:|--------:|-----:|--------:|----------:|
| Qiaotou  | 1    | 1     |       |        |        | 1          | 1      | 1       |      |         | 1,250,000 |
| Shuikou  |      |       | 1     | 1      |        |            | 1      |         | 1    | 1       | 2,000,000 |
| Longtan  |      | 1     |       |        | 1      | 1          | 1      | 1       |      | 1       | 3,300,000 |
| Baishi   | 1    |       |       | 1      | 1      |            |        |         |      |         | 0         |
| Heping   | 1    | 1     |       |        |        |            |        | 1       |      | 1       | 0         |

- Qiaotou: the seconded cadre Zhou Min's precision-parts plant lands (funds 400,000 + 350,000 + 300,000;
  actual fixed investment 8,000,000 → reward 3 ‰ = 24,000 yuan); her homecoming food plant has 200,000
  arrived. The funds-credit policy records all four instalments as capital on her secondment
  (1,250,000 yuan) and proposes her commendation on 2026-05-12, when the third instalment takes the
  total to 1,050,000 — the other lead's 200,000 can never be the one that crosses 1,000,000, so the
  day does not depend on the order in which the two leads' events are handled.
- Shuikou: a logistics park lands (2,000,000 arrived; 15,000,000 invested → 30,000 + 10,000 = 40,000
  yuan reward); a member's lead has sat in negotiation since 10 September (stalled); a food-processing
  lead is in the visit stage, and a member registered it again four days after the branch did —
  spelt differently, it is the same investor and project: a duplicate, credited to the first referrer.
- Longtan: a homecoming textile workshop lands (1,500,000 + 1,000,000 arrived; 6,000,000 invested →
  18,000 yuan reward); a Longtan native's fruit company in Xiamen, also homecoming (回归), has 800,000
  arrived on 2 November and nothing since: 22 days, stalled in the fast lane (15 days) though an ordinary
  lead would not be (30); one is signed; the seconded cadre He Xia's lead is contacted; a member's lead
  was dropped (land use not approved). The pipeline's homecoming lane for Longtan: 2 leads (funds arriving,
  landed), 1 stalled, 1 landed, 3,300,000 arrived.
- Baishi: negotiating, signed, and the seconded cadre Zhu Lei's lead registered on 20 November.
- Heping: one lead registered on 1 September and never contacted (stalled), one contacted, one dropped.

Rewards are claimed on all three landed leads. Investor names are the demo's own, so no other
registration is taken for a duplicate of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from demo.client import DemoClient, gateway_client
from demo.membership import branch_ids, first_member, plan
from demo.secondment import CADRES, Secondments, d, load_secondments

log = logging.getLogger("demo")


@dataclass(frozen=True, kw_only=True)
class LeadPlan:
    key: str
    #: Who registers it: "branch" or "member" (branch n's first member) or "cadre" (a CADRES key).
    registrant: str
    #: The membership demo's branch the lead is credited to; its home township is the lead's.
    branch: int
    investor: str
    project: str
    sector: str
    kind: str
    promised: str
    origin: str
    registered_on: date
    cadre: str = ""
    homecoming: bool = False
    steps: tuple[tuple[str, date], ...] = ()
    funds: tuple[tuple[str, date], ...] = ()
    landed: tuple[date, str] | None = None
    claimed_on: date | None = None
    dropped: tuple[date, str] | None = None


LEADS = (
    # Qiaotou (branches 0, 4, 8)
    LeadPlan(key="qiaotou-precision", registrant="cadre", cadre="zhou-min", branch=0,
             investor="Suzhou Hengtai Precision Co", project="Qiaotou precision parts plant", sector="machinery",
             kind="project", promised="1200000", origin="Shanghai", registered_on=d("2025-07-10"),
             steps=(("contacted", d("2025-08-01")), ("visit", d("2025-09-12")), ("signed", d("2025-11-20"))),
             funds=(("400000", d("2025-12-15")), ("350000", d("2026-03-02")), ("300000", d("2026-05-12"))),
             landed=(d("2026-06-30"), "8000000"), claimed_on=d("2026-07-15")),
    LeadPlan(key="qiaotou-food", registrant="cadre", cadre="zhou-min", branch=0, homecoming=True,
             investor="Minhang Qiaotou Natives Food Co", project="Qiaotou bamboo shoot cannery", sector="food",
             kind="capital", promised="900000", origin="Shanghai", registered_on=d("2026-04-08"),
             steps=(("contacted", d("2026-04-20")), ("negotiating", d("2026-06-01")), ("signed", d("2026-07-20"))),
             funds=(("200000", d("2026-11-10")),)),
    LeadPlan(key="qiaotou-solar", registrant="branch", branch=0, investor="Longhua Sunrise Solar Ltd",
             project="Qiaotou rooftop solar", sector="energy", kind="technology", promised="3000000",
             origin="Shenzhen, Guangdong", registered_on=d("2026-10-12"), steps=(("contacted", d("2026-11-03")),)),
    LeadPlan(key="qiaotou-tea", registrant="member", branch=4, investor="Xiamen Minnan Tea Traders",
             project="Qiaotou tea sales channel", sector="sales", kind="sales_channel", promised="500000",
             origin="Xiamen, Fujian", registered_on=d("2026-11-16")),
    LeadPlan(key="qiaotou-furniture", registrant="branch", branch=8, investor="Ningbo Oriental Furniture Co",
             project="Qiaotou furniture workshop", sector="manufacturing", kind="project", promised="4000000",
             origin="Ningbo, Zhejiang", registered_on=d("2026-02-10"), steps=(("contacted", d("2026-03-01")),),
             dropped=(d("2026-05-20"), "the investor chose a site in another county")),
    # Shuikou (branches 1, 5, 9)
    LeadPlan(key="shuikou-logistics", registrant="branch", branch=1, investor="Chang'an Express Logistics Co",
             project="Shuikou logistics park", sector="logistics", kind="project", promised="2000000",
             origin="Dongguan, Guangdong", registered_on=d("2025-09-05"),
             steps=(("contacted", d("2025-09-20")), ("visit", d("2025-10-15")), ("negotiating", d("2025-12-01")),
                    ("signed", d("2026-01-18"))),
             funds=(("2000000", d("2026-03-20")),), landed=(d("2026-09-30"), "15000000"), claimed_on=d("2026-10-20")),
    LeadPlan(key="shuikou-ceramics", registrant="member", branch=5, investor="Foshan Glazed Ceramics Ltd",
             project="Shuikou tile kiln", sector="building materials", kind="project", promised="6000000",
             origin="Guangzhou, Guangdong", registered_on=d("2026-06-02"),
             steps=(("contacted", d("2026-07-01")), ("negotiating", d("2026-09-10")))),
    LeadPlan(key="shuikou-foods", registrant="branch", branch=9, investor="Xiamen Lianfa Foods Co., Ltd.",
             project="Shuikou mushroom processing", sector="food", kind="capital", promised="1500000",
             origin="Xiamen, Fujian", registered_on=d("2026-09-28"),
             steps=(("contacted", d("2026-10-14")), ("visit", d("2026-11-05")))),
    LeadPlan(key="shuikou-foods-again", registrant="member", branch=5, investor="XIAMEN LIANFA FOODS CO LTD",
             project="Shuikou Mushroom Processing", sector="food", kind="capital", promised="1500000",
             origin="Xiamen, Fujian", registered_on=d("2026-10-02")),
    # Longtan (branches 2, 6, 10)
    LeadPlan(key="longtan-textile", registrant="branch", branch=2, homecoming=True,
             investor="Humen Longtan Natives Textile Co", project="Longtan garment workshop", sector="textiles",
             kind="project", promised="2500000", origin="Dongguan, Guangdong", registered_on=d("2025-05-12"),
             steps=(("contacted", d("2025-06-01")), ("visit", d("2025-07-08")), ("signed", d("2025-10-10"))),
             funds=(("1500000", d("2025-11-28")), ("1000000", d("2026-02-26"))),
             landed=(d("2026-05-28"), "6000000"), claimed_on=d("2026-06-18")),
    LeadPlan(key="longtan-cement", registrant="branch", branch=6, investor="Baiyun Green Cement Co",
             project="Longtan precast concrete yard", sector="building materials", kind="project",
             promised="5000000", origin="Guangzhou, Guangdong", registered_on=d("2026-08-03"),
             steps=(("contacted", d("2026-08-20")), ("negotiating", d("2026-09-25")), ("signed", d("2026-11-12")))),
    LeadPlan(key="longtan-chips", registrant="cadre", cadre="he-xia", branch=2, investor="Nanshan Microchip Ltd",
             project="Longtan electronics assembly line", sector="electronics", kind="technology",
             promised="8000000", origin="Shenzhen, Guangdong", registered_on=d("2026-10-30"),
             steps=(("contacted", d("2026-11-18")),)),
    LeadPlan(key="longtan-resort", registrant="member", branch=10, investor="Minhang Leisure Group",
             project="Longtan hot spring resort", sector="tourism", kind="capital", promised="20000000",
             origin="Shanghai", registered_on=d("2026-01-15"),
             steps=(("contacted", d("2026-02-01")), ("visit", d("2026-03-10"))),
             dropped=(d("2026-04-30"), "land use for the resort was not approved")),
    LeadPlan(key="longtan-orchard", registrant="branch", branch=10, investor="Huli Fresh Fruit Co", homecoming=True,
             project="Longtan navel orange orchard", sector="agriculture", kind="capital", promised="1200000",
             origin="Xiamen, Fujian", registered_on=d("2026-03-02"),
             steps=(("contacted", d("2026-03-20")), ("signed", d("2026-06-10"))), funds=(("800000", d("2026-11-02")),)),
    # Baishi (branches 3, 7, 11)
    LeadPlan(key="baishi-timber", registrant="branch", branch=3, investor="Beilun Timber Imports Co",
             project="Baishi wood processing plant", sector="forestry", kind="project", promised="3500000",
             origin="Ningbo, Zhejiang", registered_on=d("2026-07-14"),
             steps=(("contacted", d("2026-08-02")), ("visit", d("2026-09-16")), ("negotiating", d("2026-10-28")))),
    LeadPlan(key="baishi-honey", registrant="cadre", cadre="zhu-lei", branch=3, investor="Yinzhou Bee Products Co",
             project="Baishi honey cooperative", sector="agriculture", kind="sales_channel", promised="300000",
             origin="Ningbo, Zhejiang", registered_on=d("2026-11-20")),
    LeadPlan(key="baishi-herbs", registrant="member", branch=7, investor="Dongguan Herbal Pharma Ltd",
             project="Baishi medicinal herb base", sector="pharmaceuticals", kind="project", promised="2200000",
             origin="Dongguan, Guangdong", registered_on=d("2026-05-05"),
             steps=(("contacted", d("2026-06-01")), ("signed", d("2026-11-06")))),
    # Heping (branch 12)
    LeadPlan(key="heping-bamboo", registrant="branch", branch=12, investor="Huli Bamboo Crafts Co",
             project="Heping bamboo weaving workshop", sector="crafts", kind="project", promised="600000",
             origin="Xiamen, Fujian", registered_on=d("2026-09-01")),
    LeadPlan(key="heping-ecotour", registrant="member", branch=12, investor="Xinzhuang Travel Agency",
             project="Heping village homestays", sector="tourism", kind="capital", promised="1000000",
             origin="Shanghai", registered_on=d("2026-10-20"), steps=(("contacted", d("2026-11-09")),)),
    LeadPlan(key="heping-battery", registrant="branch", branch=12, investor="Longgang Battery Recycling Co",
             project="Heping battery recycling", sector="energy", kind="project", promised="9000000",
             origin="Shenzhen, Guangdong", registered_on=d("2026-08-20"),
             dropped=(d("2026-10-10"), "the investor withdrew after the environmental review")),
)


@dataclass
class Leads:
    ids: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


async def load_leads(demo: DemoClient, seconded: Secondments) -> Leads:
    """Register the leads in order (the duplicate after the lead it repeats) and take each along its plan."""
    branches, _ = plan()
    ids = await branch_ids(demo)
    out = Leads(counts={"leads": 0, "instalments": 0, "landed": 0, "reward_claims": 0, "dropped": 0})
    counts = out.counts
    for number, lead in enumerate(LEADS):
        branch_id = ids[lead.branch]
        township = str(branches[lead.branch]["home_org_id"])
        if lead.registrant == "branch":
            registrant_id, name = branch_id, str(branches[lead.branch]["name"])
        elif lead.registrant == "member":
            registrant_id, name = await first_member(demo, lead.branch, branch_id)
        else:
            registrant_id, name = seconded.cadres[lead.cadre], CADRES[lead.cadre][0]
        body: dict[str, Any] = {
            "registrant_kind": lead.registrant, "registrant_id": registrant_id, "registrant_name": name,
            "branch_id": branch_id, "township_id": township, "investor": lead.investor,
            "project": lead.project, "sector": lead.sector, "kind": lead.kind, "promised_amount": lead.promised,
            "origin_locality": lead.origin, "registered_on": str(lead.registered_on), "homecoming": lead.homecoming}
        lead_id = out.ids[lead.key] = await demo.post_id("/v1/leads", f"lead-{lead.key}", body)
        counts["leads"] += 1
        path = f"/v1/leads/{lead_id}"
        for stage, day in lead.steps:
            await demo.post(f"{path}/progress", f"lead-{lead.key}-{stage}",
                            {"to_stage": stage, "advanced_on": str(day)})
        for n, (amount, day) in enumerate(lead.funds, start=1):
            await demo.post(f"{path}/funds", f"lead-{lead.key}-funds-{n}", {
                "amount": amount, "arrived_on": str(day), "reference": f"DEMO-{lead.key.upper()}-{n:02d}"})
            counts["instalments"] += 1
        if lead.landed:
            completed_on, invested = lead.landed
            await demo.post(f"{path}/landing", f"lead-{lead.key}-landing",
                            {"completed_on": str(completed_on), "actual_fixed_investment": invested})
            counts["landed"] += 1
        if lead.claimed_on:
            await demo.post(f"{path}/reward-claims", f"lead-{lead.key}-reward",
                            {"claimant_id": registrant_id, "claimed_on": str(lead.claimed_on)})
            counts["reward_claims"] += 1
        if lead.dropped:
            dropped_on, reason = lead.dropped
            await demo.post(f"{path}/drop", f"lead-{lead.key}-drop", {"dropped_on": str(dropped_on), "reason": reason})
            counts["dropped"] += 1
        following = LEADS[number + 1] if number + 1 < len(LEADS) else None
        if following is None or branches[following.branch]["home_org_id"] != township:
            log.info("demo data: investment leads of %s loaded (%d leads so far)", township, counts["leads"])
    log.info("demo data: %(leads)d investment leads, %(instalments)d instalments of funds, %(landed)d landed, "
             "%(reward_claims)d reward claims, %(dropped)d dropped", counts)
    return out


@dataclass
class Results:
    """The secondment and investment parts of the demo, with the positions to read them at."""

    secondments: Secondments
    leads: Leads
    counts: dict[str, int]
    secondment_position: int
    investment_position: int


async def load_results(base_url: str, token: str) -> Results:
    """Load the secondments, then the leads (a cadre must be away before funds on their lead can be credited)."""
    async with gateway_client(base_url, token) as client:
        on_secondments = DemoClient(client)
        seconded = await load_secondments(on_secondments)
        on_leads = DemoClient(client)
        leads = await load_leads(on_leads, seconded)
    counts = {**seconded.counts, **leads.counts, "written": on_secondments.written + on_leads.written}
    return Results(secondments=seconded, leads=leads, counts=counts,
                   secondment_position=on_secondments.position, investment_position=on_leads.position)
