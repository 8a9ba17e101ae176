"""Forgetting a person, as the erasure trigger and a restore both do it: ``gb_forget_person`` destroys the key (or
leaves a tombstone where there was none), releases the ID number and drops the earlier retry records, and doing it
again changes nothing.

A restore calls it for each erasure Kafka holds from after its backup (infra/erasures.py), so it must act the same on
a person whose key the backup still holds, on one it never held a row of, and on one already forgotten. The SQL is
membership's own (personal_data.sql), read as the service reads it; the store is the kernel's. When the restore
cannot apply them (Kafka lost or unreachable), it says so and what to do; a store of an earlier version gets the
function first.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from infra import erasures
from services.kernel.settings import Settings
from services.kernel.store import EventStore
from tests.integration.notes import PERSONAL_DATA_SQL, Erased, Noted, erasable_notes, meta

FORGET = "SELECT gb_forget_person($1, $2, $3)"
ERASED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore[Noted | Erased]]:
    async with erasable_notes(settings, "forget_person") as notes:
        await notes.pool.execute(PERSONAL_DATA_SQL)
        yield notes


async def _person(store: EventStore[Noted | Erased], person: str) -> int:
    """A registered person as the vault keeps them: a live key, their ID number's reservation, a retry record; the
    position of their last event."""
    await store.pool.execute("INSERT INTO person_keys (person_id, key_id, wrapped_key) VALUES ($1, $2, $3)",
                             person, uuid.uuid4(), b"\x01" * 40)
    await store.pool.execute("INSERT INTO reservations (key, holder) VALUES ($1, $2)",
                             f"national-id:{uuid.uuid4().hex}", person)
    done = await store.append(await store.load(person), "member", [Noted(text="registered")],
                              meta(key=f"bob:{person}"))
    return done.last_position


async def _state(pool: asyncpg.Pool, person: str) -> tuple[tuple[Any, ...] | None, int, int]:
    """The person's key row (key id, wrapped key, erased at), their reserved ID numbers, their retry records."""
    key = await pool.fetchrow("SELECT key_id, wrapped_key, erased_at FROM person_keys WHERE person_id = $1", person)
    reserved = await pool.fetchval("SELECT count(*) FROM reservations WHERE holder = $1", person)
    retries = await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE stream_id = $1", person)
    return (None if key is None else tuple(key), reserved, retries)


async def test_forgetting_a_person_destroys_their_key_releases_their_number_and_drops_their_retry_records(
    store: EventStore[Noted | Erased],
) -> None:
    pool = store.pool
    last = await _person(store, "person-1")
    await _person(store, "person-2")

    assert await pool.fetchval(FORGET, "person-1", last + 10, ERASED_AT) is True

    key = await pool.fetchrow("SELECT key_id, wrapped_key, erased_at FROM person_keys WHERE person_id = 'person-1'")
    assert key["key_id"] is not None and key["wrapped_key"] is None and key["erased_at"] == ERASED_AT
    assert (await _state(pool, "person-1"))[1:] == (0, 0)
    # Nobody else is touched.
    other = await _state(pool, "person-2")
    assert other[0] is not None and other[0][1] is not None and other[1:] == (1, 1)


async def test_forgetting_a_person_the_store_holds_no_key_of_leaves_a_tombstone(
    store: EventStore[Noted | Erased],
) -> None:
    pool = store.pool

    assert await pool.fetchval(FORGET, "never-sealed", 7, ERASED_AT) is True

    key = await pool.fetchrow("SELECT key_id, wrapped_key, erased_at FROM person_keys WHERE person_id = 'never-sealed'")
    assert key is not None and key["key_id"] is not None and key["wrapped_key"] is None
    assert key["erased_at"] == ERASED_AT
    # The vault makes a key with ON CONFLICT DO NOTHING: the tombstone stays, no key is ever made for them again.
    await pool.execute("INSERT INTO person_keys (person_id, key_id, wrapped_key) VALUES ('never-sealed', $1, $2)"
                       " ON CONFLICT (person_id) DO NOTHING", uuid.uuid4(), b"\x02" * 40)
    assert await pool.fetchval("SELECT wrapped_key FROM person_keys WHERE person_id = 'never-sealed'") is None


async def test_forgetting_a_person_twice_changes_nothing_the_second_time(store: EventStore[Noted | Erased]) -> None:
    pool = store.pool
    last = await _person(store, "person-1")
    assert await pool.fetchval(FORGET, "person-1", last + 1, ERASED_AT) is True
    forgotten = await _state(pool, "person-1")

    assert await pool.fetchval(FORGET, "person-1", last + 1, ERASED_AT + timedelta(days=1)) is False

    assert await _state(pool, "person-1") == forgotten, "the first erasure's time and tombstone stay"


async def test_an_erasure_repeated_after_a_restore_forgot_the_person_keeps_the_first_tombstone(
    store: EventStore[Noted | Erased],
) -> None:
    """The county repeats an erasure the restored store has no event of: the trigger forgets again, harmlessly."""
    pool = store.pool
    last = await _person(store, "person-1")
    assert await pool.fetchval(FORGET, "person-1", last + 1, ERASED_AT) is True
    forgotten = await _state(pool, "person-1")

    await store.append(await store.load("person-1"), "member", [Erased(reason="PIPL, repeated")],
                       meta(key="alice:erase"))

    key, reserved, retries = await _state(pool, "person-1")
    assert key == forgotten[0] and reserved == 0
    assert retries == 1, "only the erasure's own retry record"


#: A backup whose membership store ends far beyond anything Kafka holds: as after Kafka was lost too.
AHEAD_OF_KAFKA = {"membership": {"topic": "gb.membership.events", "last_position": 10**15}}


async def test_a_restore_whose_kafka_lacks_the_backups_events_says_the_erasures_since_must_be_repeated(
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="infra"):
        assert erasures.reapply(settings, AHEAD_OF_KAFKA) is False
    assert "erasures recorded since the backup could NOT be read" in caplog.text
    assert "Kafka was lost too" in caplog.text and "--erasures-from FILE" in caplog.text


async def test_a_restore_that_cannot_read_kafka_says_the_erasures_since_must_be_repeated(
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = dataclasses.replace(settings, kafka_bootstrap="127.0.0.1:9")
    with caplog.at_level(logging.ERROR, logger="infra"):
        assert erasures.reapply(unreachable, AHEAD_OF_KAFKA) is False
    assert "erasures recorded since the backup could NOT be read" in caplog.text
    assert "could not be read" in caplog.text and "--erasures-from FILE" in caplog.text


async def test_persons_the_operator_lists_are_forgotten_when_kafka_lost_the_erasures(
    settings: Settings, store: EventStore[Noted | Erased], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Kafka lost membership's events: the persons named with --erasures-from are forgotten all the same."""
    await _person(store, "person-1")
    await _person(store, "person-2")
    dsn = Settings.dsn  # the restored membership store is this test's
    monkeypatch.setattr(Settings, "dsn", lambda s, db: dsn(s, "forget_person" if db == "membership" else db))
    with caplog.at_level(logging.WARNING, logger="infra"):
        assert erasures.reapply(settings, AHEAD_OF_KAFKA, ["person-1"]) is True
    assert "only the persons listed in --erasures-from are forgotten" in caplog.text
    key, reserved, retries = await _state(store.pool, "person-1")
    assert key is not None and key[1] is None and key[2] is not None, "the key destroyed, the erasure's time kept"
    assert (reserved, retries) == (0, 0)
    key, reserved, retries = await _state(store.pool, "person-2")
    assert key is not None and key[1] is not None and (reserved, retries) == (1, 1), "a person not listed is kept"


async def test_an_empty_list_is_the_operators_word_that_no_one_was_erased_since_the_backup(
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = dataclasses.replace(settings, kafka_bootstrap="127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="infra"):
        assert erasures.reapply(unreachable, AHEAD_OF_KAFKA, []) is True
    assert "lists no person" in caplog.text


async def test_a_store_restored_from_a_backup_of_an_earlier_version_gets_the_function_and_forgets(
    settings: Settings, store: EventStore[Noted | Erased],
) -> None:
    # An earlier version's store: the erasure trigger forgot with statements of its own, no gb_forget_person.
    await store.pool.execute("""
        CREATE OR REPLACE FUNCTION gb_personal_data_erased() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE person_keys SET wrapped_key = NULL, erased_at = now() WHERE person_id = NEW.stream_id;
            RETURN NULL;
        END;
        $$;
        DROP FUNCTION gb_forget_person(text, bigint, timestamptz);
    """)
    last = await _person(store, "person-1")
    erasure = erasures.Erasure(event_id=str(uuid.uuid4()), person_id="person-1", position=last + 10,
                               recorded_at=ERASED_AT)
    assert await erasures.forget(settings.dsn("forget_person"), [erasure]) == 1
    key, reserved, retries = await _state(store.pool, "person-1")
    assert key is not None and key[1] is None and key[2] == ERASED_AT and (reserved, retries) == (0, 0)