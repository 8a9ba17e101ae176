"""Bearer tokens carry an expiry and an id; revoked ones are refused; bad ones from one client slow it down."""

from __future__ import annotations

from typing import Any, cast

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.gateway import throttle
from services.gateway.auth import CurrentActor, new_token, read_token
from services.gateway.throttle import FailedAuthentications, TooManyFailures
from services.gateway.token_registry import TokenRegistry
from services.kernel.http import install_problem_handlers
from services.kernel.settings import Settings
from services.pure.errors import Unauthorized
from services.pure.identity import Actor, Role

SETTINGS = Settings()
SECRETARY = Actor(subject="bob", role=Role.BRANCH_SECRETARY, org_id="branch-1")


def test_a_token_carries_an_expiry_and_an_id() -> None:
    issued = new_token(SETTINGS, SECRETARY, days=7)
    claims = jwt.decode(issued.token, SETTINGS.token_secret, algorithms=["HS256"], options={"verify_iss": False})
    assert claims["jti"] == issued.token_id and len(issued.token_id) == 32
    assert claims["exp"] == int(issued.expires_at.timestamp())
    assert read_token(SETTINGS, issued.token).actor == SECRETARY


def test_two_tokens_for_one_person_have_different_ids() -> None:
    assert new_token(SETTINGS, SECRETARY).token_id != new_token(SETTINGS, SECRETARY).token_id


def test_a_token_without_an_id_is_refused() -> None:
    claims = jwt.decode(new_token(SETTINGS, SECRETARY).token, SETTINGS.token_secret, algorithms=["HS256"],
                        options={"verify_iss": False})
    del claims["jti"]
    with pytest.raises(Unauthorized):
        read_token(SETTINGS, jwt.encode(claims, SETTINGS.token_secret, algorithm="HS256"))


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_429_after_too_many_failures_in_the_window_and_may_try_again_after_it() -> None:
    clock = _Clock()
    failures = FailedAuthentications(limit=3, window=60, clock=clock)
    for _ in range(3):
        failures.failed("10.0.0.1")
        clock.now += 1
    with pytest.raises(TooManyFailures) as refused:
        failures.failed("10.0.0.1")
    assert refused.value.status == 429 and refused.value.retry_after == 57
    failures.failed("10.0.0.2")  # another client is not affected
    clock.now += 120
    failures.failed("10.0.0.1")  # the window passed


def test_a_client_that_keeps_failing_while_refused_stays_refused() -> None:
    clock = _Clock()
    failures = FailedAuthentications(limit=2, window=10, clock=clock)
    failures.failed("c")
    failures.failed("c")
    for _ in range(30):
        clock.now += 1
        with pytest.raises(TooManyFailures):
            failures.failed("c")


def test_the_number_of_clients_remembered_is_bounded() -> None:
    failures = FailedAuthentications(limit=1, window=60, max_clients=100)
    for n in range(1000):
        failures.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(failures._failures) == 100


@pytest.fixture
async def gateway() -> Any:
    app = FastAPI()
    install_problem_handlers(app)
    throttle.install(app)
    app.state.auth_failures = FailedAuthentications(limit=3, window=60)
    app.state.settings = SETTINGS
    app.state.tokens = TokenRegistry(cast(Any, None))

    @app.get("/whoami")
    async def whoami(actor: CurrentActor) -> dict[str, str]:
        return {"subject": actor.subject}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client, app


async def test_bad_tokens_get_401_then_429_with_retry_after_and_a_good_token_is_still_served(gateway: Any) -> None:
    client, _ = gateway
    bad = {"Authorization": "Bearer forged"}
    for _ in range(3):
        assert (await client.get("/whoami", headers=bad)).status_code == 401
    refused = await client.get("/whoami", headers=bad)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    good = {"Authorization": "Bearer " + new_token(SETTINGS, SECRETARY).token}
    served = await client.get("/whoami", headers=good)
    assert served.status_code == 200 and served.json() == {"subject": "bob"}


async def test_a_revoked_token_is_refused(gateway: Any) -> None:
    client, app = gateway
    issued = new_token(SETTINGS, SECRETARY)
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert (await client.get("/whoami", headers=headers)).status_code == 200
    app.state.tokens._revoked[issued.token_id] = issued.expires_at
    refused = await client.get("/whoami", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


async def test_a_deactivated_partners_token_is_refused_with_403_until_it_is_reactivated(gateway: Any) -> None:
    client, app = gateway
    mine, theirs = (Actor(subject=f"{p}-system", role=Role.PARTNER, org_id=p) for p in ("p1", "p2"))
    me, other = ({"Authorization": f"Bearer {new_token(SETTINGS, a).token}"} for a in (mine, theirs))
    # A county person whose org_id happens to equal the partner's id is no partner system: served.
    staff = {"Authorization": "Bearer " + new_token(SETTINGS, Actor(subject="s", role=Role.TOWNSHIP_COMMITTEE,
                                                                     org_id="p1")).token}
    app.state.tokens.partners.take([("p1", "deactivated", 7), ("p2", "active", 3)])
    for _ in range(5):  # more than the throttle's limit: a refusal for this reason is no failed authentication
        refused = await client.get("/whoami", headers=me)
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert "partner p1 is deactivated" in refused.json()["detail"] and "county" in refused.json()["detail"]
    assert (await client.get("/whoami", headers=other)).status_code == 200
    assert (await client.get("/whoami", headers=staff)).status_code == 200
    app.state.tokens.partners.take([("p1", "active", 8)])
    assert (await client.get("/whoami", headers=me)).status_code == 200
