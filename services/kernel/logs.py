"""JSON log lines for every process, each carrying the correlation id of the request or event it serves.

One line is one JSON object (orjson: the escaping is the library's, never ours) with ``ts`` (UTC, ms),
``level``, ``logger``, ``message`` and, while a request or an event is being handled, ``correlation_id``. The
id lives in a context variable: an HTTP request sets it in CorrelationIds (services/kernel/http.py) and every
task the request spawns inherits it, so a line logged deep in a handler names the request without anyone
passing the id along. A consumer handling an event sets it with ``correlated(envelope.correlation_id)``.

While a traced span is current (services/kernel/tracing.py: only when traces are exported), a line also carries
``trace_id`` and ``span_id``, so a line found in the logs leads to its trace and a trace to its lines. Every line
at warning level or above is also counted (``gb_log_messages_total``, services/kernel/metrics.py).

What goes into a message is the caller's responsibility, as before: no personal data in clear (the scan in
tests/e2e/test_personal_data_scan.py reads every log file). The correlation id itself is only ever one this
system made or a UUID a client sent (``well_formed``): a client cannot smuggle a phone number into the logs
through the header.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO, TypeGuard

import orjson
from opentelemetry import trace

#: The correlation id of what this task is working on, if anything.
correlation: ContextVar[str | None] = ContextVar("gb_correlation_id", default=None)

#: A correlation id a client may choose: a UUID in its canonical form (any version). Anything else is replaced.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

#: Loggers that install their own handlers and formats (uvicorn's): sent to the root's JSON handler instead.
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "faust", "mode")


def well_formed(value: str | None) -> TypeGuard[str]:
    return value is not None and _UUID.fullmatch(value) is not None


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def current() -> str | None:
    return correlation.get()


@contextlib.contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    """Log everything inside the block with ``correlation_id`` (None: with none)."""
    token = correlation.set(correlation_id)
    try:
        yield
    finally:
        correlation.reset(token)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation_id = correlation.get()
        if correlation_id is not None:
            entry["correlation_id"] = correlation_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:  # never without a configured tracer: then no span is ever valid
            entry["trace_id"] = trace.format_trace_id(span.trace_id)
            entry["span_id"] = trace.format_span_id(span.span_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Every logger of the process writes JSON lines to ``stream`` (stderr), through the root logger.

    Replaces whatever handlers the root had (a basicConfig before this one) and takes over loggers that
    bring their own (uvicorn configures its loggers before it imports the app that calls this)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.addHandler(_log_counter())
    root.setLevel(level)
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True


def _log_counter() -> logging.Handler:
    # Imported when a process sets up its logging, not with this module: the runner's commands (./gb status)
    # read JSON logs without loading the metrics and their web framework.
    from services.kernel.metrics import LogCounter

    return LogCounter()


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """The same as ``configure``, as a ``logging.config.dictConfig`` mapping: for a framework that sets up logging
    itself from such a mapping (faust's Worker)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
                     "count": {"()": _log_counter}},
        "root": {"level": level, "handlers": ["json", "count"]},
    }


def parse(line: str) -> dict[str, Any] | None:
    """A line of a JSON log as a dict, or None when the line is not one (a JVM's or a traceback's)."""
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None
