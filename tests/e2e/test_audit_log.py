"""The transparency log against tampering, on the running system: the auditor's CLI (``python -m auditor``)
with only the pinned public key and HTTP catches each attack of issue 12, done directly in PostgreSQL or on
Kafka, names the event or the head, and passes an untouched system.

Tampering here is undone after each check (the session's other tests share the stores), except by records forged
on Kafka, which stay in the log for good, and by an event forged into a store that a logged command then chained
onto: those tests are marked ``leaves_evidence`` and run last in the session.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiohttp import web

from infra import supervisor
from infra.processes import get_process
from services.kernel.events import chain_hash
from services.kernel.kafka import event_producer
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, eventually, member_body, outflow_body

ROOT = Path(__file__).resolve().parents[2]

Verify = Callable[[], Awaitable[tuple[int, str]]]


@pytest.fixture(scope="module")
async def auditlog_db(system: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(system.dsn("auditlog"), min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def pinned_key(gateway: httpx.AsyncClient) -> str:
    """Obtained once, as an auditor would (and compared with the docs' copy in real life)."""
    async def served() -> str:
        answer = await gateway.get("/v1/audit/keys")
        return str(answer.json()["public_key"]) if answer.status_code == 200 else ""

    return await eventually(served, what="the audit log's key")


async def auditor(pinned_key: str, state: Path, *command: str) -> tuple[int, str]:
    """The auditor's CLI as a separate process: its exit status and everything it wrote."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "auditor", "--public-key", pinned_key, "--state", str(state), *command,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


def verifier(system: Settings, pinned_key: str, state: Path) -> Verify:
    """``auditor verify`` against the running gateway, keeping its trusted head in ``state``."""
    return lambda: auditor(pinned_key, state, "verify", "--url", f"http://127.0.0.1:{system.gateway_port}",
                           "--token", system.admin_token)


@pytest.fixture
def verify(system: Settings, pinned_key: str, tmp_path: Path) -> Verify:
    """Each test has its own trusted-head folder."""
    return verifier(system, pinned_key, tmp_path / "state")


async def _member_with_history(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=admin_headers)).json()["id"]
    for _ in range(2):
        answer = await gateway.post(f"/v1/members/{member}/outflows", json=outflow_body(), headers=admin_headers)
        assert answer.status_code in (201, 409, 422), answer.text
    return member


async def _logged(gateway: httpx.AsyncClient, admin_headers: dict[str, str], db: asyncpg.Pool, stream: str) -> list[
        asyncpg.Record]:
    """The stream's rows, once every one of its events is in the log."""
    rows = await db.fetch("SELECT * FROM events WHERE stream_id = $1 ORDER BY version", stream)
    assert rows

    async def all_logged() -> bool:
        for row in rows:
            answer = await gateway.get("/v1/audit/proofs/inclusion", params={"event_id": str(row["event_id"])},
                                       headers=admin_headers)
            if answer.status_code != 200:
                return False
        return True

    await eventually(all_logged, what=f"the events of {stream} in the log")
    return rows


async def _restore(db: asyncpg.Pool, rows: list[asyncpg.Record]) -> None:
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM events WHERE event_id = ANY($1::uuid[])", [r["event_id"] for r in rows])
        columns = list(rows[0].keys())
        await conn.executemany(
            f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})",
            [tuple(r[c] for c in columns) for r in rows])


async def test_an_untouched_system_verifies_and_stays_consistent_with_the_head_it_trusted(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    await _logged(gateway, admin_headers, membership_db, member)
    code, out = await verify()
    assert code == 0, out
    assert "intact" in out
    await _member_with_history(gateway, admin_headers)  # the log grows: the next head must extend the trusted one
    code, out = await verify()
    assert code == 0, out


async def test_a_flipped_byte_is_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert (await verify())[0] == 0
    target = rows[0]
    text: str = target["data"]
    i = text.index('"', text.index(":")) + 1  # the first character of the first string value
    flipped = text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1:]
    await membership_db.execute("UPDATE events SET data = $2::json WHERE event_id = $1", target["event_id"], flipped)
    try:
        code, out = await verify()
        assert code == 1, out
        assert str(target["event_id"]) in out and "not what was logged" in out
        assert "content does not match its chain hash" in out
    finally:
        await _restore(membership_db, [target])
    assert (await verify())[0] == 0


async def test_a_deleted_event_is_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert (await verify())[0] == 0
    target = rows[0]
    await membership_db.execute("DELETE FROM events WHERE event_id = $1", target["event_id"])
    try:
        code, out = await verify()
        assert code == 1, out
        assert str(target["event_id"]) in out and "not in the store" in out
    finally:
        await _restore(membership_db, [target])
    assert (await verify())[0] == 0


async def test_a_deleted_record_is_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert (await verify())[0] == 0
    await membership_db.execute("DELETE FROM events WHERE stream_id = $1", member)
    try:
        code, out = await verify()
        assert code == 1, out
        assert f"record {member} of /golden-bridge/membership is gone" in out
    finally:
        await _restore(membership_db, rows)
    assert (await verify())[0] == 0


async def test_a_record_rewritten_with_recomputed_chain_hashes_is_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert (await verify())[0] == 0
    # The forger rewrites the first event and recomputes every link after it: the record's own chain verifies.
    prev: bytes | None = None
    async with membership_db.acquire() as conn, conn.transaction():
        for row in rows:
            data: str = row["data"]
            if row["version"] == 1:
                data = orjson.dumps({**orjson.loads(data), "forged": True}).decode()
            link = chain_hash(prev, event_id=row["event_id"], stream_id=member, version=row["version"],
                              type=row["type"], time=row["occurred_at"], actor=row["actor"], data=data.encode())
            await conn.execute("UPDATE events SET data = $2::json, prev_hash = $3, hash = $4 WHERE event_id = $1",
                               row["event_id"], data, prev, link)
            prev = link
    try:
        history = (await gateway.get(f"/v1/audit/streams/{member}", headers=admin_headers)).json()
        assert history["verified"] is True  # the server's own per-record check is fooled…
        code, out = await verify()
        assert code == 1, out  # …the log is not
        for row in rows:
            assert str(row["event_id"]) in out
        assert "chain hash" not in out
    finally:
        await _restore(membership_db, rows)
    assert (await verify())[0] == 0


async def test_two_swapped_events_are_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify
) -> None:
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert len(rows) >= 2
    assert (await verify())[0] == 0
    first, second = rows[0], rows[1]
    async with membership_db.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE events SET version = 1000000 WHERE event_id = $1", first["event_id"])
        await conn.execute("UPDATE events SET version = $2 WHERE event_id = $1", second["event_id"], first["version"])
        await conn.execute("UPDATE events SET version = $2 WHERE event_id = $1", first["event_id"], second["version"])
    try:
        code, out = await verify()
        assert code == 1, out
        assert str(first["event_id"]) in out and str(second["event_id"]) in out
    finally:
        await _restore(membership_db, [first, second])
    assert (await verify())[0] == 0


async def test_exports_of_a_record_an_organisation_and_a_time_range_verify_offline(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    pinned_key: str, tmp_path: Path,
) -> None:
    since = (await membership_db.fetchval("SELECT clock_timestamp()")).isoformat()
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=admin_headers)).json()["id"]
    assert (await gateway.post(f"/v1/members/{member}/outflows", json=outflow_body(),
                               headers=admin_headers)).status_code == 201
    member_rows = await _logged(gateway, admin_headers, membership_db, member)
    await _logged(gateway, admin_headers, membership_db, branch)

    async def offline(batch: bytes) -> tuple[int, str]:
        path = tmp_path / f"export-{uuid.uuid4().hex[:6]}.json"
        path.write_bytes(batch)
        return await auditor(pinned_key, tmp_path / "offline", "verify-export", str(path))

    for params, must_hold in (({"stream": member}, member_rows),
                              ({"org": branch}, member_rows),
                              ({"recorded_from": since}, member_rows)):
        answer = await gateway.get("/v1/audit/exports", params=params, headers=admin_headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/cloudevents-batch+json")
        batch = orjson.loads(answer.content)
        assert batch[0]["type"] == "gb.auditlog.tree_head_signed.v1"
        ids = {e["id"] for e in batch[1:]}
        assert {str(r["event_id"]) for r in must_hold} <= ids, params
        code, out = await offline(answer.content)
        assert code == 0, out
        tampered = [batch[0], *batch[1:]]
        tampered[1] = {**tampered[1], "data": {**tampered[1]["data"], "forged": True}}
        code, out = await offline(orjson.dumps(tampered))
        assert code == 1 and tampered[1]["id"] in out, out
    if_org = orjson.loads((await gateway.get("/v1/audit/exports", params={"org": branch},
                                             headers=admin_headers)).content)
    assert any(e["streamid"] == branch for e in if_org[1:])

    for bad in ({}, {"stream": member, "org": branch}, {"recorded_from": "2026-12-01T00:00:00Z",
                                                        "recorded_to": "2026-11-01T00:00:00Z"}):
        refused = await gateway.get("/v1/audit/exports", params=bad, headers=admin_headers)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_fork_is_named(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    auditlog_db: asyncpg.Pool, pinned_key: str, tmp_path: Path,
) -> None:
    """The log's own store rewritten: after a restart it signs another root for a size it signed before."""
    run = verifier(system, pinned_key, tmp_path / "fork-state")

    member = await _member_with_history(gateway, admin_headers)
    await _logged(gateway, admin_headers, membership_db, member)
    await run()  # whatever the earlier tests left, this head is now the one trusted
    trusted = (await gateway.get("/v1/audit/tree-heads/latest")).json()
    original = await auditlog_db.fetchval("SELECT leaf_hash FROM log_entries WHERE idx = 0")
    await _restart_auditlog(system, gateway, lambda: auditlog_db.execute(
        "UPDATE log_entries SET leaf_hash = sha256(leaf_hash) WHERE idx = 0"))
    try:
        code, out = await run()
        assert code == 1, out
        assert "fork" in out or "not consistent with the trusted" in out, out
        heads = (await gateway.get("/v1/audit/tree-heads", params={"size": trusted["size"]})).json()["heads"]
        if len({h["root_hash"] for h in heads}) > 1:  # no event arrived meanwhile: two roots for one size
            assert "fork" in out
    finally:
        await _restart_auditlog(system, gateway, lambda: auditlog_db.execute(
            "UPDATE log_entries SET leaf_hash = $1 WHERE idx = 0", original))


@asynccontextmanager
async def _frozen_head_proxy(upstream: str, frozen: dict[str, Any]) -> AsyncIterator[str]:
    """A lying gateway in front of the real one (the review's frozen_proxy.py): everything is forwarded — the
    request for a fresh head still answers 201 — but the latest head is always ``frozen``."""
    async with httpx.AsyncClient(base_url=upstream, timeout=60) as client:
        async def forward(request: web.Request) -> web.Response:
            if request.path == "/v1/audit/tree-heads/latest":
                return web.json_response(frozen)
            answer = await client.request(
                request.method, request.path, params=list(request.query.items()), content=await request.read(),
                headers={k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")})
            return web.Response(body=answer.content, status=answer.status_code,
                                headers={"Content-Type": answer.headers.get("content-type", "application/json")})

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


async def test_a_tree_head_frozen_by_a_lying_proxy_is_refused(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    pinned_key: str, tmp_path: Path,
) -> None:
    """Asked for a fresh head, the auditor is served the one it trusted before: everything logged since would go
    unchecked. On one machine the clocks agree, so no allowance for them is needed (``--max-clock-skew 0``)."""
    state = tmp_path / "state"

    def run(url: str) -> Awaitable[tuple[int, str]]:
        return auditor(pinned_key, state, "verify", "--url", url, "--token", system.admin_token,
                       "--max-clock-skew", "0")

    code, out = await run(f"http://127.0.0.1:{system.gateway_port}")
    assert code == 0, out  # an honest log's fresh head is no older than the request for it
    [trusted] = [json.loads(p.read_text()) for p in state.glob("trusted-head-*.json")]
    member = await _member_with_history(gateway, admin_headers)
    await _logged(gateway, admin_headers, membership_db, member)
    async with _frozen_head_proxy(f"http://127.0.0.1:{system.gateway_port}", trusted) as lying:
        code, out = await run(lying)
    assert code == 1, out
    assert "stale tree head" in out, out


async def _restart_auditlog(system: Settings, gateway: httpx.AsyncClient,
                            while_stopped: Callable[[], Awaitable[Any]]) -> None:
    supervisor.stop_app(system, "auditlog")
    await while_stopped()
    supervisor.start_app(get_process("auditlog", system), system)

    async def loaded() -> bool:
        return (await gateway.get("/v1/audit/keys")).status_code == 200

    await eventually(loaded, what="the audit log loaded again")


@pytest.mark.leaves_evidence
async def test_records_forged_on_kafka_are_named(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    verify: Verify,
) -> None:
    """Someone with write access to an event topic: a forged copy of a logged event (same id, other content) and
    an invented event (a new id) that no store ever held. Evidence stays in the log: this test runs last."""
    member = await _member_with_history(gateway, admin_headers)
    rows = await _logged(gateway, admin_headers, membership_db, member)
    assert (await verify())[0] == 0
    topic = "gb.membership.events"
    consumer_headers = await _kafka_headers_of(system, topic, str(rows[0]["event_id"]))
    copy = [(k, v) for k, v in consumer_headers]
    invented_id = str(uuid.uuid4())
    invented = [(k, invented_id.encode() if k == "ce_id" else v) for k, v in consumer_headers]
    forged_value = orjson.dumps({**orjson.loads(rows[0]["data"]), "forged": True})
    producer = event_producer(system, "test-forger")
    await producer.start()
    try:
        await producer.send_and_wait(topic, forged_value, key=member.encode(), headers=copy)
        await producer.send_and_wait(topic, forged_value, key=member.encode(), headers=invented)
    finally:
        await producer.stop()

    async def both_seen() -> bool:
        conflicts = (await gateway.get("/v1/audit/conflicts", headers=admin_headers)).json()["conflicts"]
        answer = await gateway.get("/v1/audit/proofs/inclusion", params={"event_id": invented_id},
                                   headers=admin_headers)
        return any(c["event_id"] == str(rows[0]["event_id"]) for c in conflicts) and answer.status_code == 200

    await eventually(both_seen, what="the forged records at the log")
    code, out = await verify()
    assert code == 1, out
    assert invented_id in out and "injected on Kafka" in out
    assert f"names /golden-bridge/membership event {rows[0]['event_id']}, already logged with other content" in out


async def _forge(db: asyncpg.Pool, after: asyncpg.Record, **columns: Any) -> uuid.UUID:
    """An event put straight into the store after ``after`` (a copy of it, as the next version, its chain hash
    right), with no outbox row: it never reaches Kafka or the log."""
    event_id = uuid.uuid4()
    link = chain_hash(bytes(after["hash"]), event_id=event_id, stream_id=after["stream_id"],
                      version=after["version"] + 1, type=after["type"], time=after["occurred_at"],
                      actor=after["actor"], data=after["data"].encode())
    values = {"event_id": event_id, "stream_id": after["stream_id"], "stream_type": after["stream_type"],
              "version": after["version"] + 1, "type": after["type"], "data": after["data"],
              "occurred_at": after["occurred_at"], "actor": after["actor"], "correlation_id": str(uuid.uuid4()),
              "prev_hash": bytes(after["hash"]), "hash": link, **columns}
    await db.execute(f"INSERT INTO events ({', '.join(values)}) VALUES "
                     f"({', '.join(f'${i + 1}' for i in range(len(values)))})", *values.values())
    return event_id


@pytest.mark.leaves_evidence
async def test_events_stored_without_being_logged_are_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, verify: Verify,
) -> None:
    """The review's forge_unlogged.py: an event put into a member's record without being logged, then a command
    logged on top of it, chained onto it; and another record's last event forged and dated an hour back. Neither
    passes as "newer than the head". The first stays for good (the logged command links to it): this test runs
    last."""
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member, other = [(await gateway.post("/v1/members", json=member_body(branch), headers=admin_headers)).json()["id"]
                     for _ in range(2)]
    forged = await _forge(membership_db, (await _logged(gateway, admin_headers, membership_db, member))[-1])
    answer = await gateway.post(f"/v1/members/{member}/outflows", json=outflow_body(), headers=admin_headers)
    assert answer.status_code == 201, answer.text
    on_top = await membership_db.fetchval("SELECT event_id FROM events WHERE stream_id = $1 ORDER BY version DESC"
                                          " LIMIT 1", member)

    async def logged() -> bool:
        answer = await gateway.get("/v1/audit/proofs/inclusion", params={"event_id": str(on_top)},
                                   headers=admin_headers)
        return answer.status_code == 200

    await eventually(logged, what="the command on top of the forged event in the log")
    backdated = await _forge(membership_db, (await _logged(gateway, admin_headers, membership_db, other))[-1],
                             recorded_at=await membership_db.fetchval("SELECT now() - interval '1 hour'"))
    try:
        code, out = await verify()
        assert code == 1, out
        assert f"event {forged} " in out and "a later version of its record is" in out, out
        assert f"event {backdated} " in out and "before the tree head" in out, out
    finally:
        await membership_db.execute("DELETE FROM events WHERE event_id = $1", backdated)


async def _kafka_headers_of(system: Settings, topic: str, event_id: str) -> list[tuple[str, bytes]]:
    from services.kernel.kafka import event_consumer, topic_partitions

    consumer = event_consumer(system, "test-forger-read")
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for record in records:
                    headers = list(record.headers)
                    if dict(headers).get("ce_id") == event_id.encode():
                        return headers
            positions = {tp: await consumer.position(tp) for tp in partitions}
            assert any(positions[tp] < ends[tp] for tp in partitions), f"{event_id} is not on {topic}"
    finally:
        await consumer.stop()
