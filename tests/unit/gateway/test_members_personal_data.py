"""The gateway's personal-data route: who may ask, and membership's answer (200, 403, 410) passed through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from services.gateway.api import personal_data
from services.gateway.auth import current_actor
from services.gateway.service_client import ServiceAnswer
from services.kernel.http import install_problem_handlers
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role

ANSWER = {"member_id": "m-1", "national_id": "440305199005171230", "contact": {"phone": "13800138000"}}


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    headers: dict[str, str]


class FakeMembership:
    """Stands in for the gateway's client of membership (services/gateway/service_client.py): records what is
    sent and gives one answer."""

    def __init__(self, answer: ServiceAnswer) -> None:
        self.answer = answer
        self.seen: list[Sent] = []

    async def request(self, method: str, path: str, query: str = "", **kwargs: Any) -> ServiceAnswer:
        headers = dict(kwargs.get("headers") or {})
        if kwargs.get("authorize") is not None:  # as the real client does: each attempt signed on its own
            headers["Authorization"] = kwargs["authorize"]()
        self.seen.append(Sent(method, path, headers))
        return self.answer


def answer(status: int, body: dict[str, Any], content_type: str = "application/json") -> ServiceAnswer:
    return ServiceAnswer(status, orjson.dumps(body), {"content-type": content_type})


def client_as(actor: Actor, answered: ServiceAnswer) -> tuple[TestClient, list[Sent]]:
    membership = FakeMembership(answered)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(personal_data.router)
    app.state.settings = Settings()
    app.state.services = {"membership": membership}
    app.dependency_overrides[current_actor] = lambda: actor
    return TestClient(app), membership.seen


@pytest.mark.parametrize("actor", [Actor(subject="a", role=Role.COUNTY_ADMIN),
                                   Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a"),
                                   Actor(subject="m-1", role=Role.MEMBER)])
def test_staff_and_the_member_themself_get_membership_s_answer_forwarded_with_a_signed_credential(
    actor: Actor
) -> None:
    client, seen = client_as(actor, answer(200, ANSWER))
    response = client.get("/v1/members/m-1/personal-data")
    assert response.status_code == 200 and response.json() == ANSWER
    [forwarded] = seen
    assert forwarded.method == "GET" and forwarded.path == "/members/m-1/personal-data"
    assert forwarded.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("actor", [Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="b-1"),
                                   Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="b-1"),
                                   Actor(subject="m-2", role=Role.MEMBER)])
def test_anyone_else_is_refused_before_membership_is_asked(actor: Actor) -> None:
    client, seen = client_as(actor, answer(200, ANSWER))
    response = client.get("/v1/members/m-1/personal-data")
    assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"
    assert seen == []


def test_an_erased_person_s_410_is_passed_through() -> None:
    problem = {"type": "https://golden-bridge.example/problems/personal-data-erased", "status": 410,
               "title": "This person's personal data was erased", "detail": "erased"}
    client, _ = client_as(Actor(subject="a", role=Role.COUNTY_ADMIN),
                          answer(410, problem, "application/problem+json"))
    response = client.get("/v1/members/m-1/personal-data")
    assert response.status_code == 410 and response.json()["type"] == problem["type"]
    assert response.headers["content-type"] == "application/problem+json"


def test_the_route_documents_its_roles_and_the_410() -> None:
    app = FastAPI()
    app.include_router(personal_data.router)
    operation = app.openapi()["paths"]["/v1/members/{member_id}/personal-data"]["get"]
    assert operation["x-gb-roles"] == ["county_admin", "township_committee", "member"]
    assert "410" in operation["responses"]
