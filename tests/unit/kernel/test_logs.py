"""JSON log lines carry the correlation id of the request they belong to, and every answer returns it."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import Iterator

import orjson
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from services.kernel import logs
from services.kernel.http import BodySizeLimit, CorrelationIds, install_problem_handlers

log = logging.getLogger("tests.logs")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger's JSON lines, in a buffer; the previous handlers are put back afterwards."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    buffer = io.StringIO()
    logs.configure(stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines()]


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        async def inner() -> None:
            log.info("inside a task the request spawned")

        await asyncio.create_task(inner())
        log.info("handling 张三's request")
        return {"correlation": logs.current() or ""}

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("boom")

    app.add_middleware(BodySizeLimit, max_bytes=10)
    app.add_middleware(CorrelationIds)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(_app(), raise_server_exceptions=False) as c:
        yield c


def test_a_log_line_is_one_json_object_with_the_correlation_id_of_its_request(
    client: TestClient,
    captured: io.StringIO,
) -> None:
    given = str(uuid.uuid4())
    response = client.get("/hello", headers={"X-Correlation-Id": given})
    assert response.status_code == 200 and response.headers["x-correlation-id"] == given
    assert response.json() == {"correlation": given}
    mine = [line for line in lines(captured) if line["logger"] == "tests.logs"]
    assert [line["message"] for line in mine] == ["inside a task the request spawned", "handling 张三's request"]
    assert {line["correlation_id"] for line in mine} == {given}
    assert all(line["level"] == "info" and str(line["ts"]).endswith("+00:00") for line in mine)


@pytest.mark.parametrize("sent", [None, "", "13812345678", "not-a-uuid", "x" * 500, f"{uuid.uuid4()}\nforged"])
def test_a_missing_or_malformed_correlation_id_is_replaced_by_a_new_one(client: TestClient, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Correlation-Id": sent.replace("\n", " ")}
    response = client.get("/hello", headers=headers)
    made = response.headers["x-correlation-id"]
    assert logs.well_formed(made) and made != sent
    assert response.json() == {"correlation": made}, "the handler sees the id the answer returns"


def test_refusals_and_failures_return_the_correlation_id_too(client: TestClient, captured: io.StringIO) -> None:
    given = str(uuid.uuid4())
    too_large = client.post("/hello", content=b"x" * 100, headers={"X-Correlation-Id": given})
    assert too_large.status_code == 413 and too_large.headers["x-correlation-id"] == given
    failed = client.get("/bug", headers={"X-Correlation-Id": given})
    assert failed.status_code == 500 and failed.headers["x-correlation-id"] == given
    assert failed.json()["correlation_id"] == given
    [error] = [line for line in lines(captured) if line["level"] == "error"]
    assert error["correlation_id"] == given and "RuntimeError: boom" in str(error["exception"])


def test_outside_a_request_a_line_has_no_correlation_id_and_inside_correlated_it_has(captured: io.StringIO) -> None:
    log.warning("no request")
    with logs.correlated("evt-correlation"):
        log.warning("handling an event")
    first, second = lines(captured)
    assert "correlation_id" not in first and second["correlation_id"] == "evt-correlation"


def test_uvicorns_own_loggers_write_through_the_json_handler(captured: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").warning("Started server process")
    [line] = lines(captured)
    assert line["logger"] == "uvicorn.error" and line["message"] == "Started server process"


def test_a_well_formed_correlation_id_is_a_uuid_and_nothing_else() -> None:
    assert logs.well_formed(str(uuid.uuid4())) and logs.well_formed(str(uuid.uuid4()).upper())
    assert not logs.well_formed(None) and not logs.well_formed("1" * 36)
    assert not logs.well_formed(f" {uuid.uuid4()}") and not logs.well_formed(uuid.uuid4().hex)


def test_the_dict_config_writes_the_same_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """faust sets up logging itself from a dictConfig mapping: given this one, its lines are ours."""
    import logging.config

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        logging.config.dictConfig(logs.dict_config())
        with logs.correlated("c-faust"):
            logging.getLogger("faust.worker").info("ready")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
    [line] = [orjson.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    assert (line["logger"], line["message"], line["correlation_id"]) == ("faust.worker", "ready", "c-faust")
