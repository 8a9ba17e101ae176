"""Host organisations of the Organisation aggregate: registering a host-locality Party organisation and linking
the outstation branches it guides (A: dual guidance, 双重指导 — managed at home, guided by the host).

A host is a record, not a label: the link is what the host role's scope over a branch and its members comes
from (services/membership/access.py), and the host records the organisational life it holds for them
(``domain/meetings.py``). Branches established before the link name their host in a text label only; they
keep it, and a ``HostGuidanceLinked`` links them. A host's name, locality and label are kept in clear, so none may
hold anything shaped like a phone or ID number (services/pure/personal_text.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.membership.contract.commands.branches import EstablishBranch, LinkHostGuidance, RegisterHostOrganisation
from services.membership.contract.events.branches import HostGuidanceLinked, HostOrganisationRegistered, OrgKind
from services.membership.domain.own_streams import OWN_STREAMS
from services.membership.domain.rules import require_roles
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Role
from services.pure.personal_text import not_personal
from services.pure.record_ids import chosen_id

if TYPE_CHECKING:
    from services.membership.domain.branches import Organisation

#: What a host's label takes instead of a number (services/pure/personal_text.py).
_HOST_LABEL = "the host organisation's name, e.g. \"龙华街道党工委\""


def register_host(state: Organisation, cmd: RegisterHostOrganisation) -> HostOrganisationRegistered:
    """The county registers host organisations: they sit outside its tree, under no township."""
    require_roles(cmd.actor, "register a host organisation", Role.COUNTY_ADMIN)
    if state.exists:
        raise AlreadyExists(f"{cmd.org_id} is already on record as a {state.kind.value if state.kind else 'record'}")
    org_id, name, locality = chosen_id(cmd.org_id, "org_id", OWN_STREAMS), cmd.name.strip(), cmd.locality.strip()
    if not name:
        raise DomainError("a host organisation needs a name")
    if not locality:
        raise DomainError("locality must say where the host organisation is (city, district)")
    not_personal(name, "name", instead="the host organisation's name, e.g. \"龙华街道党工委\"")
    not_personal(locality, "locality", instead="where the host organisation is: city and district")
    if cmd.registered_on > cmd.today:
        raise DomainError(f"registered_on {cmd.registered_on} is in the future; use a date up to {cmd.today}")
    return HostOrganisationRegistered(org_id=org_id, name=name, locality=locality,
                                      registered_on=cmd.registered_on, actor=cmd.actor.label)


def guiding_host(cmd: EstablishBranch, host: Organisation | None) -> tuple[str | None, str]:
    """The host a new branch is linked to (its id, or None for a label only) and the label the event keeps."""
    if cmd.host_org_id is None:
        label = (cmd.host_guidance_org or "").strip()
        if not label:
            raise DomainError("name the host organisation that guides the branch: host_org_id (a registered host "
                              "organisation), or its name in host_guidance_org until it is registered")
        return None, not_personal(label, "host_guidance_org", instead=_HOST_LABEL)
    found = require_host(cmd.host_org_id, host)
    label = not_personal((cmd.host_guidance_org or "").strip(), "host_guidance_org", instead=_HOST_LABEL)
    return found.org_id, label or found.name



def require_host(host_org_id: str, host: Organisation | None) -> Organisation:
    if host is None or not host.exists:
        raise NotFound(f"no host organisation {host_org_id} is on record; register it first "
                       "(POST /v1/host-organisations)")
    if host.kind is not OrgKind.HOST_ORGANISATION:
        kind = host.kind.value if host.kind else "record"
        raise DomainError(f"{host_org_id} is a {kind} of the county's tree, not a host organisation")
    return host


def link_host_guidance(state: Organisation, cmd: LinkHostGuidance, host: Organisation | None) -> HostGuidanceLinked:
    """The home organisation links its outstation branch to the registered host that guides it."""
    if not state.exists:
        raise NotFound(f"organisation {cmd.org_id} does not exist")
    require_roles(cmd.actor, "link a branch's host guidance", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if cmd.actor.role is Role.TOWNSHIP_COMMITTEE and cmd.actor.org_id != state.home_org_id:
        raise Forbidden(f"only the home organisation {state.home_org_id or state.parent_id} links this branch")
    if not state.is_outstation:
        raise DomainError(f"{state.org_id} is not an outstation branch: only those are guided by a host organisation")
    found = require_host(cmd.host_org_id, host)
    if state.host_org_id == found.org_id:
        raise StateConflict(f"{state.org_id} is already guided by {found.org_id}")
    if cmd.linked_on > cmd.today:
        raise DomainError(f"linked_on {cmd.linked_on} is in the future; use a date up to {cmd.today}")
    if state.established_on and cmd.linked_on < state.established_on:
        raise DomainError(f"linked_on {cmd.linked_on} is before the branch was established ({state.established_on})")
    return HostGuidanceLinked(org_id=state.org_id, host_org_id=found.org_id, host_name=found.name,
                              linked_on=cmd.linked_on, actor=cmd.actor.label,
                              approving_org_id=cmd.actor.org_id or state.home_org_id)
