"""The console against a hostile user: odd input is a 4xx page never a 500, exports never run what people typed,
tokens guessed through the console are slowed like the API's, and other sites can neither post nor frame.

The console is served here by a small app of its own: stand-ins for the few API reads it makes (members,
branches, the funnel), holding whatever text an attacker could have typed into the system."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from starlette.requests import Request

from services.gateway import console, throttle
from services.gateway.auth import issue_token, new_token, read_token
from services.gateway.console import exports
from services.gateway.console.forms import FORMS, body
from services.gateway.console.session import Viewer, csrf_token
from services.gateway.token_registry import TokenIssued
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta
from services.pure.errors import StateConflict
from services.pure.identity import Actor, Role

HOSTILE = '=HYPERLINK("http://evil.example","x")'
SCRIPT = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
SETTINGS = Settings()
ADMIN = Actor(subject="county-clerk", role=Role.COUNTY_ADMIN)


class Tokens:
    """The token registry's part the console uses, in memory: what it issued and what it revoked."""

    def __init__(self) -> None:
        self.issued_now: list[TokenIssued] = []
        self.revoked: dict[str, str | None] = {}

    def is_revoked(self, token_id: str) -> bool:
        return token_id in self.revoked

    async def issued(self, issued: TokenIssued, meta: CommandMeta) -> None:
        self.issued_now.append(issued)

    async def revoke(self, token_id: str, reason: str | None, meta: CommandMeta) -> None:
        if token_id in self.revoked:
            raise StateConflict(f"token {token_id} is already revoked")
        self.revoked[token_id] = reason


def _console(members: list[dict[str, Any]], settings: Settings = SETTINGS) -> FastAPI:
    app = FastAPI()
    throttle.install(app)
    console.install(app)
    app.state.settings = settings
    app.state.tokens = Tokens()

    @app.get("/v1/members")
    async def listed() -> dict[str, Any]:
        return {"items": members, "next_cursor": None}

    @app.get("/v1/members/{member_id}")
    async def one(member_id: str) -> dict[str, Any]:
        return members[0]

    @app.get("/v1/branches")
    async def directory() -> dict[str, Any]:
        return {"items": [], "next_cursor": None}

    @app.get("/v1/development/funnel")
    async def funnel() -> dict[str, Any]:
        return {"stages": [{"stage": "applicant", "cases": 1, "with_overdue_steps": False}]}

    return app


def _browser(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    cookies = {"gb_console_token": token} if token else None
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test",
                             cookies=cookies)


@pytest.fixture
async def signed_in() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = _console([{"member_id": "m-1", "name": SCRIPT, "formal_org_id": "branch-1",
                     "outflow": {"destination": HOSTILE, "employer": "\x01Works\x0b"}}])
    async with _browser(app, issue_token(SETTINGS, ADMIN)) as http:
        yield app, http


def _form(content: str) -> dict[str, Any]:
    return {"content": content, "headers": {"content-type": "application/x-www-form-urlencoded"}}


def _csrf(app: FastAPI, token: str) -> str:
    """The CSRF token the console's pages would carry for ``token``."""
    request = Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/console"})
    return csrf_token(request, Viewer(actor=ADMIN, token=token, bearer=read_token(SETTINGS, token)))


async def test_a_csrf_field_in_chinese_is_refused_with_403_not_a_server_error(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    for path in ("/console/forms/outflow", "/console/sign-out"):
        answer = await http.post(path, data={"csrf": "令牌", "member_id": "m-1"})
        assert answer.status_code == 403, (path, answer.status_code)


async def test_a_form_with_more_fields_than_any_form_has_is_refused_not_a_server_error(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    crowded = "&".join(f"f{i}=" for i in range(300))
    assert (await http.post("/console/forms/outflow", **_form(crowded))).status_code == 413
    assert (await http.post("/console/sign-out", **_form(crowded))).status_code == 403
    assert (await http.post("/console/sign-in", **_form(crowded))).status_code == 400


@pytest.mark.parametrize("year", ["²", "2026" + "0" * 5000, "٢٠٢٦"])
async def test_a_year_not_written_in_four_plain_digits_is_a_422_page(
        signed_in: tuple[FastAPI, httpx.AsyncClient], year: str) -> None:
    _app, http = signed_in
    for path in ("/console/targets", "/console/year-end", "/console/organisations/branch-1/ledger"):
        assert (await http.get(path, params={"year": year})).status_code == 422, path


def test_a_number_too_long_for_an_integer_goes_to_the_api_as_text_for_it_to_refuse() -> None:
    sent = body(FORMS["outflow"], {"member_id": "m-1", "expected_months": "1" * 5000})
    assert sent["expected_months"] == "1" * 5000
    assert body(FORMS["outflow"], {"member_id": "m-1", "expected_months": "-8"})["expected_months"] == -8


async def test_an_excel_export_of_text_with_control_characters_opens_without_them(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    answer = await http.get("/console/lists/members/export", params={"format": "xlsx"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert "Works" in [c.value for c in sheet[2]]


async def test_an_excel_export_holds_what_looks_like_a_formula_as_the_text_typed(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    answer = await http.get("/console/lists/members/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    cell = next(c for c in sheet[2] if c.value == HOSTILE)
    assert cell.data_type == "s" and cell.quotePrefix
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_csv_cell_never_opens_as_a_formula_whatever_the_list_separator_or_leading_spaces() -> None:
    data = exports.to_csv(["姓名"], [["李伟;=1+2"], ["  =1+2"], ["\n=1+2"], ["-2+3"]]).decode("utf-8-sig")
    for separator in (",", ";"):
        cells = [c for row in csv.reader(io.StringIO(data), delimiter=separator) for c in row]
        assert not [c for c in cells if c.lstrip(" ")[:1] in exports.FORMULA_START], (separator, cells)
    assert list(csv.reader(io.StringIO(data)))[1:] == [["李伟;=1+2"], ["'  =1+2"], ["'\n=1+2"], ["'-2+3"]]


async def test_a_csv_export_quotes_a_formula_typed_into_the_system(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    answer = await http.get("/console/lists/members/export", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert "'" + HOSTILE in rows[1] and HOSTILE not in rows[1]


async def test_text_typed_into_the_system_is_shown_never_run(signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    for path in ("/console/lists/members", "/console/members/m-1"):
        page = await http.get(path)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


async def test_the_funnel_s_links_keep_the_organisation_filter_one_value(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    page = await http.get("/console/funnel", params={"org_id": "branch-1&stage=full"})
    assert "org_id=branch-1%26stage%3Dfull" in page.text and "org_id=branch-1&stage=full" not in page.text


async def test_guessing_tokens_at_the_sign_in_page_is_slowed_down_as_at_the_api() -> None:
    app = _console([])
    async with _browser(app) as http:
        answers = [await http.post("/console/sign-in", data={"token": f"guess-{i}"})
                   for i in range(throttle.FAILURES_ALLOWED + 1)]
        assert [a.status_code for a in answers[:-1]] == [401] * throttle.FAILURES_ALLOWED
        assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) > 0
        # A valid token is never slowed down, whatever its address did before.
        signed = await http.post("/console/sign-in", data={"token": issue_token(SETTINGS, ADMIN)})
        assert signed.status_code == 303


async def test_a_guessed_session_cookie_counts_as_a_guessed_token() -> None:
    app = _console([])
    statuses = []
    for i in range(throttle.FAILURES_ALLOWED + 1):
        async with _browser(app, f"guess-{i}") as http:
            statuses.append((await http.get("/console")).status_code)
    assert statuses[:-1] == [303] * throttle.FAILURES_ALLOWED and statuses[-1] == 429


async def test_the_session_cookie_is_secure_outside_development_even_behind_a_tls_proxy() -> None:
    production = Settings(environment="production", admin_token="a" * 40, token_secret="t" * 40,
                          internal_secret="i" * 40, pg_password="p" * 40)
    async with _browser(_console([], production)) as http:
        signed = await http.post("/console/sign-in", data={"token": issue_token(production, ADMIN)})
    cookie = signed.headers["set-cookie"]
    assert signed.status_code == 303 and "; Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/console" in cookie


async def test_a_browser_that_says_another_site_sent_it_cannot_sign_in_or_out() -> None:
    app = _console([])
    token = issue_token(SETTINGS, ADMIN)
    async with _browser(app) as http:
        answer = await http.post("/console/sign-in", data={"token": token},
                                 headers={"sec-fetch-site": "cross-site"})
    assert answer.status_code == 400 and "set-cookie" not in answer.headers
    async with _browser(app, token) as http:
        csrf = _csrf(app, token)
        answer = await http.post("/console/sign-out", data={"csrf": csrf},
                                 headers={"origin": "http://evil.example"})
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        answer = await http.post("/console/sign-out", data={"csrf": csrf}, headers={"origin": "http://console.test"})
        assert answer.status_code == 303 and 'gb_console_token=""' in answer.headers["set-cookie"]


async def test_a_link_from_another_site_does_not_choose_the_language() -> None:
    async with _browser(_console([])) as http:
        answer = await http.get("/console/lang/en", params={"next": "/console"},
                                headers={"sec-fetch-site": "cross-site"})
        assert answer.status_code == 303 and "set-cookie" not in answer.headers
        answer = await http.get("/console/lang/en", params={"next": "https://evil.example/console"},
                                headers={"sec-fetch-site": "same-origin"})
        assert answer.headers["location"] == "/console" and "gb_console_lang=en" in answer.headers["set-cookie"]


async def test_every_page_forbids_other_sites_to_frame_it_and_to_cache_it(
        signed_in: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _app, http = signed_in
    for path in ("/console", "/console/lists/members", "/console/sign-in", "/console/members/m-1"):
        page = await http.get(path)
        assert page.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"], path
        assert page.headers["cache-control"] == "no-store" and page.headers["x-content-type-options"] == "nosniff"




def _session_cookie(answer: httpx.Response) -> str:
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("gb_console_token="), cookie
    return cookie.split(";", 1)[0].split("=", 1)[1].strip('"')


async def test_signing_in_opens_a_session_of_its_own_and_signing_out_ends_it_for_a_copied_cookie_too() -> None:
    app = _console([])
    given = new_token(SETTINGS, ADMIN, days=1)
    async with _browser(app) as http:
        signed = await http.post("/console/sign-in", data={"token": given.token})
    session = _session_cookie(signed)
    assert signed.status_code == 303 and session != given.token
    bearer = read_token(SETTINGS, session)
    assert bearer.parent_id == given.token_id and bearer.actor == ADMIN
    assert bearer.expires_at is not None and bearer.expires_at <= given.expires_at
    [recorded] = app.state.tokens.issued_now
    assert (recorded.token_id, recorded.parent_id) == (bearer.token_id, given.token_id)

    async with _browser(app, session) as http, _browser(app, session) as copied:
        assert (await copied.get("/console")).status_code == 200
        out = await http.post("/console/sign-out", data={"csrf": _csrf(app, session)})
        assert out.status_code == 303
        assert app.state.tokens.revoked == {bearer.token_id: "signed out of the console"}
        assert (await copied.get("/console")).headers["location"].startswith("/console/sign-in")
    # The token signed in with is the holder's own: signing out of the console leaves it working.
    async with _browser(app, given.token) as http:
        assert (await http.get("/console")).status_code == 200


async def test_revoking_the_token_signed_in_with_ends_its_console_sessions() -> None:
    app = _console([])
    given = new_token(SETTINGS, ADMIN, days=1)
    async with _browser(app) as http:
        session = _session_cookie(await http.post("/console/sign-in", data={"token": given.token}))
    await app.state.tokens.revoke(given.token_id, "lost", None)
    async with _browser(app, session) as http:
        assert (await http.get("/console")).status_code == 303


async def test_a_session_never_outlives_the_token_it_was_opened_with_nor_opens_another() -> None:
    app = _console([])
    short = new_token(SETTINGS, ADMIN, hours=1)
    async with _browser(app) as http:
        session = _session_cookie(await http.post("/console/sign-in", data={"token": short.token}))
        assert read_token(SETTINGS, session).expires_at == short.expires_at
        again = await http.post("/console/sign-in", data={"token": session})
    assert again.status_code == 400 and "set-cookie" not in again.headers
    assert len(app.state.tokens.issued_now) == 1


async def test_a_session_opened_with_the_bootstrap_token_ends_when_that_token_is_changed() -> None:
    async with _browser(_console([])) as http:
        session = _session_cookie(await http.post("/console/sign-in", data={"token": SETTINGS.admin_token}))
    assert read_token(SETTINGS, session).actor.role is Role.COUNTY_ADMIN
    changed = Settings(admin_token="another-development-admin-token")
    async with _browser(_console([], changed), session) as http:
        assert (await http.get("/console")).status_code == 303
