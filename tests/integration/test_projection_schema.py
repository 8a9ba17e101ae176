"""Read models built with another definition are dropped and projected again; the same one is kept."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op, Projection, install


def _apply(q: str, env: Envelope, event: Any) -> list[Op]:
    return []


def projection(ddl: str) -> Projection:
    return Projection(name="test", ddl=ddl, registries=[], apply=_apply)


V1 = "CREATE TABLE IF NOT EXISTS {schema}.things (id text PRIMARY KEY);"
V2 = "CREATE TABLE IF NOT EXISTS {schema}.things (id text PRIMARY KEY, colour text);"


async def test_a_changed_definition_drops_the_read_models_and_their_checkpoints(kernel_pool: asyncpg.Pool) -> None:
    schema = f"proj_{uuid.uuid4().hex[:8]}"
    async with kernel_pool.acquire() as conn:
        assert await install(conn, projection(V1), schema) is False  # a new schema is not "outdated"
        await conn.execute(f'INSERT INTO "{schema}".things VALUES (\'a\')')
        await conn.execute(f'INSERT INTO "{schema}".projection_checkpoints (topic, partition, next_offset)'
                           " VALUES ('t', 0, 42)")
        assert await install(conn, projection(V1), schema) is False  # same definition: kept as it is
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".things') == 1

        assert await install(conn, projection(V2), schema) is True  # a new column: rebuild from offset 0
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".things') == 0
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".projection_checkpoints') == 0
        await conn.execute(f'INSERT INTO "{schema}".things VALUES (\'b\', \'red\')')
        assert await install(conn, projection(V2), schema) is False
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def test_read_models_from_before_the_fingerprint_are_rebuilt(kernel_pool: asyncpg.Pool) -> None:
    schema = f"proj_{uuid.uuid4().hex[:8]}"
    async with kernel_pool.acquire() as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(V1.format(schema=f'"{schema}"'))
        assert await install(conn, projection(V1), schema) is True
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
