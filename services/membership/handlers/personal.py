"""The edge of personal data: validate, seal with the person's own key, mask — before any rule runs.

Commands arrive with national ID numbers and contacts in clear (from the gateway, over the internal
API; commands are never stored). Here they are sealed with the person's data key; the rules get the
sealed envelope, the masked forms and the facts they need (the birth date an ID number encodes), and
the commands they get carry the masked forms only. So the store, Kafka and the logs see ciphertext.
"""

from __future__ import annotations

from dataclasses import asdict

from services.kernel.store import AppendResult, CommandMeta
from services.membership.contract.commands.members import ErasePersonalData
from services.membership.contract.events.common import Contact
from services.membership.contract.events.members import PersonalDataErased
from services.membership.contract.events.personal import mask_national_id, masked_contact
from services.membership.domain import erasure
from services.membership.domain.person import Person
from services.membership.domain.personal import Protected
from services.membership.domain.rules import birth_date_from_national_id
from services.membership.handlers.records import Store, on_person
from services.membership.vault import vault


async def protect(store: Store, person_id: str, *, contact: Contact, national_id: str | None = None) -> Protected:
    """Validate ``national_id`` (422 on a typo, before anything is sealed), then seal it and ``contact``."""
    number = national_id.strip().upper() if national_id is not None else None
    born = birth_date_from_national_id(number) if number is not None else None
    record = {"contact": asdict(contact), **({"national_id": number} if number else {})}
    sealed = await vault(store.pool).seal(person_id, record)
    return Protected(sealed=sealed, national_id_masked=mask_national_id(number) if number else None,
                     contact_masked=masked_contact(contact), birth_date=born)


async def erase_personal_data(store: Store, cmd: ErasePersonalData, meta: CommandMeta) -> AppendResult:
    """The county forgets a person: the event names the key, and the key table's trigger destroys that key in
    the transaction that appends it (services/membership/personal_data.sql)."""

    async def decide(person: Person) -> list[PersonalDataErased]:
        return erasure.erase(person, cmd, key_id=await vault(store.pool).key_id(cmd.member_id))

    return await on_person(store, cmd, cmd.member_id, meta, decide)
