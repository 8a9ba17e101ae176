"""A service believes only the gateway's credential, signed for that service and for exactly that request."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.kernel import credential
from services.kernel.command_api import CommandApi
from services.kernel.credential import CredentialCheck, sign
from services.kernel.http import install_problem_handlers
from services.kernel.store import Stream
from services.pure.errors import Unauthorized
from services.pure.identity import Actor, Role

SECRET = "s" * 40
COUNTY = Actor(subject="alice", role=Role.COUNTY_ADMIN)
SECRETARY = Actor(subject="bob", role=Role.BRANCH_SECRETARY, org_id="branch-1")
PATH = "/members/m-1/outflows"
BODY = b'{"destination": "Dongguan"}'


def signed(**overrides: Any) -> str:
    args: dict[str, Any] = {"audience": "membership", "actor": SECRETARY, "method": "POST", "request_target": PATH,
                            "body": BODY}
    secret = overrides.pop("secret", SECRET)
    args.update(overrides)
    return "Bearer " + sign(secret, **args)


def check(authorization: str | None, *, method: str = "POST", target: str = PATH, body: bytes = BODY) -> Actor:
    return CredentialCheck(secret=SECRET, audience="membership").actor(
        authorization, method=method, request_target=target, body=body)


def test_a_credential_for_this_request_names_the_gateways_caller() -> None:
    assert check(signed()) == SECRETARY


@pytest.mark.parametrize(("why", "authorization", "request_"), [
    ("missing", None, {}),
    ("not a bearer", "Basic abc", {}),
    ("garbage", "Bearer not-a-jwt", {}),
    ("signed with another secret", signed(secret="x" * 40), {}),
    ("for another service", signed(audience="investment"), {}),
    ("expired", signed(now=time.time() - 120), {}),
    ("for another path", signed(), {"target": "/members/m-2/outflows"}),
    ("for another query", signed(), {"target": PATH + "?as_of=2020-01-01"}),
    ("for another method", signed(), {"method": "PUT"}),
    ("for another body", signed(), {"body": b'{"destination": "Elsewhere"}'}),
    ("living too long", signed(lifetime=3600), {}),
])
def test_a_service_refuses_a_credential_that_is(why: str, authorization: str | None, request_: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        check(authorization, **request_)


def test_a_credential_with_an_unsigned_algorithm_is_refused() -> None:
    claims = jwt.decode(signed().removeprefix("Bearer "), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        check("Bearer " + unsigned)


def test_a_credential_is_accepted_once() -> None:
    service = CredentialCheck(secret=SECRET, audience="membership")
    header = signed()
    service.actor(header, method="POST", request_target=PATH, body=BODY)
    with pytest.raises(Unauthorized, match="already used"):
        service.actor(header, method="POST", request_target=PATH, body=BODY)


def test_the_target_is_the_raw_path_and_query_as_sent() -> None:
    assert credential.target(b"/audit/streams/a%2Fb", b"") == "/audit/streams/a%2Fb"
    assert credential.target(b"/audit/streams/x", b"up_to_version=1") == "/audit/streams/x?up_to_version=1"


class _Store:
    """Just enough of an event store for the audit read: every stream is empty."""

    async def load(self, stream_id: str, **_: Any) -> Stream[Any]:
        return Stream(stream_id=stream_id)


@pytest.fixture
async def service() -> Any:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(CommandApi().router)
    api = CommandApi()
    api.audit()
    app.include_router(api.router)
    app.state.credentials = CredentialCheck(secret=SECRET, audience="membership")
    app.state.store = _Store()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://membership") as client:
        yield client


async def test_forged_identity_headers_get_401_problem_json(service: httpx.AsyncClient) -> None:
    forged = {"X-GB-Actor": "mallory", "X-GB-Role": "county_admin"}
    response = await service.get("/audit/streams/s-1", headers=forged)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "gateway" in response.json()["detail"]


async def test_the_audit_read_answers_a_credential_for_its_exact_path_and_query(service: httpx.AsyncClient) -> None:
    target = "/audit/streams/s-1?up_to_version=1"
    good = {"Authorization": "Bearer " + sign(SECRET, audience="membership", actor=COUNTY, method="GET",
                                              request_target=target, body=b"")}
    # Taken: the read itself answers (this store holds no record: 404), where the moved one below never gets in.
    answer = await service.get(target, headers=good)
    assert answer.status_code == 404 and "no event of record s-1" in answer.json()["detail"], answer.text
    moved = {"Authorization": "Bearer " + sign(SECRET, audience="membership", actor=COUNTY, method="GET",
                                               request_target=target, body=b"")}
    response = await service.get("/audit/streams/s-2?up_to_version=1", headers=moved)
    assert response.status_code == 401, response.text
