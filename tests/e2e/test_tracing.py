"""One trace from the client through the gateway, the service and Kafka (issue 15, item 4).

The test runs an OTLP/HTTP receiver of its own (aiohttp, decoding the protobuf with opentelemetry-proto) and
starts the gateway, membership and membership's relay again with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at it
(the session's processes export nothing). A command sent with the client's own ``traceparent`` must then come
back as one trace: the gateway's server span, its call to membership, membership's server span, the relay's send
to Kafka — and the event stored and on Kafka carrying membership's span context in the CloudEvents
distributed-tracing extension, which every consumer continues from. The processes are put back as they were.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from infra import supervisor
from infra.processes import AppProcess, app_processes
from services.kernel import logs
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from tests.e2e.conftest import branch_body, eventually

TRACED = ("membership", "membership-relay", "projector", "gateway")
SERVER = Span.SPAN_KIND_SERVER


@dataclass(frozen=True)
class Received:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


def _decode(body: bytes) -> list[Received]:
    request = trace_service_pb2.ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        service = resource.get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                spans.append(Received(service, span.name, span.kind, span.trace_id.hex(), span.span_id.hex(),
                                      span.parent_span_id.hex(), attributes))
    return spans


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[Received]]]:
    """An OTLP/HTTP traces endpoint on a free port: its URL and the spans it has received."""
    spans: list[Received] = []

    async def traces(request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf", request.content_type
        spans.extend(_decode(await request.read()))
        return web.Response(body=trace_service_pb2.ExportTraceServiceResponse().SerializeToString(),
                            content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}", spans
    finally:
        await runner.cleanup()


def traced(settings: Settings) -> list[AppProcess]:
    """Every instance of the traced processes (``membership`` and ``membership-2`` on the cluster)."""
    return [p for p in app_processes(settings)
            if any(p.name == name or re.fullmatch(rf"{re.escape(name)}-\d+", p.name) for name in TRACED)]


@pytest.fixture
def exporting(system: Settings, receiver: tuple[str, list[Received]]) -> Iterator[list[Received]]:
    """The traced processes started again to export to ``receiver``; put back as they were afterwards."""
    endpoint, spans = receiver
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    processes = traced(system)
    try:
        for process in processes:
            supervisor.stop_app(system, process.name)
            supervisor.start_app(dataclasses.replace(process, env={**process.env, **otel}), system)
        yield spans
    finally:
        for process in processes:
            supervisor.stop_app(system, process.name)
        for process in processes:
            supervisor.start_app(process, system)


async def _on_kafka(settings: Settings, key: bytes) -> Envelope | None:
    """The event keyed ``key`` on membership's topic, read from the start by a consumer of the test's own."""
    consumer = event_consumer(settings, f"test-trace-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, event_topic("membership"))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.key == key:
                        return Envelope.from_kafka(record.headers, record.value or b"")
        return None
    finally:
        await consumer.stop()


async def test_a_command_is_one_trace_from_the_client_through_the_gateway_the_service_and_kafka(
    system: Settings, exporting: list[Received], gateway: httpx.AsyncClient, admin_headers: dict[str, str],
    membership_db: asyncpg.Pool,
) -> None:
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    correlation = str(uuid.uuid4())
    headers = {**admin_headers, "traceparent": f"00-{trace_id}-{client_span}-01", "X-Correlation-Id": correlation}
    accepted = await gateway.post("/v1/branches", json=branch_body(), headers=headers)
    assert accepted.status_code == 201, accepted.text
    branch_id = accepted.json()["id"]

    def ours(**wanted: Any) -> list[Received]:
        return [s for s in exporting if s.trace_id == trace_id and all(getattr(s, k) == v for k, v in wanted.items())]

    [gateway_server] = await eventually(lambda: asyncio.sleep(0, result=ours(service="gateway", kind=SERVER)),
                                        what="the gateway's server span")
    assert gateway_server.parent_id == client_span and gateway_server.name == "POST /v1/branches"
    [service] = await eventually(
        lambda: asyncio.sleep(0, result=ours(service="membership", kind=SERVER, name="POST /branches")),
        what="membership's server span of the command")
    calls = {s.span_id: s for s in ours(service="gateway", kind=Span.SPAN_KIND_CLIENT)}
    call = calls.get(service.parent_id)
    assert call is not None, f"membership's span is not the child of a call of the gateway: {service}, {calls}"
    assert call.parent_id == gateway_server.span_id and call.name == "POST membership"
    sends = await eventually(
        lambda: asyncio.sleep(0, result=ours(service="membership-relay", kind=Span.SPAN_KIND_PRODUCER)),
        what="the relay's send to Kafka")
    send = sends[0]
    assert all(s.parent_id == service.span_id for s in sends) and send.name == "send gb.membership.events"
    assert send.attributes["messaging.destination.name"] == "gb.membership.events"
    projected = await eventually(
        lambda: asyncio.sleep(0, result=ours(service="projector", kind=Span.SPAN_KIND_CONSUMER)),
        what="the projector's span of the event")
    assert all(s.parent_id == service.span_id for s in projected), projected
    assert projected[0].name == "project gb.membership.events"

    # The event keeps membership's span context, in the store and on Kafka (ce_traceparent): a consumer continues
    # the trace from it.
    made_by = f"00-{trace_id}-{service.span_id}-01"
    stored = await membership_db.fetchval("SELECT traceparent FROM events WHERE stream_id = $1", branch_id)
    assert stored == made_by
    envelope = await eventually(lambda: _on_kafka(system, branch_id.encode()), what="the event on Kafka")
    assert envelope.traceparent == made_by
    assert send.attributes["messaging.message.id"] == str(envelope.id)

    # The service's log lines of the request name the trace beside the correlation id.
    logs_of_membership = [supervisor.log_file(system, p.name) for p in traced(system)
                          if re.fullmatch(r"membership(-\d+)?", p.name)]
    lines = await eventually(lambda: asyncio.sleep(0, result=[e for path in logs_of_membership
                                                              for e in _lines(path, correlation)]),
                             what="membership's log line of the request")
    assert all(line.get("trace_id") == trace_id for line in lines), lines


async def test_a_query_string_never_leaves_the_gateway_in_a_span(
    exporting: list[Received], gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    trace_id = secrets.token_hex(16)
    headers = {**admin_headers, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    answer = await gateway.get("/v1/members", params={"destination": "13812345678"}, headers=headers)
    assert answer.status_code == 200, answer.text
    [server] = await eventually(lambda: asyncio.sleep(0, result=[
        s for s in exporting if s.trace_id == trace_id and s.service == "gateway" and s.kind == SERVER]),
        what="the gateway's server span of the read")
    assert server.attributes.get("url.query") == "…", "a query string left the gateway in a span"


def _lines(path: Path, correlation: str) -> list[dict[str, Any]]:
    entries = (logs.parse(line) for line in path.read_text(errors="replace").splitlines())
    return [e for e in entries if e is not None and e.get("correlation_id") == correlation]


async def test_without_an_endpoint_nothing_is_traced_and_events_carry_no_traceparent(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    headers = {**admin_headers, "traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"}
    accepted = await gateway.post("/v1/branches", json=branch_body(), headers=headers)
    assert accepted.status_code == 201, accepted.text
    stored = await membership_db.fetchval("SELECT traceparent FROM events WHERE stream_id = $1",
                                          accepted.json()["id"])
    assert stored is None
