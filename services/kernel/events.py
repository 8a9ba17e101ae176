"""Event registry and envelope: stable wire names, one orjson codec, CloudEvents attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from services.pure.frozen import made

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

E = TypeVar("E")


def _default(value: Any) -> Any:
    # Money and other exact numbers cross the wire as strings, never floats.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(value: Any) -> bytes:
    """The one JSON codec: orjson, dataclasses/enums/dates/UUIDs native, Decimal as string."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def decode(data: bytes | str) -> Any:
    return orjson.loads(data)


class UnknownEventType(LookupError):
    """A stored or received event names a wire type this registry does not know."""


class EventRegistry(Generic[E]):
    """Explicit map of stable wire names (``gb.<service>.<event>.v<n>``) to event dataclasses.

    Wire names are chosen by hand and never derived from Python import paths, so a class can be
    renamed or moved without rewriting history.
    """

    def __init__(self, *, source: str, events: Mapping[str, type[E]]) -> None:
        self.source = source
        self._by_name: dict[str, type[E]] = dict(events)
        self._by_class: dict[type[E], str] = {cls: name for name, cls in events.items()}
        if len(self._by_class) != len(self._by_name):
            raise ValueError("each event class must have exactly one wire name")
        for name, cls in events.items():
            if not is_dataclass(cls):
                raise TypeError(f"{name}: events are dataclasses")
            if not name.startswith("gb.") or ".v" not in name:
                raise ValueError(f"{name}: wire names look like gb.<service>.<event>.v<n>")
        #: Each type's pydantic adapter, made at its first use: making them all took most of a contract's import
        #: time, and a process decodes few of its types (a rebuild of the bench's events, one).
        self._adapters: dict[str, TypeAdapter[Any]] = {}

    @classmethod
    def join(cls, *, source: str, parts: Iterable[Mapping[str, type[E]]]) -> EventRegistry[E]:
        """One registry from several modules' event maps; a wire name defined twice is an error."""
        events: dict[str, type[E]] = {}
        for part in parts:
            for name, event in part.items():
                if name in events:
                    raise ValueError(f"{name} is defined by {events[name].__qualname__} and {event.__qualname__}")
                events[name] = event
        return cls(source=source, events=events)

    def wire_name(self, event: E) -> str:
        return self.name_of(type(event))

    def name_of(self, event_type: type[E]) -> str:
        """The wire name of an event class (for statements that select events by type)."""
        try:
            return self._by_class[event_type]
        except KeyError:
            raise UnknownEventType(f"{event_type.__name__} is not registered") from None

    def encode(self, event: E) -> bytes:
        return encode(event)

    def decode(self, wire_name: str, data: bytes | str) -> E:
        result: E = self._adapter(wire_name).validate_json(data)
        return result

    def _adapter(self, wire_name: str) -> TypeAdapter[Any]:
        adapter = self._adapters.get(wire_name)
        if adapter is None:
            event = self._by_name.get(wire_name)
            if event is None:
                raise UnknownEventType(wire_name)
            adapter = self._adapters[wire_name] = TypeAdapter(event)
        return adapter

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schema of every event payload, generated from the one dataclass definition."""
        return {name: self._adapter(name).json_schema() for name in sorted(self._by_name)}


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """A stored event: CloudEvents 1.0 attributes plus the stream and tracing metadata.

    ``id`` is assigned once, when the event is stored; ``source`` + ``id`` identify it everywhere.
    """

    id: UUID
    source: str
    type: str
    time: datetime
    subject: str
    stream_id: str
    stream_type: str
    stream_version: int
    actor: str
    correlation_id: str
    causation_id: str | None
    data: bytes
    prev_hash: bytes | None
    hash: bytes
    position: int | None = None
    recorded_at: datetime | None = None
    #: W3C trace context of the request that caused it (CloudEvents distributed-tracing extension).
    #: Not part of the hash chain: it says how the event was observed, not what happened.
    traceparent: str | None = None
    specversion: str = SPEC_VERSION
    datacontenttype: str = CONTENT_TYPE

    def cloudevent(self) -> dict[str, Any]:
        """Structured-mode CloudEvent (the partner-feed and audit form)."""
        return {
            "specversion": self.specversion,
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "time": self.time.isoformat(),
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            **{k: str(v) for k, v in self.extensions().items()},
            "data": decode(self.data),
        }

    def extensions(self) -> dict[str, str]:
        """CloudEvents extension attributes (lower-case alphanumerics, as the spec requires)."""
        ext = {
            "streamid": self.stream_id,
            "streamtype": self.stream_type,
            "streamversion": str(self.stream_version),
            "actor": self.actor,
            "correlationid": self.correlation_id,
            "chainhash": self.hash.hex(),
        }
        if self.position is not None:
            ext["position"] = str(self.position)
        if self.recorded_at is not None:
            # When the store took it (the recorded-time axis; "time" is when it happened).
            ext["recordedat"] = self.recorded_at.astimezone(UTC).isoformat()
        if self.prev_hash is not None:
            ext["prevhash"] = self.prev_hash.hex()
        if self.causation_id:
            ext["causationid"] = self.causation_id
        if self.traceparent:
            ext["traceparent"] = self.traceparent
        return ext

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """CloudEvents Kafka binding, binary mode: ``ce_*`` headers, the payload is the value."""
        attrs = {
            "ce_specversion": self.specversion,
            "ce_id": str(self.id),
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            **{f"ce_{k}": v for k, v in self.extensions().items()},
        }
        return [("content-type", self.datacontenttype.encode()), *((k, v.encode()) for k, v in attrs.items())]

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> Envelope:
        """The envelope of a record ``kafka_headers`` made; KeyError when an attribute is missing, ValueError (or
        UnicodeDecodeError) when one is not what it should be. Each header is decoded as its field needs, numbers
        straight from their bytes, and the instance is ``made`` (services/pure/frozen.py) rather than constructed —
        together half this method's time, measured, and a rebuild decodes every event ever stored."""
        h = dict(headers)
        prev_hash, position, recorded_at = h.get("ce_prevhash"), h.get("ce_position"), h.get("ce_recordedat")
        causation_id, traceparent = h.get("ce_causationid"), h.get("ce_traceparent")
        return made(
            cls,
            id=UUID(h["ce_id"].decode()),
            source=h["ce_source"].decode(),
            type=h["ce_type"].decode(),
            time=datetime.fromisoformat(h["ce_time"].decode()),
            subject=h["ce_subject"].decode(),
            stream_id=h["ce_streamid"].decode(),
            stream_type=h["ce_streamtype"].decode(),
            stream_version=int(h["ce_streamversion"]),
            actor=h["ce_actor"].decode(),
            correlation_id=h["ce_correlationid"].decode(),
            causation_id=None if causation_id is None else causation_id.decode(),
            data=value,
            prev_hash=None if prev_hash is None else bytes.fromhex(prev_hash.decode()),
            hash=bytes.fromhex(h["ce_chainhash"].decode()),
            position=None if position is None else int(position),
            recorded_at=None if recorded_at is None else datetime.fromisoformat(recorded_at.decode()),
            traceparent=None if traceparent is None else traceparent.decode(),
            specversion=SPEC_VERSION,
            datacontenttype=CONTENT_TYPE,
        )


def chain_hash(
    prev_hash: bytes | None,
    *,
    event_id: UUID,
    stream_id: str,
    version: int,
    type: str,
    time: datetime,
    actor: str,
    data: bytes,
) -> bytes:
    """Link of the per-stream hash chain: SHA-256 over the previous link and this event's content.

    Editing any stored event (or deleting one in the middle) breaks every later link of its stream.
    """
    return chain_link(prev_hash, event_id=str(event_id), stream_id=stream_id, version=version, type=type,
                      time=time.astimezone(UTC).isoformat(), actor=actor, data=data)


def chain_link(prev_hash: bytes | None, *, event_id: str, stream_id: str, version: int, type: str, time: str,
               actor: str, data: bytes) -> bytes:
    """``chain_hash`` with the id and the UTC time already in their text form: a run appending many events at one
    instant formats the time once."""
    h = hashlib.sha256()
    h.update(prev_hash or b"\0" * 32)
    h.update(encode([event_id, stream_id, version, type, time, actor]))
    h.update(data)
    return h.digest()


def field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]
