"""The HTTP edges every process shares: whatever fails, the client gets problem+json that says what to do."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.testclient import TestClient

from services.kernel.http import BodySizeLimit, install_problem_handlers
from services.pure.errors import NotFound

#: Correlation ids a client chose: a client's own is kept only when it is a UUID (services/kernel/logs.py).
C1, C2 = "0b3c1f9e-0000-4000-8000-00000000c001", "0b3c1f9e-0000-4000-8000-00000000c002"


class Body(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/down")
    async def down() -> None:
        raise ConnectionRefusedError("connect call failed ('127.0.0.1', 5432)")

    @app.get("/pg-gone")
    async def pg_gone() -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    @app.get("/released")
    async def released() -> None:
        raise asyncpg.InterfaceError("cannot call Connection.fetch(): connection has been released back to the pool")

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    @app.get("/out-of-range")
    async def out_of_range() -> None:
        raise asyncpg.exceptions.DatetimeFieldOverflowError("date/time field value out of range")

    @app.get("/internal/thing")
    async def internal() -> None:
        raise NotFound("no thing")

    @app.post("/things")
    async def things(body: Body) -> dict[str, str]:
        return {"name": body.name}

    app.add_middleware(BodySizeLimit, max_bytes=100)
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/down", "/pg-gone", "/released"])
def test_an_outage_is_a_503_problem_with_retry_after(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"X-Correlation-Id": C1})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["instance"] == path and problem["correlation_id"] == C1
    assert "released" not in problem["detail"] and "5432" not in problem["detail"]


def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(client: TestClient) -> None:
    response = client.get("/bug", headers={"X-Correlation-Id": C2})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "SELECT" not in response.text and "RuntimeError" not in response.text
    assert C2 in response.json()["detail"]


def test_a_value_postgresql_refuses_is_a_422(client: TestClient) -> None:
    response = client.get("/out-of-range")
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert "field value" not in response.json()["detail"]  # PostgreSQL's own words stay in the log


def test_malformed_json_is_reported_with_its_position(client: TestClient) -> None:
    response = client.post("/things", content=b'{"name": "a",,}', headers={"content-type": "application/json"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["type"] == "json_invalid" and error["position"] == 13
    assert "character 13" in response.json()["detail"]


def test_a_chunked_body_over_the_limit_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 10
        yield b'"}'

    response = client.post("/things", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/things"


def test_a_problem_names_the_path_the_client_called(client: TestClient) -> None:
    response = client.get("/internal/thing")
    assert response.json()["instance"] == "/internal/thing"
    assert int(response.headers["content-length"]) == len(response.content)


def test_the_openapi_schema_declares_problem_answers_not_fastapis_own_422() -> None:
    schema = _app().openapi()
    post = schema["paths"]["/things"]["post"]["responses"]
    assert set(post) >= {"200", "413", "422", "500", "503"}
    assert list(post["422"]["content"]) == ["application/problem+json"]
    assert "Retry-After" in post["503"]["headers"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
