"""Erasure (PIPL): a county decision forgets a person; the key that seals their personal data is destroyed."""

from __future__ import annotations

from services.membership.contract.commands.members import ErasePersonalData
from services.membership.contract.events.members import PersonalDataErased
from services.membership.domain.person import Person
from services.membership.domain.rules import require_roles
from services.pure.errors import DomainError, NotFound, StateConflict
from services.pure.identity import Role
from services.pure.personal_text import not_personal


def erase(state: Person, cmd: ErasePersonalData, *, key_id: str | None) -> list[PersonalDataErased]:
    """Only the county erases; a person is erased once. ``key_id``: the person's data key, destroyed with the
    event (the key table's trigger does it in the same transaction)."""
    require_roles(cmd.actor, "erase a person's personal data", Role.COUNTY_ADMIN)
    if not (state.member.exists or state.case.exists):
        raise NotFound(f"no person {cmd.member_id}: nothing to erase")
    if state.erased_on is not None:
        raise StateConflict(f"the personal data of {cmd.member_id} was already erased on {state.erased_on}")
    reason = cmd.reason.strip()
    if not reason:
        raise DomainError("reason must not be empty: say which request or decision the erasure answers")
    # The erasure event outlives the person's key: what it says of them must not identify them again.
    not_personal(reason, "reason", instead="which request or decision the erasure answers, by its reference")
    return [PersonalDataErased(member_id=cmd.member_id, erased_on=cmd.today, key_id=key_id, reason=reason,
                               actor=cmd.actor.label)]
