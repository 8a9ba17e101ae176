"""Membership's key table: each person's data key (wrapped), sealing and opening their data, the ID numbers' keys.

The keys live in membership's own database (gb_membership) beside its event store and nowhere else;
services/membership/personal_data.py holds the cryptography and explains the hierarchy. A registered ID
number is held as the reservation ``national-id:<keyed hash>`` of its person's stream, claimed by the
registration's own append (docs/decisions/cross-record-rules.md): the number itself is never stored.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.membership import personal_data
from services.membership.contract import personal_data_schema
from services.membership.contract.events.personal import SealedPersonalData
from services.membership.personal_data import Erased, Keys
from services.pure.errors import NotFound

#: Events of the time before sealing, whose national ID numbers are indexed when the service starts.
LEGACY_REGISTRATIONS = ("gb.membership.member_registered.v1", "gb.membership.inflow_registered.v1")
#: The reservation a person's stream holds for their ID number: this prefix and the number's keyed hash in hex.
NATIONAL_ID = "national-id:"


@functools.cache
def keys() -> Keys:
    """The keys derived from GB_MEMBERSHIP_MASTER_KEY (read once per process)."""
    return personal_data.load_keys()


async def install(pool: asyncpg.Pool) -> None:
    """Refuse to start without a usable master key (naming the variable), create the key table (moving the ID
    numbers' keys of earlier versions into reservations) and, on the first start only, reserve the national ID
    numbers of registrations recorded before sealing (their events keep them in clear)."""
    index_key = keys()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_membership_person_keys'))")
        await conn.execute(personal_data_schema())
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM legacy_registrations_indexed)"):
            return  # done on an earlier start: no registration in clear is ever recorded again
        rows = await conn.fetch(
            "SELECT e.stream_id, e.data::jsonb ->> 'national_id' AS number FROM events e"
            " WHERE e.type = ANY($1::text[]) AND NOT EXISTS"
            " (SELECT 1 FROM person_keys k WHERE k.person_id = e.stream_id AND k.erased_at IS NOT NULL)",
            list(LEGACY_REGISTRATIONS))
        await conn.executemany(
            "INSERT INTO reservations (key, holder) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(national_id_key(index_key, r["number"]), r["stream_id"]) for r in rows if r["number"]])
        await conn.execute("INSERT INTO legacy_registrations_indexed DEFAULT VALUES")


@dataclass(frozen=True)
class Vault:
    pool: asyncpg.Pool
    keys: Keys

    async def _data_key(self, person_id: str, *, create: bool) -> tuple[str, bytes]:
        if create:
            await self.pool.execute(
                "INSERT INTO person_keys (person_id, key_id, wrapped_key) VALUES ($1, $2, $3)"
                " ON CONFLICT (person_id) DO NOTHING",
                person_id, uuid.uuid4(), personal_data.wrap(self.keys, personal_data.new_data_key()))
        row = await self.pool.fetchrow("SELECT key_id, wrapped_key FROM person_keys WHERE person_id = $1", person_id)
        if row is None:
            raise NotFound(f"nothing personal of {person_id} was ever sealed")
        if row["wrapped_key"] is None:
            raise Erased(f"the personal data of {person_id} was erased; it cannot be read, and nothing personal "
                         "is recorded for them again", member_id=person_id)
        return str(row["key_id"]), personal_data.unwrap(self.keys, row["wrapped_key"])

    async def seal(self, person_id: str, record: Mapping[str, Any]) -> SealedPersonalData:
        """``record`` sealed with the person's data key (made on their first sealing)."""
        key_id, key = await self._data_key(person_id, create=True)
        return personal_data.seal(key, key_id=key_id, person_id=person_id, record=record)

    async def open(self, person_id: str, sealed: SealedPersonalData) -> dict[str, Any]:
        """The record inside ``sealed``; ``Erased`` (410) once the person's key is destroyed."""
        _, key = await self._data_key(person_id, create=False)
        return personal_data.open_sealed(key, person_id=person_id, sealed=sealed)

    async def key_id(self, person_id: str) -> str | None:
        """The id of the person's data key (None when nothing of theirs was ever sealed)."""
        found = await self.pool.fetchval("SELECT key_id FROM person_keys WHERE person_id = $1", person_id)
        return str(found) if found else None

    def national_id_key(self, national_id: str) -> str:
        """The reservation that holds ``national_id`` for one person (its keyed hash, never the number)."""
        return national_id_key(self.keys, national_id)

    async def national_id_holder(self, key: str) -> str | None:
        """The person whose stream holds the ID number's reservation ``key``, if anyone's does."""
        holder: str | None = await self.pool.fetchval("SELECT holder FROM reservations WHERE key = $1", key)
        return holder


def national_id_key(keys: Keys, national_id: str) -> str:
    return NATIONAL_ID + personal_data.national_id_hash(keys, national_id).hex()


def vault(pool: asyncpg.Pool) -> Vault:
    return Vault(pool, keys())
