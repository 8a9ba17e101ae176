"""Prometheus metrics of every process (the official client, prometheus_client): what each counts, and how it is served.

An HTTP process (the gateway, every service) answers ``GET /metrics`` on its own port (``install``); a process
without HTTP (relays, the projector, the policies, the partner router and webhook deliverer) starts the client's
own HTTP server on ``GB_METRICS_PORT`` when that is set (``serve_from_env``). Each process counts only what it
does: Prometheus adds the ``job``/``instance`` labels that say which process it scraped.

Why /metrics asks for no token: it holds aggregate counts only — labels are route templates
(``/v1/members/{member_id}``, never a raw path), command and event type names, status codes, topics and partition
numbers, all bounded by the code, never an id, a person, a query or a correlation id. Prometheus scrapes without
the gateway's bearer tokens (which expire); the services listen on 127.0.0.1 and the metrics servers bind
``GB_METRICS_HOST`` (127.0.0.1 unless set). What the public gateway's /metrics does tell a stranger (request
rates, error rates, lag) is operational, and a deployment that minds it keeps /metrics off its public proxy
(docs/observability.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest, start_http_server
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.kafka import topic_partitions

log = logging.getLogger(__name__)

#: Seconds, from a fast read-your-write command (a few ms) to a slow one under load (outages answer 503 sooner).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds from a commit to Kafka's acknowledgement: milliseconds normally, minutes when Kafka was away.
DELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
#: Route label of a request no route matched (a 404): one value, however many paths strangers try.
UNMATCHED = "(unmatched)"
#: Route label of a request a route took whose template cannot be told (none so far).
OTHER = "(other)"
#: A scrape waits at most this long for Kafka and PostgreSQL before it reports no projection lag at all.
LAG_TIMEOUT_SECONDS = 5.0

# --- HTTP (every HTTP process) -------------------------------------------------------------------------------
HTTP_REQUESTS = Counter("gb_http_requests", "HTTP requests answered, by route template and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("gb_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                         ["method", "route"], buckets=LATENCY_BUCKETS)

# --- commands and appends (every service) --------------------------------------------------------------------
COMMANDS = Counter("gb_commands", "Commands a service handled: accepted, replayed (a retried Idempotency-Key), "
                   "refused (4xx: invalid, forbidden, a rule or a version race) or failed (5xx)",
                   ["service", "command", "outcome"])
COMMAND_SECONDS = Histogram("gb_command_duration_seconds", "Time from a command's arrival at its service to its "
                            "answer (scope check, load, decide, append)", ["service", "command"],
                            buckets=LATENCY_BUCKETS)
APPENDS = Counter("gb_appends", "Appends to the event store that a command made: stored, or the stored answer of "
                  "a retry (replayed)", ["service", "outcome"])

# --- relays ------------------------------------------------------------------------------------------------
RELAY_PUBLISHED = Counter("gb_relay_published_events", "Events the relay published and Kafka acknowledged",
                          ["service"])
RELAY_DELAY = Histogram("gb_relay_delay_seconds", "From an event's commit (recorded_at) to Kafka's acknowledgement",
                        ["service"], buckets=DELAY_BUCKETS)
RELAY_OLDEST = Gauge("gb_relay_oldest_unpublished_seconds", "Age of the oldest outbox row when the relay last "
                     "looked (0: the outbox was empty); grows while Kafka or the relay is stuck", ["service"])
RELAY_ACTIVE = Gauge("gb_relay_active", "1 while this relay holds its service's lock and publishes; 0 standing by",
                     ["service"])
RELAY_FAILURES = Counter("gb_relay_failures", "Relay runs that ended in an error (a new one starts after 1 s)",
                         ["service"])

# --- projections -------------------------------------------------------------------------------------------
PROJECTION_LAG = Gauge("gb_projection_lag_events", "Events on Kafka not yet applied to the read models, per "
                       "partition (the end offset minus the projector's stored checkpoint)", ["topic", "partition"])

# --- partners ----------------------------------------------------------------------------------------------
PARTNER_DELIVERIES = Counter("gb_partner_deliveries", "Deliveries to partner systems: records on partner topics "
                             "(kafka) and webhook attempts (http), by outcome", ["channel", "outcome"])
PARTNER_BATCH_FAILURES = Counter("gb_partner_router_batch_failures", "Router batches that failed an attempt and "
                                 "are tried again whole")
PARTNER_ROUTER_DEAD_LETTERS = Counter("gb_partner_router_dead_letters", "Records on the internal event topics the "
                                      "router could not read (no CloudEvent of ours): set aside, not routed")

# --- errors (every process) --------------------------------------------------------------------------------
LOG_MESSAGES = Counter("gb_log_messages", "Log lines at warning level or above, by level", ["level"])


def serve_from_env(env: Mapping[str, str] = os.environ) -> int | None:
    """Serve this process's metrics on ``GB_METRICS_PORT`` (prometheus_client's own HTTP server, a daemon thread)
    when it is set; the port, or None. For processes without an HTTP app of their own."""
    raw = env.get("GB_METRICS_PORT", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"GB_METRICS_PORT={raw!r}: a TCP port number is expected")
    host = env.get("GB_METRICS_HOST", "").strip() or "127.0.0.1"
    try:
        start_http_server(int(raw), addr=host)
    except OSError as exc:  # the work matters more than its metrics: say so, and go on without them
        log.error("metrics: cannot listen on %s:%s (%s); this process serves no metrics", host, raw, exc)
        return None
    log.info("metrics at http://%s:%s/metrics", host, raw)
    return int(raw)


def install(app: FastAPI, *, refresh: Callable[[Request], Awaitable[None]] | None = None) -> None:
    """``GET /metrics`` on ``app`` (outside the OpenAPI schema), and every request counted by route template.

    ``refresh`` runs before each scrape: for values read when asked (the gateway's projection lag)."""

    async def metrics(request: Request) -> Response:
        if refresh is not None:
            await refresh(request)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(HttpMetrics)


class HttpMetrics:
    """Counts and times every HTTP request by method, route template and status.

    The template comes from the route the request matched (``scope["route"]``, set by routing), so
    ``/v1/members/8c1…`` is counted under ``/v1/members/{member_id}``; a request no route matched is one label,
    ``(unmatched)``. Unknown methods count as ``OTHER``: nothing a client sends becomes a label of its own."""

    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope.get("method", "") if scope.get("method") in self.METHODS else "OTHER"
            route = route_template(scope)
            _child(HTTP_REQUESTS, method, route, str(status)).inc()
            _child(HTTP_SECONDS, method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route that took the request: an API route's own (FastAPI puts it in the scope), else
    the app's plain route or mount whose endpoint routing recorded (``/metrics``, ``/console/static/{path}``)."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return UNMATCHED
    for route in getattr(scope.get("app"), "routes", ()):
        if isinstance(route, Route) and route.endpoint is endpoint:
            return route.path
        if isinstance(route, Mount) and route.app is endpoint:
            return f"{route.path}/{{path}}"
    return OTHER


def appended(service: str, outcome: str) -> None:
    _child(APPENDS, service, outcome).inc()


def command_done(service: str, command: str, outcome: str, seconds: float) -> None:
    _child(COMMANDS, service, command, outcome).inc()
    _child(COMMAND_SECONDS, service, command).observe(seconds)


#: Labelled children already made, so that the hot path skips ``labels()``'s lock and checks: a request's two
#: metrics cost 4 µs instead of 12 (measured here). Bounded like the labels themselves.
_CHILDREN: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    key = (id(metric), *labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    return child


def outcome_of(status: int) -> str:
    """A command's outcome from the status it was answered with."""
    return "refused" if status < 500 else "failed"


class LogCounter(logging.Handler):
    """Counts log lines at warning level and above: the errors of a process, whichever code logged them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        LOG_MESSAGES.labels(record.levelname.lower()).inc()


async def projection_lag(pool: asyncpg.Pool, consumer: AIOKafkaConsumer, topics: Sequence[str],
                         schema: str = "public") -> dict[tuple[str, int], int]:
    """Per partition: events on Kafka not yet applied to the read models of ``schema`` (end offset minus the
    projector's stored checkpoint; a partition without one counts from offset 0)."""
    partitions = [tp for topic in topics for tp in await topic_partitions(consumer, topic)]
    ends = await consumer.end_offsets(partitions)
    stored = {(r["topic"], r["partition"]): r["next_offset"]
              for r in await pool.fetch(f'SELECT topic, partition, next_offset FROM "{schema}".projection_checkpoints')}
    return {(tp.topic, tp.partition): max(0, end - stored.get((tp.topic, tp.partition), 0)) for tp, end in ends.items()}


def set_projection_lag(lag: Mapping[tuple[str, int], int] | None) -> None:
    """Report ``lag`` per partition; None (it could not be read) reports none rather than a stale value."""
    PROJECTION_LAG.clear()
    for (topic, partition), behind in (lag or {}).items():
        PROJECTION_LAG.labels(topic, str(partition)).set(behind)


async def refresh_projection_lag(pool: asyncpg.Pool, consumer: AIOKafkaConsumer, topics: Sequence[str]) -> None:
    """Read the projection lag now (at scrape time) and report it; an outage reports none and logs why."""
    try:
        lag = await asyncio.wait_for(projection_lag(pool, consumer, topics), LAG_TIMEOUT_SECONDS)
    except Exception as exc:  # a scrape reports, never raises
        log.warning("metrics: projection lag unknown (%s)", type(exc).__name__)
        lag = None
    set_projection_lag(lag)
