"""A rebuild (services/kernel/rebuild.py) over events whose values PostgreSQL refuses (a NUL in text, a number past
``integer``), recorded before the edge refused them, on the real Kafka and PostgreSQL of ``./gb test``: it completes,
sets them aside in ``dead_letters`` with the reason, applies the events before and after them, and equals the live
runner (tests/integration/test_projection_refused_values.py) row for row — whether the refusal came from a COPY's
encoder or from PostgreSQL, and on the batches its lane writes after the one refused."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from services.kernel.events import Envelope, encode
from services.kernel.kafka import event_consumer
from services.kernel.projection import Op, Projection
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.rebuild import Rebuild
from services.kernel.settings import Settings
from tests.integration import test_projection_refused_values as refusals
from tests.integration import test_rebuild as notes
from tests.integration.test_projection_refused_values import Named

#: One partition: the refused events' neighbours are in the same batch (test_projection_refused_values.py).
topic = refusals.topic


async def _live_and_rebuilt(pool: asyncpg.Pool, settings: Settings, topic: str, projection: Projection,
                            sends: list[Envelope], *, batch: int = 5000) -> tuple[Rebuild, str, str]:
    """``sends`` on ``topic``, projected by the live runner and by a rebuild (one lane, batches of ``batch``), each
    into a fresh schema; the rebuild (run to its end) and the two schemas."""
    await refusals.publish(settings, topic, sends)
    live, rebuilt = f"live_{uuid.uuid4().hex[:8]}", f"rebuilt_{uuid.uuid4().hex[:8]}"
    runner = ProjectionRunner(pool, event_consumer(settings, "gb-test-live"), projection, [topic], schema=live)
    await runner.start()
    try:
        await refusals.project_live(runner, len(sends))
    finally:
        await runner.stop()
    build = Rebuild(settings.dsn("kernel_test"), event_consumer(settings, "gb-test-rebuild"), projection, [topic],
                    schema=rebuilt, lanes=1, batch=batch)
    assert await build.run(asyncio.Event()) is True
    assert build.dead_lettered == runner.dead_lettered
    return build, live, rebuilt


@pytest.mark.parametrize("past_int4", [False, True], ids=["refused by PostgreSQL", "refused by COPY's encoder"])
async def test_a_rebuild_sets_aside_the_events_postgresql_refuses_and_applies_the_rest(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str, past_int4: bool,
        caplog: pytest.LogCaptureFixture) -> None:
    # Enough events that each read model's run goes by COPY (services/kernel/bulk.py MIN_COPY_ROWS).
    before = [refusals.envelope(f"before{i}", 1, 1 + i, Named(n=1, name="fine")) for i in range(12)]
    refused = [
        refusals.envelope("nul", 1, 13, Named(n=1, name="a\x00b")),  # invalid byte sequence for encoding "UTF8": 0x00
        refusals.envelope("nul", 2, 14, Named(n=2, name="mended")),
        # Past int4: a COPY's encoder raises OverflowError, before the NUL reaches PostgreSQL.
        refusals.envelope("big", 1, 15, Named(n=2**31 if past_int4 else 7, name="x")),
    ]
    after = [refusals.envelope(f"after{i}", 1, 16 + i, Named(n=1, name="fine too")) for i in range(12)]
    sends = before + refused + after
    with caplog.at_level(logging.INFO, logger="projection"):
        build, live, rebuilt = await _live_and_rebuilt(kernel_pool, settings, topic, refusals.PROJECTION, sends)
    try:
        q = f'"{rebuilt}"'
        names = {tuple(r) for r in await kernel_pool.fetch(f"SELECT stream, n, name FROM {q}.names")}
        assert names == {*((f"before{i}", 1, "fine") for i in range(12)), ("nul", 2, "mended"),
                         *((f"after{i}", 1, "fine too") for i in range(12)), *([] if past_int4 else [("big", 7, "x")])}
        letters = await kernel_pool.fetch(f'SELECT "offset", reason, key, value FROM {q}.dead_letters ORDER BY 1')
        assert [(r["offset"], r["key"], r["value"]) for r in letters] == [
            (12, b"nul", refused[0].data), *([(14, b"big", refused[2].data)] if past_int4 else [])]
        assert "CharacterNotInRepertoireError" in letters[0]["reason"]
        assert "nul v1 (position 13)" in letters[0]["reason"]
        assert not past_int4 or ("DataError" in letters[1]["reason"] and "int32" in letters[1]["reason"])
        assert build.dead_lettered == 1 + past_int4
        assert await kernel_pool.fetchval(f"SELECT next_offset FROM {q}.projection_checkpoints") == len(sends)
        # Passed, as the live runner passes them: their streams go on, a read waiting for them is answered.
        assert await kernel_pool.fetchval(f"SELECT version FROM {q}.projected_streams WHERE stream_id = 'nul'") == 2
        assert await kernel_pool.fetchval(f"SELECT count(*) FROM {q}.applied_events") == len(sends)
        assert await notes._tables(kernel_pool, rebuilt) == await notes._tables(kernel_pool, live)
        reports = [m for r in caplog.records if (m := r.getMessage()).startswith(f"rebuild into schema {rebuilt}: ")
                   and " events/s, " in m]
        assert reports[-1].endswith(f", {1 + past_int4} set aside as refused by PostgreSQL")  # the final one
    finally:
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE; DROP SCHEMA IF EXISTS "{rebuilt}" CASCADE')


def _notes_last(q: str, env: Envelope, event: Any) -> list[Op]:
    """test_rebuild.py's statements, the one refusing every value of ours last: a refused batch has made its lane's
    staging tables by then."""
    ops = notes._apply(q, env, event)
    return ops[1:] + ops[:1]


@pytest.mark.parametrize("refused_batch", [1, 2])
async def test_the_batches_after_a_refused_one_are_written_set_based_again(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str, refused_batch: int) -> None:
    """Every kind of statement Bulk tells apart (test_rebuild.py), in batches of 50, one of them refused and written
    event by event: the lane's staging tables, made in it (the first) or before it (the second), are made again for
    the batches after it."""
    sends = [notes.envelope(f"s{s}", version, 40 * (version - 1) + s + 1) for version in range(1, 6) for s in range(40)]
    for at, event in ((5, notes.Noted(n=1, tag="a\x00b")), (25, notes.Noted(n=2**31, tag="t"))):
        at += 50 * (refused_batch - 1)
        sends[at] = notes.envelope(sends[at].stream_id, sends[at].stream_version, at + 1, data=encode(event))
    projection = replace(notes.PROJECTION, name="rebuild-refusal-test", apply=_notes_last)
    build, live, rebuilt = await _live_and_rebuilt(kernel_pool, settings, topic, projection, sends, batch=50)
    try:
        expected = await notes._tables(kernel_pool, live)
        assert len(expected["notes"]) == 198 and len(expected["dead_letters"]) == 2
        assert await notes._tables(kernel_pool, rebuilt) == expected
        assert (build.applied, build.dead_lettered) == (200, 2)
    finally:
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE; DROP SCHEMA IF EXISTS "{rebuilt}" CASCADE')
