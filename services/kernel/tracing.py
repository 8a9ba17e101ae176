"""OpenTelemetry traces across HTTP and Kafka, exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

One trace follows a command from the gateway to the projector:

    gateway  SERVER "POST /v1/branches"         FastAPI's own telemetry (FastAPI(telemetry=…)), from the
      └ CLIENT "POST membership"                   client's ``traceparent`` header if it sent one
          └ membership SERVER "POST /branches"   the call carries ``traceparent`` (W3C Trace Context)
              ├ relay PRODUCER "send gb.membership.events"
              └ projector CONSUMER "project gb.membership.events"

The service stores its span's context with each event it appends (``CommandMeta.traceparent`` → the events
table → the CloudEvents distributed-tracing extension, ``ce_traceparent`` on Kafka): the event is a durable
message, so whoever handles it later — the relay a millisecond after, a rebuild a year after — continues the
trace of the request that caused it (``consumed``/``start_span`` with the envelope's ``traceparent``).
Transport hops do not rewrite it: the extension names where the event was made, as CloudEvents asks.

Nothing is configured unless the endpoint is set: then no SDK is imported, FastAPI's telemetry stays off
(it works only with a configured provider), no span is ever valid, no event carries a traceparent, and each
helper here is one test of a module flag. The standard ``OTEL_*`` variables apply (``OTEL_SERVICE_NAME``,
``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SDK_DISABLED``).

Nothing personal goes into a span: HTTP spans carry the path but never the query string (``_nothing_personal``
blanks it, as the access log does), and messaging spans name topics, event types and event ids. The API puts no
personal value in a path, but a client may: a clerk pastes an ID number into a member-id field. So a path, and a
span's name, keep no run of 11 or more digits (``masked``; the access log masks the same way).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.kernel.events import Envelope

log = logging.getLogger(__name__)

#: Probes and scrapes, polled every few seconds by the runner, the gateway and Prometheus: never traced.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


#: What a person's number always is and a record id hardly ever: 11 or more digits in a run — a mobile number has
#: 11, an ID number 17 and a check digit or X — or either written in its groups (138-1234-5678, 440305 19750827
#: 0098). Not any digits across dashes: one uuid in twenty has 11 digits around one of its own. ``\d`` takes
#: every script's digits, full-width ones pasted from a Chinese document included.
_LONG_NUMBER = re.compile(r"\d{11,}[Xx]?|1[3-9]\d[ -]\d{4}[ -]\d{4}|\d{6}[ -]\d{8}[ -]\d{3}[\dXx]")
#: The attributes of an HTTP span that hold the path (current and older semantic conventions).
_PATH_ATTRIBUTES = ("url.path", "url.full", "http.target", "http.url")


def masked(text: str) -> str:
    """``text`` with every run of 11 or more digits (and every phone or ID number written in groups) starred out,
    character for character: what a path or a span name keeps of a number that may be a person's. Short ids and
    dates stay, and so do uuids but about one in a hundred (those with 11 digits in a row)."""
    return _LONG_NUMBER.sub(lambda found: "*" * len(found.group()), text)


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


#: What FastAPI's native telemetry does: server spans only, probes and scrapes left out. Its operation spans (one
#: per dependency, endpoint and serialisation) would multiply the spans of every command by about ten; its
#: metrics are OpenTelemetry's, where ours are Prometheus's (services/kernel/metrics.py).
FASTAPI_TELEMETRY: Any = {"tracing": True, "metrics": False, "logs": False, "operation_spans": False,
                          "exclude": _untraced}

_tracer: trace.Tracer | None = None
#: Only the W3C trace context crosses our hops, never ``baggage``: what a client puts there is not passed on to the
#: services or stored with events.
_W3C = TraceContextTextMapPropagator()


def enabled() -> bool:
    return _tracer is not None


def configure(service_name: str, env: Mapping[str, str] = os.environ) -> bool:
    """Export this process's spans over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the traces-only
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set; True when it now does. Called once, at the start of a
    process (a second call changes nothing)."""
    global _tracer
    if _tracer is not None:
        return True
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if (not endpoint or env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
            or env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none"):
        return False
    # Imported only here: a process that exports nothing never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME, when an operator sets it, wins over the process's own name.
    resource = Resource.create({} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(_nothing_personal())  # first: it edits spans before the exporter sees them
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("golden-bridge")
    log.info("exporting traces of %s over OTLP/HTTP", resource.attributes.get(SERVICE_NAME, service_name))
    return True


def _nothing_personal() -> Any:
    """A span processor that, as a span starts, blanks ``url.query`` and masks long numbers in the path and the name:
    a query may carry what no record may hold (a phone number typed into a filter), a path an ID number pasted as
    a record id, and FastAPI's server spans copy both. It runs before the exporter's. The name FastAPI gives a
    span later is the route's template (``GET /members/{member_id}``), never the path."""
    from opentelemetry.sdk.trace import SpanProcessor

    class NothingPersonal(SpanProcessor):
        def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
            attributes = getattr(span, "attributes", None) or {}
            if "url.query" in attributes:
                span.set_attribute("url.query", "…")
            for name in _PATH_ATTRIBUTES:
                value = attributes.get(name)
                if isinstance(value, str) and masked(value) != value:
                    span.set_attribute(name, masked(value))
            span_name = getattr(span, "name", "")
            if isinstance(span_name, str) and masked(span_name) != span_name:
                span.update_name(masked(span_name))

    return NothingPersonal()


def traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, to store with what it causes; None when not tracing."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def _parent(traceparent: str) -> context.Context:
    return _W3C.extract({"traceparent": traceparent})


def start_span(name: str, *, traceparent: str | None, kind: SpanKind = SpanKind.INTERNAL,
               attributes: Mapping[str, str | int] | None = None) -> Span | None:
    """A span continuing the trace in ``traceparent``, not made current: for work that ends elsewhere (a Kafka
    send acknowledged later). The caller ends it. None when not tracing or when there is no trace to continue:
    an event stored by untraced work (a policy, a timer) or before traces were exported starts no trace of its own
    here, so a backlog or a rebuild does not flood the collector with one-span traces."""
    if _tracer is None or not traceparent:
        return None
    return _tracer.start_span(name, context=_parent(traceparent), kind=kind, attributes=dict(attributes or {}))


def consumed(traceparent: str | None, name: str, **attributes: str | int) -> contextlib.AbstractContextManager[Any]:
    """A CONSUMER span, current for the block, continuing the trace of the event's ``traceparent``: what a
    consumer does with one event (a projection, a policy, a partner delivery). No span without a trace to
    continue (``start_span`` says why)."""
    if _tracer is None or not traceparent:
        return contextlib.nullcontext()
    return _tracer.start_as_current_span(name, context=_parent(traceparent), kind=SpanKind.CONSUMER,
                                         attributes=attributes)


def event_attributes(env: Envelope, topic: str, operation: str) -> dict[str, str | int]:
    """A messaging span's attributes for one event: where it travels and what it is, nothing of its content."""
    return {"messaging.system": "kafka", "messaging.operation.type": operation, "messaging.destination.name": topic,
            "messaging.message.id": str(env.id), "cloudevents.event_type": env.type}


def consumed_event(env: Envelope, topic: str, name: str) -> contextlib.AbstractContextManager[Any]:
    """``consumed`` for one event of ``topic``: the span of what a consumer does with it, in the trace that made it.

    In a stream processor::

        with logs.correlated(env.correlation_id), tracing.consumed_event(env, tp.topic, "project"):
            ...
    """
    if _tracer is None or not env.traceparent:
        return contextlib.nullcontext()
    return consumed(env.traceparent, f"{name} {topic}", **event_attributes(env, topic, "process"))


@contextlib.contextmanager
def calling(name: str, headers: MutableMapping[str, str], **attributes: str | int) -> Iterator[None]:
    """A CLIENT span around an HTTP call, its context put into ``headers`` (``traceparent``) for the callee; none
    for a call outside any trace (the gateway's readiness probe asking each service)."""
    if _tracer is None or not trace.get_current_span().get_span_context().is_valid:
        yield
        return
    with _tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
        _W3C.inject(headers)
        yield
