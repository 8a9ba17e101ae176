"""A path may carry what a clerk pasted into an id field — an ID number, a phone. The access log and the spans keep
no run of 11 or more digits of it, and the gateway refuses such an id as what it is (422) before forwarding it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.gateway.api.deps import PathId
from services.kernel import tracing
from services.kernel.http import QueryStringsOffTheAccessLog, install_problem_handlers, logged_path

ID_NUMBER = "440305197508270098"
ID_NUMBER_X = "11010519491231002X"
PHONE = "13812345678"


def _line(path: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", 200), None)
    assert QueryStringsOffTheAccessLog().filter(record)
    return record.getMessage()


@pytest.mark.parametrize(("text", "expected"), [
    (f"/v1/members/{ID_NUMBER}", "/v1/members/" + "*" * 18),
    (f"/v1/members/{ID_NUMBER_X}", "/v1/members/" + "*" * 18),
    (f"/v1/members/{ID_NUMBER_X.lower()}/personal-data", "/v1/members/" + "*" * 18 + "/personal-data"),
    (f"/v1/members/{PHONE}", "/v1/members/" + "*" * 11),
    ("/v1/members/138-1234-5678", "/v1/members/" + "*" * 13),
    ("/v1/members/138 1234 5678", "/v1/members/" + "*" * 13),
    ("/v1/members/４４０３０５１９７５０８２７００９８", "/v1/members/" + "*" * 18),  # full-width, pasted
    (f"/v1/x/member-{ID_NUMBER}", "/v1/x/member-" + "*" * 18),
])
def test_long_digit_runs_are_starred_out(text: str, expected: str) -> None:
    assert tracing.masked(text) == expected


@pytest.mark.parametrize("text", [
    "/v1/members/m-1", "/v1/branches/township-heping", "/v1/members/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
    "/v1/members/12345678-1234-5678-9012-34567890abcd", "/v1/dues/2026-01", "/positions/1234567890",
    "/v1/members/3800138000", "/v1/reports/2026-01-31", "/v1/cases/case-2024-12-05-001",
])
def test_short_ids_dates_and_uuids_are_untouched(text: str) -> None:
    assert tracing.masked(text) == text
    assert logged_path(text) == text


@pytest.mark.parametrize("path", [
    f"/v1/members/{ID_NUMBER}", f"/v1/members/{ID_NUMBER_X}", f"/v1/members/{PHONE}/outflows",
    "/v1/members/%34%34%30%33%30%35%31%39%37%35%30%38%32%37%30%30%39%38",  # the same number, percent-encoded
    "/v1/members/%EF%BC%94%EF%BC%94%EF%BC%90%EF%BC%93%EF%BC%90%EF%BC%95%EF%BC%91%EF%BC%99%EF%BC%97%EF%BC%95"
    "%EF%BC%90%EF%BC%98%EF%BC%92%EF%BC%97%EF%BC%90%EF%BC%90%EF%BC%99%EF%BC%98",  # full-width, as uvicorn writes it
])
def test_the_access_log_keeps_no_id_number_or_phone_of_a_path(path: str) -> None:
    line = _line(path)
    assert ID_NUMBER not in line and ID_NUMBER_X not in line and PHONE not in line and "%EF%BC" not in line
    assert '"GET /v1/members/****' in line


def test_the_access_log_masks_the_path_and_still_cuts_the_query() -> None:
    line = _line(f"/v1/members/{ID_NUMBER}?phone={PHONE}")
    assert ID_NUMBER not in line and PHONE not in line and "phone" not in line
    assert f'"GET /v1/members/{"*" * 18}?… HTTP/1.1" 200' in line
    assert '"GET /v1/branches/b-1 HTTP/1.1" 200' in _line("/v1/branches/b-1")


def test_a_span_keeps_no_id_number_in_its_path_or_name_and_no_query() -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(tracing._nothing_personal())
    provider.add_span_processor(SimpleSpanProcessor(exported))
    tracer = provider.get_tracer("test")
    span = tracer.start_span(f"GET /v1/members/{ID_NUMBER}", attributes={
        "url.path": f"/v1/members/{ID_NUMBER}", "url.query": f"phone={PHONE}", "http.request.method": "GET"})
    span.end()
    [finished] = exported.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes["url.path"] == "/v1/members/" + "*" * 18 and attributes["url.query"] == "…"
    assert finished.name == "GET /v1/members/" + "*" * 18
    short = tracer.start_span("GET /members/{member_id}", attributes={"url.path": "/v1/members/m-1"})
    short.end()
    assert exported.get_finished_spans()[-1].attributes == {"url.path": "/v1/members/m-1"}
    assert exported.get_finished_spans()[-1].name == "GET /members/{member_id}"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/members/{member_id}")
    async def member(member_id: PathId) -> dict[str, str]:
        return {"id": member_id}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


@pytest.mark.parametrize(("sent", "what"), [
    (ID_NUMBER, "national ID number"), (ID_NUMBER_X, "national ID number"), (ID_NUMBER_X.lower(), "national ID number"),
    (PHONE, "mobile phone number"), ("138-1234-5678", "mobile phone number"),
])
async def test_an_id_number_or_phone_as_a_record_id_is_refused_saying_what_ids_are(
    gateway: httpx.AsyncClient, sent: str, what: str,
) -> None:
    response = await gateway.get(f"/v1/members/{sent}")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert f"this looks like a {what}" in problem["detail"] and "record ids are" in problem["detail"]
    # The answer goes to the caller, who sent the value; it is not repeated as an input.
    assert all("input" not in e and sent not in e["message"] for e in problem["errors"])


@pytest.mark.parametrize("sent", ["m-1", "township-heping", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f", "440305001000",
                                  f"member-{PHONE}"])
async def test_record_ids_are_served(gateway: httpx.AsyncClient, sent: str) -> None:
    response = await gateway.get(f"/v1/members/{sent}")
    assert response.status_code == 200 and response.json() == {"id": sent}
