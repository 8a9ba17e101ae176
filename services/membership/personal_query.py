"""The one read of personal data in clear: membership opens a person's envelopes for those who may see them.

Everyone else — read models, partners, Kafka readers — holds masked forms only. This route (forwarded by
the gateway as ``GET /v1/members/{member_id}/personal-data``) reads the person's own events from the store,
opens the sealed envelopes with their data key and answers with the latest number and contact. After
erasure the key is gone and the answer is 410.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.kernel.command_api import ActorDep, StoreDep
from services.kernel.events import decode
from services.membership.access import require_member_reach
from services.membership.contract.events.common import Contact
from services.membership.contract.events.personal import SealedPersonalData
from services.membership.personal_data import Erased
from services.membership.vault import vault
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter()

#: Events whose data holds a person's personal fields: sealed (v2) or, recorded before sealing, in clear (v1).
SEALED = frozenset({"gb.membership.member_registered.v2", "gb.membership.inflow_registered.v2",
                    "gb.membership.application_submitted.v2", "gb.membership.outflow_registered.v2"})
CLEAR = frozenset({"gb.membership.member_registered.v1", "gb.membership.inflow_registered.v1",
                   "gb.membership.application_submitted.v1", "gb.membership.outflow_registered.v1"})
ERASED = "gb.membership.personal_data_erased.v1"
#: Who may read personal data in clear: county and township staff, and the person themselves — each within
#: their scope (a township: its own township's people; services/membership/access.py).
READERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.MEMBER)


class PersonalData(BaseModel):
    """A person's personal data in clear, as last recorded."""

    member_id: str
    national_id: str | None = Field(None, description="The resident ID number (None when none was given).")
    contact: Contact | None = Field(None, description="The latest contact recorded (registration or outflow).")


def require_reader(actor: Actor, member_id: str) -> None:
    if actor.role not in READERS:
        raise Forbidden("only county and township staff, and the member themself, read personal data in clear")
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member reads only their own personal data")


@router.get("/members/{member_id}/personal-data", response_model=PersonalData)
async def personal_data(member_id: str, actor: ActorDep, store: StoreDep) -> PersonalData:
    """A person's national ID number and latest contact, decrypted; 410 once they were erased."""
    require_reader(actor, member_id)
    await require_member_reach(store, actor, member_id, "read the personal data of this person")
    rows = await store.pool.fetch(
        "SELECT type, data FROM events WHERE stream_id = $1 AND type = ANY($2::text[]) ORDER BY version",
        member_id, [*SEALED, *CLEAR, ERASED])
    if any(r["type"] == ERASED for r in rows):
        raise Erased(f"the personal data of {member_id} was erased; it cannot be read", member_id=member_id)
    if not rows:
        raise NotFound(f"no personal data of {member_id} is recorded")
    found: dict[str, Any] = {}
    keys = vault(store.pool)
    for row in rows:
        data = decode(row["data"])
        if row["type"] in SEALED and data.get("personal"):
            record = await keys.open(member_id, SealedPersonalData(**data["personal"]))
        elif row["type"] in CLEAR:
            record = {k: data[k] for k in ("national_id", "contact") if data.get(k)}
        else:
            continue
        found.update(record)
    contact = found.get("contact")
    return PersonalData(member_id=member_id, national_id=found.get("national_id"),
                        contact=Contact(**contact) if contact else None)
