"""Signing in and out, the language switch, the home page of each role, and the answers every page shares
(sign in first, an API refusal shown as a page with the API's own status and words)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.console import charts, i18n
from services.gateway.console.render import page
from services.gateway.console.session import (
    LANG_COOKIE,
    PREFIX,
    SESSION_HOURS,
    TOKEN_COOKIE,
    Answer,
    Viewer,
    call,
    check_token,
    close_session,
    csrf_ok,
    language,
    open_session,
    viewer,
)
from services.gateway.throttle import FailedAuthentications, TooManyFailures, client_address
from services.kernel import clock
from services.kernel.settings import Settings
from services.pure.identity import BUREAUS, Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_FORM = 64 * 1024
#: An id in a console path goes into an API path: only what the API's ids may be (services/gateway/api/deps.py).
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}")


def not_an_id(request: Request, who: Viewer, value: str) -> Response | None:
    """A 404 page for a path id the API could never hold (``..``, a slash, a NUL), else None."""
    if ID.fullmatch(value):
        return None
    return page(request, "error.html", who, status=404, detail="no such record", api_status=404)


def safe_next(target: str | None) -> str:
    """Only a console path: a sign-in link can never send someone to another site."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


def to_sign_in(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/sign-in?next={quote(here)}", status_code=303)


def failed(request: Request, who: Viewer, answer: Answer) -> Response:
    """The API refused: a page with its status and its detail (a revoked token signs the person out)."""
    if answer.status == 401:
        return to_sign_in(request)
    detail = answer.body.get("detail") if isinstance(answer.body, dict) else str(answer.body)[:300]
    return page(request, "error.html", who, status=answer.status if 400 <= answer.status < 500 else 502,
                detail=detail, api_status=answer.status)


async def form_values(request: Request) -> dict[str, str] | None:
    """An urlencoded form's fields (the last value of each); None when the body is too large or holds more fields
    than any form has."""
    raw = await request.body()
    if len(raw) > MAX_FORM:
        return None
    try:
        parsed = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)
    except ValueError:  # more fields than any form has: refused like a body too large, not a 500
        return None
    return {k: v[-1] for k, v in parsed.items()}


def same_origin(request: Request) -> bool:
    """A request made by this console's own pages: the browser's Origin (when it sends one) is this host, and
    its Sec-Fetch-Site (a browser that sends no Origin may still send this) does not name another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def refused_sign_in(request: Request) -> Response | None:
    """Count a token that failed, as the API counts a bad bearer token (services/gateway/throttle.py): guessing
    tokens through the console is slowed down as much as through the API. The sign-in page with 429 once this
    address has failed too often, else None."""
    failures: FailedAuthentications = request.app.state.auth_failures
    try:
        failures.failed(client_address(request))
    except TooManyFailures as exc:
        refused = page(request, "sign_in.html", None, status=429, next=PREFIX, failed=True)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    return None


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    return page(request, "sign_in.html", None, next=safe_next(next), failed=False)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    values = await form_values(request)
    if values is None or not same_origin(request):
        return page(request, "sign_in.html", None, status=400, next=PREFIX, failed=True)
    token = values.get("token", "").strip()
    who = check_token(request, token) if 0 < len(token) <= 4096 else None
    if who is None:
        return refused_sign_in(request) or page(request, "sign_in.html", None, status=401,
                                                next=safe_next(values.get("next")), failed=True)
    if who.in_session:  # a session is opened with a token of one's own, never with another session's
        return page(request, "sign_in.html", None, status=400, next=safe_next(values.get("next")), failed=True)
    settings: Settings = request.app.state.settings
    response = RedirectResponse(safe_next(values.get("next")), status_code=303)
    # Secure outside development even when TLS ends at a proxy in front (the scheme seen here is then http).
    response.set_cookie(TOKEN_COOKIE, await open_session(request, who), httponly=True, samesite="strict",
                        path=PREFIX, secure=request.url.scheme == "https" or settings.environment != "development",
                        max_age=SESSION_HOURS * 3600)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    who = viewer(request)
    values = await form_values(request) or {}
    if not same_origin(request) or (who is not None and not csrf_ok(request, who, values.get("csrf"))):
        return page(request, "error.html", who, status=403, detail=i18n.text("csrf_failed", language(request)))
    if who is not None:
        await close_session(request, who)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path=PREFIX)
    return response


@router.get("/lang/{lang}")
async def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    # A link from another site may bring someone here, but does not choose their language.
    if lang in i18n.LANGS and same_origin(request):
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path=PREFIX, max_age=365 * 86400)
    return response


async def _items(request: Request, who: Viewer, path: str, **params: Any) -> list[dict[str, Any]]:
    """A list's first page, or nothing where the API refuses this role (the home page shows what it can)."""
    answer = await call(request, who, "GET", path, params={"limit": 100, **params})
    if not answer.ok or not isinstance(answer.body, dict):
        return []
    items = answer.body.get("items") or []
    return [i for i in items if isinstance(i, dict)]


async def branch_names(request: Request, who: Viewer) -> dict[str, str]:
    """Branch id → name from the branch directory (which every county role may read), for the lists' display."""
    names: dict[str, str] = {}
    cursor: str | None = None
    for _ in range(20):
        answer = await call(request, who, "GET", "/v1/branches", params={"limit": 500, "cursor": cursor})
        if not answer.ok:
            break
        names.update({b["branch_id"]: b["name"] for b in answer.body.get("items", [])})
        cursor = answer.body.get("next_cursor")
        if not cursor:
            break
    return names


async def due_items(request: Request, who: Viewer) -> list[dict[str, Any]]:
    """Due items of the viewer's organisation and, for a township committee, of its outstation branches."""
    org = who.actor.org_id
    if not org or who.actor.role not in (Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY, Role.HOST_ORGANISATION):
        return []
    orgs = [org]
    if who.actor.role is Role.TOWNSHIP_COMMITTEE:
        orgs += [b["branch_id"] for b in await _items(request, who, "/v1/branches", home_org_id=org)]
    found: list[dict[str, Any]] = []
    for one in orgs:
        found += await _items(request, who, f"/v1/organisations/{one}/due-items")
    return sorted(found, key=lambda i: (not i.get("overdue"), str(i.get("due_on"))))


async def target_bars(request: Request, who: Viewer, year: int) -> tuple[dict[str, Any] | None, Any]:
    """The membership and secondment targets of the year, with a chart of each township's 5 % (staff only)."""
    if who.actor.role not in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        return None, None
    lang = language(request)
    membership = await call(request, who, "GET", "/v1/reports/targets", params={"year": year})
    secondment = await call(request, who, "GET", "/v1/reports/secondment-targets", params={"year": year})
    if not (membership.ok and secondment.ok):
        return None, None
    rows = secondment.body.get("townships", [])
    chart = charts.bars(i18n.text("secondment_targets", lang), [
        charts.Bar(label=r["township_id"].removeprefix("township-"), value=float(r["out"]),
                   target=float(r["required"]), status=r["status"],
                   caption=f"{r['out']} / {r['required']} ({r['percent_out']} %)") for r in rows])
    return {"membership": membership.body, "secondment": secondment.body}, chart


@router.get("")
async def home(request: Request) -> Response:
    """What needs doing for the signed-in role."""
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    role = who.actor.role
    today: date = clock.today()
    context: dict[str, Any] = {"today": today, "due": await due_items(request, who)}
    if role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY, Role.HOST_ORGANISATION):
        context["overdue_transfers"] = await _items(request, who, "/v1/transfers", overdue_on=today.isoformat())
        context["in_progress"] = await _items(request, who, "/v1/transfers", state="in_progress")
    if role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        answer = await call(request, who, "GET", "/v1/secondments/due-items")
        context["secondment_due"] = answer.body.get("items", []) if answer.ok else []
        context["targets"], context["chart"] = await target_bars(request, who, today.year)
    if role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY):
        context["stalled"] = await _items(request, who, "/v1/leads", stalled="true")
    if role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, *BUREAUS):
        context["waiting_cases"] = [c for c in await _items(request, who, "/v1/service-cases")
                                    if c.get("stage") in ("requested", "referred")]
    if role is Role.MEMBER:
        context["own"] = await call(request, who, "GET", f"/v1/members/{who.actor.subject}")
    return page(request, "home.html", who, **context)
