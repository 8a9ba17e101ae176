"""The county's year-end summary per township and per branch: targets, development, dues, secondments and
investment side by side, as JSON or CSV (issue 13 item 2). It reads the same queries as the reports it sums up,
so a number here is the number the report gives."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.gateway.api import as_of, reports
from services.gateway.api.access import STAFF, Scope, operation, own_township
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import DatedReadPool, IdQuery
from services.gateway.api.positions import MinPosition
from services.gateway.api.secondments import targets_on
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import dues, leads, workers
from services.gateway.readmodels.waiting import wait_for_position
from services.kernel import clock
from services.kernel.events import encode
from services.membership.contract.events import REGISTRY

router = APIRouter(prefix="/v1/reports", tags=["reports"])

#: The CSV's columns, in order: one row per township, then one per branch (``level`` says which).
COLUMNS = ("level", "township_id", "branch_id", "township_target", "branches_by_30_june", "branch_target",
           "activists", "admissions", "dues_expected_yuan", "dues_paid_yuan", "dues_to_centre_yuan", "cadres_out",
           "cadres_required", "secondment_target", "leads_registered", "projects_landed", "capital_arrived_yuan",
           "actual_fixed_investment_yuan", "workers_registered", "service_cases_requested", "service_cases_closed",
           "service_cases_overdue", "workers_exported")
#: The migrant-worker services' columns: counted per township (a case belongs to a worker's township); of them
#: only labour export also has a branch, the outstation branch its group went to.
_SERVICES = ("workers_registered", "service_cases_requested", "service_cases_closed", "service_cases_overdue",
             "workers_exported")
_MONEY = ("dues_expected_yuan", "dues_paid_yuan", "dues_to_centre_yuan", "capital_arrived_yuan",
          "actual_fixed_investment_yuan")


def _row(level: str, township_id: str, branch_id: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in COLUMNS}
    if level == "township":
        row.update(dict.fromkeys(_SERVICES, 0))
    row.update(level=level, township_id=township_id, branch_id=branch_id, activists=0, admissions=0,
               dues_expected_yuan=Decimal(0), dues_paid_yuan=Decimal(0), dues_to_centre_yuan=Decimal(0),
               leads_registered=0, projects_landed=0, workers_exported=0,
               capital_arrived_yuan=Decimal(0), actual_fixed_investment_yuan=Decimal(0))
    return row


def summarise(membership: dict[str, Any], secondment: dict[str, Any], credit: list[dict[str, Any]],
              dues_by_branch: dict[str, tuple[Decimal, Decimal, Decimal]],
              services: Sequence[dict[str, Any]] = (), exported: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Township rows (each the sum of its branches, with its own targets and its migrant-worker services)
    followed by branch rows (with the workers labour export took to each). Pure."""
    branches: dict[str, dict[str, Any]] = {}
    for b in membership["branches"]:
        row = branches.setdefault(b["branch_id"], _row("branch", b["township_id"], b["branch_id"]))
        row.update(branch_target=b["status"], activists=b["activists"], admissions=b["admissions"])
    for c in credit:
        if c["branch_id"] is None:
            continue
        row = branches.setdefault(c["branch_id"], _row("branch", c["township_id"], c["branch_id"]))
        for key in ("leads_registered", "projects_landed", "capital_arrived_yuan", "actual_fixed_investment_yuan"):
            row[key] += c[key]
    for branch_id, (expected, paid, to_centre) in dues_by_branch.items():
        if branch_id in branches:
            branches[branch_id].update(dues_expected_yuan=expected, dues_paid_yuan=paid, dues_to_centre_yuan=to_centre)
    townships: dict[str, dict[str, Any]] = {}
    for t in membership["townships"]:
        row = townships.setdefault(t["township_id"], _row("township", t["township_id"]))
        row.update(township_target=t["status"], branches_by_30_june=len(t["branches_by_deadline"]))
    for s in secondment["townships"]:
        row = townships.setdefault(s["township_id"], _row("township", s["township_id"]))
        row.update(cadres_out=s["out"], cadres_required=s["required"], secondment_target=s["status"])
    for e in exported:
        if e["branch_id"] in branches:
            branches[e["branch_id"]]["workers_exported"] = e["workers_exported"]
    for v in services:
        row = townships.setdefault(v["township_id"], _row("township", v["township_id"]))
        row.update({k: v.get(k, 0) for k in _SERVICES})
    for b in branches.values():
        row = townships.setdefault(b["township_id"], _row("township", b["township_id"]))
        for key in ("activists", "admissions", "leads_registered", "projects_landed", *_MONEY):
            row[key] += b[key]
    for c in credit:  # leads credited to no branch still count for their township
        if c["branch_id"] is None:
            row = townships.setdefault(c["township_id"], _row("township", c["township_id"]))
            for key in ("leads_registered", "projects_landed", "capital_arrived_yuan", "actual_fixed_investment_yuan"):
                row[key] += c[key]
    return [*(townships[t] for t in sorted(townships)),
            *(branches[b] for b in sorted(branches, key=lambda b: (branches[b]["township_id"], b)))]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in _plain(row).items()})
    return out.getvalue()


@operation(router, "/year-end", roles=STAFF, action="read the year-end summary", scope=Scope.TOWNSHIP,
           response_class=Response,
           responses={200: {**as_of.RESPONSES[200], "content": {"application/json": {}, "text/csv": {}},
                            "description": "The summary as JSON, or as CSV with `format=csv`"}})
async def year_end_summary(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, response: Response,
    year: Annotated[int, Query(ge=2000, le=2100)],
    township: Annotated[IdQuery, Query(description="One township committee's id.")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="`csv` for a spreadsheet (UTF-8).")] = "json",
    min_position: MinPosition = None,
) -> Response:
    """The year-end summary per township and per branch: the 30 June township target and each branch's target,
    activists and admissions, dues expected and paid and the voluntary dues remitted to the Centre, cadres out
    against the 5 % target, leads, landed projects and capital, and the migrant-worker services (workers on
    the register, cases requested, closed and overdue, workers taken by labour export) — as known on
    31 December (or today, before then). JSON, or CSV with `format=csv`."""
    township = own_township(actor, township)
    await wait_for_position(pool, REGISTRY.source, min_position)
    known = when.day or min(clock.today(), date(year, 12, 31))
    membership = await reports.membership_targets(pool, year, known, township)
    secondment = await targets_on(pool, year=year, as_of=known, on=None, township=township)
    credit = [dict(r) for r in await leads.credit_in_period(pool, township, date(year, 1, 1), known)]
    dues_by_branch: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for b in membership["branches"]:
        months = await dues.ledger_months(pool, b["branch_id"], year, known)
        received = await dues.received(pool, b["branch_id"], year, known)
        dues_by_branch[b["branch_id"]] = (sum((Decimal(m["expected"] or 0) for m in months), Decimal(0)),
                                          sum((Decimal(m["paid"] or 0) for m in months), Decimal(0)),
                                          Decimal(received["to_central_committee"]))
    start = date(year, 1, 1)
    exported = await workers.exported_by_branch(pool, township, start, known)
    rows = summarise(membership, secondment, credit, dues_by_branch,
                     services=await workers.services_in_period(pool, township, start, known, exported),
                     exported=exported)
    # An as-of answer names what it reflects (the as_of dependency put it on the injected response).
    reflects = {k: v for k, v in response.headers.items() if k.lower().startswith("gb-")}
    if format == "csv":
        return Response(to_csv(rows).encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers={
            **reflects, "Content-Disposition": f'attachment; filename="golden-bridge-year-end-{year}.csv"'})
    return Response(encode({"year": year, "as_of": known, "columns": COLUMNS, "rows": [_plain(r) for r in rows]}),
                    media_type="application/json", headers=reflects)
