"""Who reaches which record: the one rule every read and write applies, pure.

A record has a place: its organisation, the township that organisation belongs to, the host
organisations it was reported or transferred to, and the people it is about. A role reaches a place:

| Role | Reaches |
|---|---|
| county_admin | every place |
| township_committee | places whose organisation is its township or belongs to it |
| branch_secretary | places of its own organisation |
| host_organisation | places of its own organisation, and records reported or transferred to it |
| member | records about themselves |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a record sits, as far as access goes."""

    org_id: str | None = None
    township_id: str | None = None
    host_org_ids: frozenset[str] = field(default_factory=frozenset)
    person_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, org_id: str | None, township_id: str | None, *, hosts: Iterable[str] = (),
           people: Iterable[str] = ()) -> Place:
        return cls(org_id=org_id, township_id=township_id, host_org_ids=frozenset(h for h in hosts if h),
                   person_ids=frozenset(p for p in people if p))


def reaches(actor: Actor, place: Place) -> bool:
    """Whether ``actor`` may act on or read a record at ``place``."""
    match actor.role:
        case Role.COUNTY_ADMIN:
            return True
        case Role.TOWNSHIP_COMMITTEE:
            return actor.org_id is not None and actor.org_id in (place.township_id, place.org_id)
        case Role.BRANCH_SECRETARY:
            return actor.org_id is not None and actor.org_id == place.org_id
        case Role.HOST_ORGANISATION:
            return actor.org_id is not None and (actor.org_id == place.org_id or actor.org_id in place.host_org_ids)
        case Role.MEMBER:
            return actor.subject in place.person_ids
    return False


def require_reach(actor: Actor, place: Place, action: str) -> None:
    """Refuse (403) an actor who does not reach the record's place, saying whose records they reach."""
    if reaches(actor, place):
        return
    whose = {
        Role.TOWNSHIP_COMMITTEE: f"the records of township {actor.org_id}",
        Role.BRANCH_SECRETARY: f"the records of organisation {actor.org_id}",
        Role.HOST_ORGANISATION: f"organisation {actor.org_id} and the members reported or transferred to it",
        Role.MEMBER: "your own record",
    }.get(actor.role, "nothing here")
    raise Forbidden(f"{actor.label} cannot {action} here: your token reaches {whose}")
