"""Audit: the transparency log (keys, signed tree heads, entries, proofs), the stores' events, a record's
history, and exports an auditor verifies offline (docs/audit.md, `python -m auditor`).

Keys and tree heads are public, as a Certificate Transparency log's are: hashes and signatures only,
and anyone should be able to compare heads. Everything that names a record is the county's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services import system
from services.auditlog.contract import NAME as AUDITLOG
from services.auditlog.contract.entry import PROOF_ATTRIBUTES
from services.auditlog.contract.events import REGISTRY as AUDITLOG_EVENTS
from services.gateway.api.access import Scope, operation, public
from services.gateway.api.deps import PathId, service_client
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service, relay_response
from services.gateway.service_client import ServiceAnswer, ServiceUnreachable
from services.kernel.bodies import Moment
from services.pure.errors import DomainError, NotFound, Unavailable
from services.pure.identity import Actor, Role

#: The services that own records: those of services/system.py (tests/unit/gateway/test_audit_services.py).
Service = Literal["membership", "secondment", "investment", "partners", "workers", "auditlog"]
BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"
#: Inclusion proofs asked of the audit log per call (its limit).
PROOFS_PER_CALL = 5000
MAX_INT = 2**63 - 1
_COUNTY = (Role.COUNTY_ADMIN,)

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@operation(router, "/streams/{stream_id}", roles=_COUNTY, action="audit history", scope=Scope.COUNTY)
async def stream_history(
    stream_id: PathId, request: Request, actor: CurrentActor,
    service: Annotated[Service, Query(description="The service that owns the record.")] = "membership",
    up_to_version: Annotated[int | None, Query(ge=1, description="Only the first N events of the record.")] = None,
    as_of: Annotated[Moment | None, Query(description="The history as it was recorded at this time (RFC 3339 with "
                                                        "its offset, e.g. 2026-06-30T18:00:00+08:00).")] = None,
) -> Response:
    """Every event of one record (a branch, a person, a dues account, a secondment, a lead…) as CloudEvents,
    in order, and whether its per-record hash chain verifies (an edited or deleted event breaks it).
    County administrators only."""
    params = {k: str(v) for k, v in (("up_to_version", up_to_version), ("as_of", as_of)) if v is not None}
    upstream = await call_service(request, service, actor, "GET", f"/audit/streams/{quote(stream_id, safe='')}",
                                  params=params)
    return relay_response(upstream)


@operation(router, "/events", roles=_COUNTY, action="read the stores' events", scope=Scope.COUNTY)
async def store_events(
    request: Request, actor: CurrentActor,
    service: Annotated[Service, Query(description="The service whose store is read.")],
    after: Annotated[int, Query(ge=0, le=MAX_INT, description="Events after this store position.")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Response:
    """A service's stored events after a position, in position order, as CloudEvents exactly as stored — what an
    auditor matches against the transparency log. Page with ``after = next_after``."""
    upstream = await call_service(request, service, actor, "GET", "/audit/events",
                                  params={"after": str(after), "limit": str(limit)})
    return relay_response(upstream)


async def _public_get(request: Request, path: str, params: dict[str, str] | None = None) -> ServiceAnswer:
    """A read of the log's public side (keys, heads): no caller to sign for."""
    try:
        return await service_client(request, AUDITLOG).get(path, params=params)
    except ServiceUnreachable as exc:
        raise Unavailable(f"the audit log did not answer ({exc}); retry") from None


async def _public_read(request: Request, path: str, params: dict[str, str] | None = None) -> Response:
    return relay_response(await _public_get(request, path, params))


@public(router, "/keys")
async def keys(request: Request) -> Response:
    """The log's Ed25519 public key (base64 of its 32 raw bytes, and PEM) and its log id (SHA-256 of the key).
    Pin it: an auditor checks every tree head against the key it obtained once, not against this answer."""
    return await _public_read(request, "/log/keys")


@public(router, "/tree-heads/latest", responses={404: {"description": "No tree head has been signed yet"}})
async def latest_tree_head(request: Request) -> Response:
    """The newest signed tree head: the log's size, its RFC 9162 root hash, when it was signed, and the Ed25519
    signature over the 96-byte message described at /v1/audit/keys. Heads are signed every 2 s while events arrive
    and whenever someone asks (POST /v1/audit/tree-heads)."""
    return await _public_read(request, "/log/tree-heads/latest")


@public(router, "/tree-heads")
async def tree_heads_of_size(request: Request, size: Annotated[int, Query(ge=0, le=MAX_INT)]) -> Response:
    """Every head signed at one size. Two with different roots are a fork: proof, signed by the log, that it
    showed two histories."""
    return await _public_read(request, "/log/tree-heads", {"size": str(size)})


async def _log(request: Request, actor: Actor, path: str, params: dict[str, str] | None = None,
               method: str = "GET", content: bytes = b"") -> ServiceAnswer:
    return await call_service(request, AUDITLOG, actor, method, path, params=params, content=content,
                              headers={"content-type": "application/json"} if content else None)


@operation(router, "/entries", roles=_COUNTY, action="read the log's entries", scope=Scope.COUNTY)
async def entries(request: Request, actor: CurrentActor, start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Response:
    """The log's entries from ``start``, in the order the log assigned: which event of which service each index
    holds and the leaf hash it recorded."""
    return relay_response(await _log(request, actor, "/log/entries", {"start": str(start), "limit": str(limit)}))


@operation(router, "/proofs/inclusion", roles=_COUNTY, action="read inclusion proofs", scope=Scope.COUNTY,
           responses={404: {"description": "The event is not in the log at that tree size, or the log is smaller"}})
async def inclusion_proof(
    request: Request, actor: CurrentActor,
    event_id: Annotated[UUID, Query(description="The event's id (its CloudEvents id).")],
    service: Annotated[Service, Query(description="The service that stored it.")] = "membership",
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT, description="Default: the log's size now.")] = None,
) -> Response:
    """An event's index in the log and its RFC 9162 inclusion proof in the tree of ``tree_size``."""
    source = _source(service)
    params = {"source": source, "event_id": str(event_id), **({"tree_size": str(tree_size)} if tree_size else {})}
    return relay_response(await _log(request, actor, "/log/proofs/inclusion", params))


@operation(router, "/proofs/consistency", roles=_COUNTY, action="read consistency proofs", scope=Scope.COUNTY,
           responses={404: {"description": "The log holds fewer entries than ``second``"}})
async def consistency_proof(request: Request, actor: CurrentActor, first: Annotated[int, Query(ge=1, le=MAX_INT)],
                            second: Annotated[int, Query(ge=1, le=MAX_INT)]) -> Response:
    """The RFC 9162 proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    return relay_response(await _log(request, actor, "/log/proofs/consistency",
                                     {"first": str(first), "second": str(second)}))


@operation(router, "/conflicts", roles=_COUNTY, action="read the log's conflicts", scope=Scope.COUNTY)
async def conflicts(request: Request, actor: CurrentActor) -> Response:
    """Records on Kafka that named an event already logged but carried other content: never logged, kept as
    evidence (someone wrote to an event topic who should not have)."""
    return relay_response(await _log(request, actor, "/log/conflicts"))


def _source(service: str) -> str:
    return system.service(service).registry.source


# -- exports ------------------------------------------------------------------------------------------


class ExportQuery(BaseModel):
    service: Service = Field("membership", description="With ``stream``: the service that owns the record.")
    stream: str | None = Field(None, max_length=200, description="One record's events.")
    org: str | None = Field(None, max_length=200, description="An organisation's records.")
    # With their offset, as every recorded time a read takes (``as_of``): the stores' times are instants, and a time
    # without an offset names none (compared with them it was a 500).
    recorded_from: Moment | None = Field(None, description="Events recorded at or after this time (RFC 3339 with "
                                                           "its offset, e.g. 2026-06-30T18:00:00+08:00)…")
    recorded_to: Moment | None = Field(None, description="…and before this time.")


async def _feed(request: Request, actor: Actor, service: str) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        upstream = await call_service(request, service, actor, "GET", "/audit/events",
                                      params={"after": str(after), "limit": "5000"})
        if upstream.status_code != 200:
            raise Unavailable(f"the {service} store's events could not be read ({upstream.status_code}); retry")
        page = upstream.json()
        for event in page["events"]:
            yield event
        if not page["events"]:
            return
        after = page["next_after"]


def _names_org(data: Any, org: str) -> bool:
    if isinstance(data, dict):
        for key, value in data.items():
            if key.endswith("org_id") and value == org:
                return True
            if key.endswith("org_ids") and isinstance(value, list) and org in value:
                return True
            if isinstance(value, (dict, list)) and _names_org(value, org):
                return True
    elif isinstance(data, list):
        return any(_names_org(v, org) for v in data)
    return False


async def _org_streams(request: Request, org: str) -> set[str]:
    """The streams of the organisation's members (their records, dues accounts, trainings)."""
    rows = await request.app.state.read_pool.fetch("SELECT member_id FROM members_view WHERE formal_org_id = $1", org)
    return {r["member_id"] for r in rows}


@operation(router, "/exports", roles=_COUNTY, action="export history", scope=Scope.COUNTY,
           response_class=Response, responses={404: {"description": "The service has no such record"}})
async def export(request: Request, actor: CurrentActor, query: Annotated[ExportQuery, Query()]) -> Response:
    """History as a CloudEvents batch (``application/cloudevents-batch+json``) that an auditor verifies offline
    with ``python -m auditor verify-export``: first the signed tree head, then every selected event with its log
    index and RFC 9162 inclusion proof (extension attributes ``logindex``, ``logtreesize``, ``logproof``).

    Choose one: ``stream`` (one record of ``service``), ``org`` (every event naming the organisation, and its
    members' records), or ``recorded_from``/``recorded_to`` (a time range, across all services). A fresh tree
    head is signed first; events the log has not taken in yet are left out and counted in ``Gb-Export-Pending``.
    """
    chosen = [query.stream is not None, query.org is not None,
              query.recorded_from is not None or query.recorded_to is not None]
    if sum(chosen) != 1:
        raise DomainError("choose exactly one of: stream (with service), org, or recorded_from/recorded_to")
    if query.recorded_from and query.recorded_to and query.recorded_from >= query.recorded_to:
        raise DomainError("recorded_from must be before recorded_to")
    selected: list[dict[str, Any]] = []
    if query.stream is not None:
        upstream = await call_service(request, query.service, actor, "GET",
                                      f"/audit/streams/{quote(query.stream, safe='')}")
        if upstream.status_code != 200:
            return relay_response(upstream)
        selected = upstream.json()["events"]
        if not selected:
            raise NotFound(f"the {query.service} service has no record {query.stream}")
    else:
        members = await _org_streams(request, query.org) if query.org is not None else set()
        for definition in system.SERVICES:
            if definition.name == AUDITLOG:
                continue
            async for event in _feed(request, actor, definition.name):
                if query.org is not None:
                    if event["streamid"] in members or event["streamid"] == query.org or _names_org(event["data"],
                                                                                                     query.org):
                        selected.append(event)
                else:
                    recorded = datetime.fromisoformat(event["recordedat"])
                    if (query.recorded_from is None or recorded >= query.recorded_from) and (
                            query.recorded_to is None or recorded < query.recorded_to):
                        selected.append(event)
    signed = await _log(request, actor, "/audit/tree-heads", method="POST", content=b"{}")
    if signed.status_code != 201:
        return relay_response(signed)
    latest = await _public_get(request, "/log/tree-heads/latest")
    if latest.status_code != 200:
        return relay_response(latest)
    head = latest.json()
    proofs: list[dict[str, Any]] = []
    for start in range(0, len(selected) if head["size"] > 0 else 0, PROOFS_PER_CALL):
        answer = await _log(request, actor, "/log/proofs/inclusion", method="POST", content=orjson.dumps({
            "tree_size": head["size"],
            "events": [{"source": e["source"], "event_id": e["id"]} for e in selected[start:start + PROOFS_PER_CALL]],
        }))
        if answer.status_code != 200:
            return relay_response(answer)
        proofs += answer.json()["proofs"]
    batch: list[dict[str, Any]] = [{
        "specversion": "1.0", "id": f"tree-head-{head['size']}-{head['timestamp_ms']}",
        "source": AUDITLOG_EVENTS.source, "type": "gb.auditlog.tree_head_signed.v1",
        "datacontenttype": "application/json", "data": head,
    }]
    pending = len(selected) - len(proofs)
    for event, proof in zip(selected, proofs, strict=False):
        if proof.get("index") is None:
            pending += 1
            continue
        stored = {k: v for k, v in event.items() if k not in PROOF_ATTRIBUTES}
        batch.append({**stored, "logindex": proof["index"], "logtreesize": proof["tree_size"],
                      "logproof": " ".join(proof["proof"])})
    return Response(orjson.dumps(batch), media_type=BATCH_MEDIA_TYPE, headers={"Gb-Export-Pending": str(pending)})
