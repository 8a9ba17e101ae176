"""Handlers of mobile members (B4): outflow and inflow, reports, certificates, contact and return."""

from __future__ import annotations

from dataclasses import replace

from services.kernel.reservations import NONE, Reservations
from services.kernel.store import AppendResult, CommandMeta
from services.membership.contract.commands.members import RegisterOutflow
from services.membership.contract.commands.mobility import (
    IssueActivityCertificate,
    RecordContact,
    RegisterInflow,
    RegisterReturn,
    ReportToHomeOrganisation,
    ReportToHost,
    ReturnCertificate,
    ReviewCertificate,
)
from services.membership.domain import mobility
from services.membership.domain.mobility import MobilityEvent
from services.membership.domain.person import Person
from services.membership.handlers.personal import protect
from services.membership.handlers.policies import policies
from services.membership.handlers.records import Store, on_person, organisation
from services.membership.vault import vault
from services.pure.dates import effective_on

#: Mobility steps whose rules need no facts about other records.
MobilityStep = (
    IssueActivityCertificate | ReviewCertificate | ReturnCertificate | RegisterReturn | RecordContact
    | ReportToHomeOrganisation
)


async def register_outflow(store: Store, cmd: RegisterOutflow, meta: CommandMeta) -> AppendResult:
    """The stay announced decides between a transfer and a certificate (the policy in force on the day recorded).
    The contact where the member can be reached is sealed with their key."""
    county = await policies(store)

    async def decide(person: Person) -> list[MobilityEvent]:
        personal = await protect(store, cmd.member_id, contact=cmd.contact)
        return mobility.decide(person.member, replace(cmd, contact=personal.contact_masked), personal=personal,
                               policy=county.mobility(effective_on(cmd)))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def register_inflow(store: Store, cmd: RegisterInflow, meta: CommandMeta) -> AppendResult:
    """A member from elsewhere arrives at a host organisation here, which must exist. Their national ID
    number's key (its keyed hash) is claimed when no one holds it, so a later registration of the same person
    is refused; an inflow itself is never refused for it: the host records whoever arrives."""
    county = await policies(store)
    numbers = vault(store.pool)
    key = numbers.national_id_key(cmd.national_id)
    # Whether the number was free when last decided: another record taking it before the append makes
    # execute decide again, and this time the inflow is recorded without the key.
    free = [False]

    async def decide(person: Person) -> list[MobilityEvent]:
        personal = await protect(store, cmd.member_id, contact=cmd.contact, national_id=cmd.national_id)
        masked = replace(cmd, national_id=personal.national_id_masked or "", contact=personal.contact_masked)
        events = mobility.decide(person.member, masked, host_org=await organisation(store, cmd.host_org_id),
                                 personal=personal, policy=county.mobility(effective_on(cmd)))
        free[0] = await numbers.national_id_holder(key) in (None, cmd.member_id)
        return events

    return await on_person(store, cmd, cmd.member_id, meta, decide,
                           reserve=lambda _person, events: Reservations(claim=(key,)) if events and free[0] else NONE)


async def report_to_host(store: Store, cmd: ReportToHost, meta: CommandMeta) -> AppendResult:
    """A member reports to an organisation that is on record."""
    county = await policies(store)

    async def decide(person: Person) -> list[MobilityEvent]:
        return mobility.decide(person.member, cmd, host_org=await organisation(store, cmd.host_org_id),
                               policy=county.mobility(effective_on(cmd)))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def mobility_step(store: Store, cmd: MobilityStep, meta: CommandMeta) -> AppendResult:
    county = await policies(store)
    return await on_person(store, cmd, cmd.member_id, meta,
                           lambda person: mobility.decide(person.member, cmd,
                                                          policy=county.mobility(effective_on(cmd))))
