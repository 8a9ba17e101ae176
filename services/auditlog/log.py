"""The transparency log: its entries in PostgreSQL, its Merkle tree in memory, its signed tree heads.

One process holds the log (services/auditlog/sequencer.py takes an advisory lock): it alone assigns
indexes, so they have no gaps. The tree of every complete subtree (services.kernel.merkle.MerkleLog,
64 bytes an entry) is rebuilt from ``log_entries`` at start — about a second per million entries —
and grows only after the transaction that stored the entries committed, so what it proves is always
what PostgreSQL holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auditlog.contract.events import TREE_HEADS_STREAM, TreeHeadSigned
from services.kernel import tree_head
from services.kernel.merkle import MerkleLog
from services.kernel.store import AppendResult, CommandMeta, EventStore, Stream
from services.pure.errors import DomainError, NotFound


class CorruptLog(RuntimeError):
    """The stored entries are not a gapless sequence from index 0: the log refuses to serve or sign."""


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One event to log, as consumed from its topic."""

    source: str
    event_id: UUID
    stream_id: str
    stream_version: int
    position: int
    recorded_at: datetime
    leaf_hash: bytes
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class Appended:
    logged: int
    duplicates: int
    conflicts: int


class TransparencyLog:
    def __init__(self, pool: asyncpg.Pool, key: Ed25519PrivateKey) -> None:
        self.pool = pool
        self.key = key
        self.public_key = key.public_key()
        self.log_id = tree_head.log_id_for(self.public_key)
        self.tree = MerkleLog()
        self._sign_lock = asyncio.Lock()

    @property
    def size(self) -> int:
        return self.tree.size

    async def load(self) -> None:
        """Rebuild the tree from the stored entries."""
        tree = MerkleLog()
        async with self.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor("SELECT idx, leaf_hash FROM log_entries ORDER BY idx", prefetch=10_000):
                if row["idx"] != tree.size:
                    raise CorruptLog(f"log entry {tree.size} is missing (the next stored one is {row['idx']})")
                tree.append(bytes(row["leaf_hash"]))
        self.tree = tree

    async def append(self, conn: asyncpg.Connection, entries: Sequence[Entry],
                     checkpoints: dict[tuple[str, int], int]) -> Appended:
        """Log the entries not logged yet, in order, with the partitions' next offsets, in one transaction.

        An entry whose event is logged already with the same leaf is a duplicate (the relay publishes at
        least once) and skipped; with another leaf it is a conflict — a record on Kafka that contradicts
        what was logged — kept in ``log_conflicts`` and never logged.
        """
        logged: dict[tuple[str, UUID], bytes] = {}
        rows = await conn.fetch(
            "SELECT l.source, l.event_id, l.leaf_hash FROM log_entries l"
            " JOIN unnest($1::text[], $2::uuid[]) AS u(source, event_id) USING (source, event_id)",
            [e.source for e in entries], [e.event_id for e in entries])
        for row in rows:
            logged[(row["source"], row["event_id"])] = bytes(row["leaf_hash"])
        new: list[Entry] = []
        conflicts: list[tuple[Entry, bytes]] = []
        duplicates = 0
        for entry in entries:
            key = (entry.source, entry.event_id)
            known = logged.get(key)
            if known is None:
                logged[key] = entry.leaf_hash
                new.append(entry)
            elif known == entry.leaf_hash:
                duplicates += 1
            else:
                conflicts.append((entry, known))
        first = self.tree.size
        async with conn.transaction():
            if new:
                await conn.executemany(
                    "INSERT INTO log_entries (idx, source, event_id, stream_id, stream_version, position, recorded_at,"
                    " leaf_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    [(first + i, e.source, e.event_id, e.stream_id, e.stream_version, e.position, e.recorded_at,
                      e.leaf_hash) for i, e in enumerate(new)])
            if conflicts:
                await conn.executemany(
                    'INSERT INTO log_conflicts (topic, partition, "offset", source, event_id, leaf_hash,'
                    " logged_leaf_hash)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    [(e.topic, e.partition, e.offset, e.source, e.event_id, e.leaf_hash, known)
                     for e, known in conflicts])
            await conn.executemany(
                "INSERT INTO log_checkpoints (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                [(t, p, o) for (t, p), o in checkpoints.items()])
        for entry in new:  # only once committed: the tree never holds what PostgreSQL does not
            self.tree.append(entry.leaf_hash)
        return Appended(logged=len(new), duplicates=duplicates, conflicts=len(conflicts))

    # -- tree heads --------------------------------------------------------------------------

    async def sign(self, store: EventStore[Any], meta: CommandMeta, reason: str) -> AppendResult:
        """Sign the tree as it is now and record the head as an event of the ``tree-heads`` stream."""
        async with self._sign_lock:
            head = tree_head.TreeHead(size=self.tree.size, root_hash=self.tree.root(),
                                      timestamp_ms=time.time_ns() // 1_000_000, log_id=self.log_id)
            signature = tree_head.sign(self.key, head)
            event = TreeHeadSigned(size=head.size, root_hash=head.root_hash.hex(), timestamp_ms=head.timestamp_ms,
                                   log_id=head.log_id.hex(), signature=signature.hex(), reason=reason)
            return await store.append(await _heads_stream(store), "tree-heads", [event], meta)

    async def last_signed_size(self, store: EventStore[Any]) -> int | None:
        stream = await _heads_stream(store)
        return stream.events[0].event.size if stream.events else None

    # -- proofs -----------------------------------------------------------------------------

    def check_size(self, size: int) -> None:
        if not 0 <= size <= self.tree.size:
            raise NotFound(f"the log holds {self.tree.size} entries; there is no tree of size {size}")

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self.check_size(size)
        if not 0 <= index < size:
            raise DomainError(f"entry {index} is not in a tree of size {size}")
        return self.tree.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self.check_size(second)
        if not 0 < first <= second:
            raise DomainError(f"a consistency proof needs 0 < first <= second (got first={first}, second={second})")
        return self.tree.consistency_proof(first, second)


async def _heads_stream(store: EventStore[Any]) -> Stream[Any]:
    """The tree-heads stream's last event only: what the next append needs (version and chain link)."""
    position = await store.pool.fetchval("SELECT max(position) FROM events WHERE stream_id = $1", TREE_HEADS_STREAM)
    if position is None:
        return Stream(stream_id=TREE_HEADS_STREAM)
    [last] = await store.read_positions([position])
    return Stream(stream_id=TREE_HEADS_STREAM, version=last.envelope.stream_version, events=[last])
