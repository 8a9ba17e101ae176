"""The console's report pages: targets with charts, the development funnel, a branch's dues ledger with its
arrears, its meetings, a member with their dues statement, and the year-end summary in a print layout."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.console import charts, i18n
from services.gateway.console.frame import branch_names, failed, not_an_id, target_bars, to_sign_in
from services.gateway.console.render import page
from services.gateway.console.session import PREFIX, Answer, Viewer, call, language, viewer
from services.kernel import clock

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _year(request: Request) -> int | None:
    """The ``year`` asked for (default this year); None when it is not a year from 2000 to 2100."""
    raw = request.query_params.get("year")
    if raw is None or raw == "":
        return clock.today().year
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses, and any length, which int() may too.
    return int(raw) if re.fullmatch(r"[0-9]{4}", raw) and 2000 <= int(raw) <= 2100 else None


def _bad_year(request: Request, who: Any) -> Response:
    return page(request, "error.html", who, status=422, detail="year: give a year from 2000 to 2100", api_status=422)


def _money(raw: object) -> Decimal:
    try:
        return Decimal(str(raw or "0"))
    except InvalidOperation:
        return Decimal(0)


@router.get("/targets")
async def targets(request: Request) -> Response:
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    year = _year(request)
    if year is None:
        return _bad_year(request, who)
    reports, chart = await target_bars(request, who, year)
    if reports is None:
        answer = await call(request, who, "GET", "/v1/reports/targets", params={"year": year})
        return failed(request, who, answer)
    lang = language(request)
    names = await branch_names(request, who)
    branch_chart = charts.bars(i18n.text("branch_targets", lang), [
        charts.Bar(label=names.get(b["branch_id"], b["branch_id"])[:24], value=float(b["activists"]),
                   target=float(b["activists_required"]),
                   status=b["status"], caption=f"{b['activists']}/{b['activists_required']} · "
                                               f"{b['admissions']}/{b['admissions_required']}")
        for b in reports["membership"].get("branches", [])])
    return page(request, "targets.html", who, year=year, reports=reports, chart=chart, branch_chart=branch_chart,
                names=names)


@router.get("/funnel")
async def funnel(request: Request) -> Response:
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    org_id = request.query_params.get("org_id") or None
    answer = await call(request, who, "GET", "/v1/development/funnel", params={"org_id": org_id})
    if not answer.ok:
        return failed(request, who, answer)
    lang = language(request)
    stages = answer.body.get("stages", [])
    chart = charts.bars(i18n.text("funnel", lang), [
        charts.Bar(label=i18n.value(s["stage"], lang), value=float(s["cases"]),
                   status="missed" if s["with_overdue_steps"] else "met", caption=str(s["cases"]))
        for s in stages])
    return page(request, "funnel.html", who, stages=stages, chart=chart, org_id=org_id or "")


async def _branch_year(request: Request, org_id: str, path: str) -> tuple[Viewer, int, Answer] | Response:
    """A branch's yearly read (``path`` under /v1/organisations/{org_id}/) as the signed-in person, for ``year``;
    or the page that says why not (sign in, a bad id or year, the API's refusal)."""
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    if (bad := not_an_id(request, who, org_id)) is not None:
        return bad
    year = _year(request)
    if year is None:
        return _bad_year(request, who)
    answer = await call(request, who, "GET", f"/v1/organisations/{org_id}/{path}",
                        params={"year": year, "min_position": request.query_params.get("min_position")})
    if not answer.ok:
        return failed(request, who, answer)
    return who, year, answer


@router.get("/organisations/{org_id}/ledger")
async def ledger(request: Request, org_id: str) -> Response:
    read = await _branch_year(request, org_id, "dues/ledger")
    if isinstance(read, Response):
        return read
    who, year, answer = read
    months = [{**m, "arrears": max(_money(m.get("expected")) - _money(m.get("paid")), Decimal(0))}
              for m in answer.body.get("months", [])]
    return page(request, "ledger.html", who, org_id=org_id, year=year, months=months,
                payments=answer.body.get("payments", {}), total_arrears=sum((m["arrears"] for m in months),
                                                                              Decimal(0)))


@router.get("/organisations/{org_id}/meetings")
async def meetings(request: Request, org_id: str) -> Response:
    read = await _branch_year(request, org_id, "meeting-compliance")
    if isinstance(read, Response):
        return read
    who, year, answer = read
    return page(request, "meetings.html", who, org_id=org_id, year=year,
                requirements=answer.body.get("requirements", []))


@router.get("/members/{member_id}")
async def member(request: Request, member_id: str) -> Response:
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    if (bad := not_an_id(request, who, member_id)) is not None:
        return bad
    answer = await call(request, who, "GET", f"/v1/members/{member_id}",
                        params={"min_position": request.query_params.get("min_position")})
    if not answer.ok:
        return failed(request, who, answer)
    return page(request, "member.html", who, member=answer.body)


@router.get("/members/{member_id}/dues")
async def statement(request: Request, member_id: str) -> Response:
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    if (bad := not_an_id(request, who, member_id)) is not None:
        return bad
    answer = await call(request, who, "GET", f"/v1/members/{member_id}/dues",
                        params={"min_position": request.query_params.get("min_position")})
    if not answer.ok:
        return failed(request, who, answer)
    return page(request, "statement.html", who, member_id=member_id, months=answer.body.get("months", []),
                payments=answer.body.get("payments", []))


@router.get("/year-end")
async def year_end(request: Request) -> Response:
    """The year-end summary, laid out for printing (the API's GET /v1/reports/year-end)."""
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    year = _year(request)
    if year is None:
        return _bad_year(request, who)
    answer = await call(request, who, "GET", "/v1/reports/year-end", params={"year": year})
    if not answer.ok:
        return failed(request, who, answer)
    return page(request, "year_end.html", who, year=year, summary=answer.body,
                names=await branch_names(request, who))
