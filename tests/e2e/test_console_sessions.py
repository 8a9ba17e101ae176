"""Console sessions on the running gateway: signing in opens a token of the session's own, recorded with the token
it came from; signing out revokes it, so a cookie copied before sign-out opens nothing after, on the console or
the API; revoking the token signed in with ends its sessions; the token itself keeps working."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import eventually
from tests.e2e.test_tokens import issued

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


async def _sign_in(browser: httpx.AsyncClient, token: str) -> str:
    """Sign ``browser`` in with ``token``: the session token its cookie then holds."""
    signed = await browser.post("/console/sign-in", data={"token": token, "next": "/console"})
    assert signed.status_code == 303, signed.text
    session = browser.cookies["gb_console_token"].strip('"')
    assert session and session != token
    return session


def _api(session: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session}"}


async def test_signing_out_of_the_console_revokes_its_session_and_leaves_the_token_signed_in_with(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    given = await issued(gateway, admin_headers, "branch-console-session")
    async with httpx.AsyncClient(base_url=gateway.base_url) as browser:
        session = await _sign_in(browser, given["token"])
        assert (await gateway.get("/v1/development/cases", headers=_api(session))).status_code == 200
        home = await browser.get("/console")
        assert home.status_code == 200
        csrf = CSRF.search(home.text)
        assert csrf is not None
        session_id = next(e["token_id"] for e in (await gateway.get("/v1/tokens", headers=admin_headers,
                                                                     params={"limit": 500})).json()["items"]
                          if e["kind"] == "issued" and e.get("parent_id") == given["token_id"])
        out = await browser.post("/console/sign-out", data={"csrf": csrf.group(1)})
        assert out.status_code == 303

    # A copy of the cookie taken before sign-out: refused by the API and sent to sign in by the console.
    assert (await gateway.get("/v1/development/cases", headers=_api(session))).status_code == 401
    async with httpx.AsyncClient(base_url=gateway.base_url, cookies={"gb_console_token": session}) as copied:
        assert (await copied.get("/console")).headers["location"].startswith("/console/sign-in")
    record = (await gateway.get(f"/v1/tokens/{session_id}", headers=admin_headers)).json()
    assert record["parent_id"] == given["token_id"] and record["reason"] == "signed out of the console"
    assert record["subject"] == given["subject"]
    assert (await gateway.get("/v1/development/cases", headers=_api(given["token"]))).status_code == 200


async def test_revoking_a_token_ends_the_console_sessions_opened_with_it(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    given = await issued(gateway, admin_headers, "branch-console-session")
    async with httpx.AsyncClient(base_url=gateway.base_url) as browser:
        session = await _sign_in(browser, given["token"])
        assert (await browser.get("/console")).status_code == 200
        revoked = await gateway.post(f"/v1/tokens/{given['token_id']}/revocation", headers=admin_headers,
                                     json={"reason": "the secretary left the post"})
        assert revoked.status_code == 200, revoked.text

        async def refused() -> bool:
            return (await gateway.get("/v1/development/cases", headers=_api(session))).status_code == 401

        await eventually(refused, what="the session of a revoked token is refused")
        assert (await browser.get("/console")).headers["location"].startswith("/console/sign-in")
