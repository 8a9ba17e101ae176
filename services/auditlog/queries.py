"""The log's reads, forwarded by the gateway under /v1/audit/:

    GET  /log/keys                      the public key and log id (public)
    GET  /log/tree-heads/latest         the newest signed tree head (public)
    GET  /log/tree-heads?size=N         every head signed at size N (public: a fork shows as two roots)
    GET  /log/entries?start=&limit=     entries in log order: which event each index holds, its leaf hash
    GET  /log/proofs/inclusion          an event's index and its inclusion proof in a tree size
    POST /log/proofs/inclusion          the same for many events at once (exports)
    GET  /log/proofs/consistency        a consistency proof between two tree sizes
    GET  /log/conflicts                 records on Kafka that contradicted a logged event

Keys and heads are public, as a CT log's are: they hold nothing but hashes and a signature, and anyone
should be able to compare heads. Entries and proofs name records, so they are the county's (and the
auditors') only. Hashes are lowercase hex; proofs list their hashes bottom-up, as RFC 9162 builds them.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.auditlog.contract import NAME
from services.auditlog.contract.events import TREE_HEADS_STREAM
from services.auditlog.log import TransparencyLog
from services.auditlog.sequencer import logged_topics, running
from services.kernel import tree_head
from services.kernel.command_api import ActorDep
from services.kernel.events import decode
from services.kernel.topics import event_topic
from services.pure.errors import DomainError, Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/log")

MAX_INT = 2**63 - 1


def _auditor(actor: Actor) -> None:
    if actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden("only the county organisation department reads the log's entries and proofs")


def _pool(request: Request) -> Any:
    return request.app.state.store.pool


@router.get("/keys")
async def keys() -> dict[str, Any]:
    tlog = running()
    return {
        "log_id": tlog.log_id.hex(),
        "services": [topic.split(".")[1] for topic in logged_topics(event_topic(NAME))],
        "algorithm": "Ed25519",
        "public_key": tree_head.public_key_to_b64(tlog.public_key),
        "public_key_pem": tree_head.public_key_to_pem(tlog.public_key).decode(),
        "signed_message": "96 bytes: 'tlog-tree-head/1' | log_id (32) | size (uint64 BE) | timestamp_ms (uint64 BE) "
                          "| root_hash (32)",
        "hashing": "RFC 9162 section 2.1.1: leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right)",
        "entry": "services/auditlog/contract/entry.py: canonical JSON of the event's CloudEvent attributes, data "
                 "by its SHA-256",
    }


def _head(row: Any) -> dict[str, Any]:
    data = decode(row["data"])
    return {**data, "position": row["position"], "recorded_at": row["recorded_at"].isoformat()}


_HEADS = "SELECT position, data, recorded_at FROM events WHERE stream_id = $1"


@router.get("/tree-heads/latest")
async def latest_head(request: Request) -> dict[str, Any]:
    row = await _pool(request).fetchrow(_HEADS + " ORDER BY version DESC LIMIT 1", TREE_HEADS_STREAM)
    if row is None:
        raise NotFound("no tree head has been signed yet; ask for one with POST /v1/audit/tree-heads")
    return _head(row)


@router.get("/tree-heads")
async def heads_of_size(request: Request, size: Annotated[int, Query(ge=0, le=MAX_INT)]) -> dict[str, Any]:
    rows = await _pool(request).fetch(
        _HEADS + " AND (data->>'size')::bigint = $2 ORDER BY version", TREE_HEADS_STREAM, size)
    return {"size": size, "heads": [_head(r) for r in rows]}


@router.get("/entries")
async def entries(request: Request, actor: ActorDep, start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
    _auditor(actor)
    tlog = running()
    rows = await _pool(request).fetch(
        "SELECT idx, source, event_id, stream_id, stream_version, position, recorded_at, leaf_hash FROM log_entries"
        " WHERE idx >= $1 AND idx < $2 ORDER BY idx", start, min(start + limit, tlog.size))
    return {"size": tlog.size, "entries": [
        {"index": r["idx"], "source": r["source"], "event_id": str(r["event_id"]), "stream_id": r["stream_id"],
         "stream_version": r["stream_version"], "position": r["position"], "recorded_at": r["recorded_at"].isoformat(),
         "leaf_hash": bytes(r["leaf_hash"]).hex()} for r in rows]}


def _tree_size(tlog: TransparencyLog, tree_size: int | None) -> int:
    size = tlog.size if tree_size is None else tree_size
    tlog.check_size(size)
    return size


async def _inclusion(request: Request, tlog: TransparencyLog, size: int,
                     events: list[tuple[str, UUID]]) -> list[dict[str, Any]]:
    rows = await _pool(request).fetch(
        "SELECT l.idx, l.source, l.event_id, l.leaf_hash FROM log_entries l"
        " JOIN unnest($1::text[], $2::uuid[]) AS u(source, event_id) USING (source, event_id)",
        [s for s, _ in events], [e for _, e in events])
    found = {(r["source"], r["event_id"]): r for r in rows}
    proofs: list[dict[str, Any]] = []
    for source, event_id in events:
        row = found.get((source, event_id))
        if row is None or row["idx"] >= size:
            proofs.append({"source": source, "event_id": str(event_id), "index": None, "tree_size": size,
                           "proof": None, "problem": "not in the log at this tree size"})
            continue
        proofs.append({"source": source, "event_id": str(event_id), "index": row["idx"], "tree_size": size,
                       "leaf_hash": bytes(row["leaf_hash"]).hex(),
                       "proof": [h.hex() for h in tlog.inclusion_proof(row["idx"], size)]})
    return proofs


@router.get("/proofs/inclusion")
async def inclusion(request: Request, actor: ActorDep, source: str, event_id: UUID,
                    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> dict[str, Any]:
    """Where one event is in the log, and the proof that it is in the tree of ``tree_size`` (default: now)."""
    _auditor(actor)
    tlog = running()
    [proof] = await _inclusion(request, tlog, _tree_size(tlog, tree_size), [(source, event_id)])
    if proof["index"] is None:
        raise NotFound(f"event {event_id} of {source} is not in the log at tree size {proof['tree_size']}")
    return proof


class EventRef(BaseModel):
    source: str = Field(max_length=200)
    event_id: UUID


class InclusionRequest(BaseModel):
    tree_size: int | None = Field(None, ge=1, le=MAX_INT)
    events: list[EventRef] = Field(max_length=5000)


@router.post("/proofs/inclusion")
async def inclusions(request: Request, actor: ActorDep, body: InclusionRequest) -> dict[str, Any]:
    _auditor(actor)
    tlog = running()
    size = _tree_size(tlog, body.tree_size)
    return {"tree_size": size,
            "proofs": await _inclusion(request, tlog, size, [(e.source, e.event_id) for e in body.events])}


@router.get("/proofs/consistency")
async def consistency(actor: ActorDep, first: Annotated[int, Query(ge=1, le=MAX_INT)],
                      second: Annotated[int, Query(ge=1, le=MAX_INT)]) -> dict[str, Any]:
    """The proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    _auditor(actor)
    tlog = running()
    if first > second:
        raise DomainError(f"first ({first}) must not exceed second ({second})")
    return {"first": first, "second": second, "proof": [h.hex() for h in tlog.consistency_proof(first, second)]}


@router.get("/conflicts")
async def conflicts(request: Request, actor: ActorDep) -> dict[str, Any]:
    _auditor(actor)
    rows = await _pool(request).fetch('SELECT * FROM log_conflicts ORDER BY seen_at LIMIT 1000')
    return {"conflicts": [
        {"topic": r["topic"], "partition": r["partition"], "offset": r["offset"], "source": r["source"],
         "event_id": str(r["event_id"]), "leaf_hash": bytes(r["leaf_hash"]).hex(),
         "logged_leaf_hash": bytes(r["logged_leaf_hash"]).hex(), "seen_at": r["seen_at"].isoformat()} for r in rows]}
