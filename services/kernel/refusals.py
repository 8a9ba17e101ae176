"""Values PostgreSQL refuses as data: how the live runner and the rebuild tell them, and set the events aside.

One event whose value PostgreSQL refuses — a NUL in text, an exponent past ``numeric``'s range, a number past
``integer``'s — would fail its batch on every try and stop its partition (live) or the whole rebuild for good. Both
then apply that batch again event by event, each in a savepoint (services/kernel/projection.py ``run_each``), and set
the events refused aside here, in the schema's ``dead_letters``: the record as it came, with PostgreSQL's reason, for
someone to mend and send again. One classification and one way of setting aside, so a rebuild's ``dead_letters`` and
read models equal the live runner's (tests/integration/test_rebuild_refused_values.py).
"""

from __future__ import annotations

import logging

import asyncpg
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kernel import logs
from services.kernel.events import Envelope

log = logging.getLogger("projection")

#: A value refused as data, by PostgreSQL or by asyncpg before it is sent (a number past ``integer``'s range), as
#: statements sent by execute or executemany raise it: what an event's statements, run on their own, are judged by.
REFUSED = asyncpg.DataError
#: The same refusals as a COPY raises them (services/kernel/bulk.py): there asyncpg's binary encoders raise their
#: own errors — OverflowError for a number past ``integer``, decimal.InvalidOperation, TypeError — which a prepared
#: statement reports as a DataError. Judges a rebuild's set-based batch only: its events are then run again one by
#: one and judged by REFUSED, so an error of another kind caught here is raised again, not set aside.
REFUSED_BY_COPY = (asyncpg.DataError, ArithmeticError, TypeError, ValueError)


def batch_refused(tp: TopicPartition, first_offset: int, exc: BaseException) -> None:
    """Log that the batch of ``tp`` from ``first_offset`` is to be applied again event by event."""
    # The class and SQLSTATE only: PostgreSQL's message may quote the value refused (a person's data).
    log.warning("%s[%d]: PostgreSQL refused a value in the batch from offset %d (%s, SQLSTATE %s); applying it again "
                "event by event to set aside the events it refuses", tp.topic, tp.partition, first_offset,
                type(exc).__name__, getattr(exc, "sqlstate", None))


async def dead_letter(conn: asyncpg.Connection, q: str, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
    """Keep ``record`` as it came, with ``reason``, in the ``dead_letters`` of schema ``q`` (quoted)."""
    await conn.execute(
        f'INSERT INTO {q}.dead_letters (topic, partition, "offset", reason, key, value)'
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        record.topic, record.partition, record.offset, reason, record.key, record.value,
    )


async def set_aside(conn: asyncpg.Connection, q: str, record: ConsumerRecord[bytes, bytes], env: Envelope,
                    exc: asyncpg.DataError) -> None:
    """An event PostgreSQL refused a value of: kept in ``dead_letters`` (the record as it came, with the reason)
    for someone to mend and re-drive; loud, as the read models now lack it."""
    event = f"{env.type} of {env.stream_id} v{env.stream_version} (position {env.position})"
    with logs.correlated(env.correlation_id):
        # The log names the refusal by class and SQLSTATE only: PostgreSQL's message may quote the value (a
        # person's data), which stays in the table beside the event's own bytes.
        log.error("dead letter %s[%d]@%d: %s refused by PostgreSQL (%s, SQLSTATE %s) — the read models lack "
                  "this event until it is mended and sent again", record.topic, record.partition, record.offset,
                  event, type(exc).__name__, exc.sqlstate)
    await dead_letter(conn, q, record, f"{event} refused by PostgreSQL: {type(exc).__name__}: {exc}"[:2000])
