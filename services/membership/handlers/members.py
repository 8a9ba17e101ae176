"""Handlers of registration and standing (suspension, removal, restoration, death), on the person's one stream."""

from __future__ import annotations

from dataclasses import replace

from services.kernel.reservations import NONE, Reservations
from services.kernel.store import AppendResult, CommandMeta
from services.membership import directory, dues_reactions
from services.membership.contract.commands.members import (
    ApproveRemoval,
    RecordDeath,
    RegisterMember,
    RejectRemoval,
    RemoveAsLapsed,
    RestoreMembership,
    SuspendMembership,
)
from services.membership.contract.events.members import MemberRegistered
from services.membership.domain import members, standing
from services.membership.domain.person import Person
from services.membership.domain.rules import require_org_scope
from services.membership.domain.standing import StandingEvent
from services.membership.handlers.personal import protect
from services.membership.handlers.policies import policies
from services.membership.handlers.records import Store, on_person, organisation
from services.membership.vault import vault
from services.pure.dates import effective_on
from services.pure.errors import AlreadyExists

#: Standing steps whose rules need no facts about other records.
StandingStep = SuspendMembership | ApproveRemoval | RejectRemoval | RestoreMembership | RecordDeath


async def register_member(store: Store, cmd: RegisterMember, meta: CommandMeta) -> AppendResult:
    """One person, one member record: the registration's append claims the number's key (its keyed hash, never
    the number), so of two registrations of one number — on any instances — one commits, and the other is
    decided again and refused as if it had come second."""
    numbers = vault(store.pool)
    key = numbers.national_id_key(cmd.national_id)

    async def decide(person: Person) -> list[MemberRegistered]:
        # Runs after execute's retry check, so a retried registration answers as it first did.
        # Scope first, so nobody learns from the answer whether an ID is registered where they may not look.
        require_org_scope(cmd.actor, cmd.formal_org_id, "register members")
        # The number is validated and sealed first; the rules see only the sealed and masked forms.
        personal = await protect(store, cmd.member_id, contact=cmd.contact, national_id=cmd.national_id)
        existing = await numbers.national_id_holder(key)
        if existing and existing != cmd.member_id:
            raise AlreadyExists(f"a member with this national ID is already registered as {existing}; "
                                "register an inflow or a transfer instead of a second record", member_id=existing)
        masked = replace(cmd, national_id=personal.national_id_masked or "", contact=personal.contact_masked)
        return members.register(person.member, masked, formal_org=await organisation(store, cmd.formal_org_id),
                                has_development_case=person.case.exists, personal=personal)

    return await on_person(store, cmd, cmd.member_id, meta, decide,
                           reserve=lambda _person, events: Reservations(claim=(key,)) if events else NONE)


async def remove_as_lapsed(store: Store, cmd: RemoveAsLapsed, meta: CommandMeta) -> AppendResult:
    """Dues records arrive with the dues capability; until then the ground counts months without
    organisational life: since the last meeting the member attended, else since they joined."""
    county = await policies(store)

    async def decide(person: Person) -> list[StandingEvent]:
        months = await directory.months_without_life(store.pool, cmd.member_id, cmd.decided_on)
        return standing.decide(person.member, cmd, months_without_dues_or_life=months,
                               policy=county.mobility(effective_on(cmd)))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def change_standing(store: Store, cmd: StandingStep, meta: CommandMeta) -> AppendResult:
    county = await policies(store)
    return await on_person(store, cmd, cmd.member_id, meta,
                           lambda person: standing.decide(person.member, cmd,
                                                          policy=county.mobility(effective_on(cmd))))


async def end_membership(store: Store, cmd: ApproveRemoval | RecordDeath, meta: CommandMeta) -> AppendResult:
    """A removal or a death, then its reaction: the member's dues account closes with the month the membership
    ended (services/membership/dues_reactions.py says why that is a second append, made exactly once)."""
    result = await change_standing(store, cmd, meta)
    await dues_reactions.follow_appended(store, result)
    return result
