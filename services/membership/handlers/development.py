"""Handlers of member development (B6): a person's case, from application to full membership, on their one stream."""

from __future__ import annotations

from dataclasses import replace

from services.kernel.store import AppendResult, CommandMeta
from services.membership import directory, dues_reactions
from services.membership.contract.commands.development import (
    ApplyForConversion,
    ApproveAdmission,
    ApproveConversion,
    AssignCultivationContacts,
    AssignIntroducers,
    CancelCase,
    CompletePoliticalReview,
    DesignateActivist,
    DesignateDevelopmentTarget,
    HoldAdmissionVote,
    HoldConversionVote,
    InterviewApplicant,
    PreReview,
    RecordAssessment,
    RecordTraining,
    SubmitApplication,
    TakeOath,
    TransferActivistFile,
)
from services.membership.contract.events.development import DevelopmentEvent
from services.membership.domain import branches, development
from services.membership.domain.person import Person
from services.membership.handlers.personal import protect
from services.membership.handlers.policies import policies
from services.membership.handlers.records import Store, on_person, organisation
from services.pure.dates import effective_on
from services.pure.identity import Role

#: Steps of a case whose rules need no facts about other records.
CaseStep = (
    InterviewApplicant | DesignateActivist | RecordAssessment | TransferActivistFile
    | DesignateDevelopmentTarget | CompletePoliticalReview | RecordTraining | TakeOath | ApplyForConversion
    | CancelCase
)
#: Steps that name full members of the case's organisation (cultivation contacts, introducers).
NamingStep = AssignCultivationContacts | AssignIntroducers
#: Steps taken by a committee with approval authority.
ApprovalStep = PreReview | ApproveAdmission | ApproveConversion
#: Votes of the case's branch.
VoteStep = HoldAdmissionVote | HoldConversionVote


async def submit_application(store: Store, cmd: SubmitApplication, meta: CommandMeta) -> AppendResult:
    """The applicant's national ID number (if given) and contact are sealed with their key first."""
    county = await policies(store)

    async def decide(person: Person) -> list[DevelopmentEvent]:
        personal = await protect(store, cmd.person_id, contact=cmd.contact, national_id=cmd.national_id)
        masked = replace(cmd, national_id=personal.national_id_masked, contact=personal.contact_masked)
        return development.decide(person.case, masked, personal=personal,
                                  policy=county.development(effective_on(cmd)))

    return await on_person(store, cmd, cmd.person_id, meta, decide)


async def case_step(store: Store, cmd: CaseStep, meta: CommandMeta) -> AppendResult:
    county = await policies(store)
    return await on_person(store, cmd, cmd.person_id, meta, lambda person: development.decide(
        person.case, cmd, policy=county.development(effective_on(cmd))))


async def name_members(store: Store, cmd: NamingStep, meta: CommandMeta) -> AppendResult:
    """Contacts and introducers are full members of the case's organisation on the day they are assigned."""
    county = await policies(store)

    async def decide(person: Person) -> list[DevelopmentEvent]:
        full = await directory.full_member_ids(store.pool, person.case.org_id, on=cmd.assigned_on)
        return development.decide(person.case, cmd, full_member_ids=full,
                                  policy=county.development(effective_on(cmd)))

    return await on_person(store, cmd, cmd.person_id, meta, decide)


async def approve(store: Store, cmd: ApprovalStep, meta: CommandMeta) -> AppendResult:
    """Approval authority sits with the county committee and the township (base) committees. A probation cancelled
    ends the membership: the dues account closes (services/membership/dues_reactions.py), right after it is stored."""
    county = await policies(store)
    authority = cmd.actor.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    result = await on_person(store, cmd, cmd.person_id, meta, lambda person: development.decide(
        person.case, cmd, approver_has_authority=authority, policy=county.development(effective_on(cmd))))
    await dues_reactions.follow_appended(store, result)
    return result


async def hold_vote(store: Store, cmd: VoteStep, meta: CommandMeta) -> AppendResult:
    """A vote counts the branch's full members on the meeting's day — the roster of that day, however late the
    vote is recorded; a temporary branch (or a Party group) never admits (B1)."""
    county = await policies(store)

    async def decide(person: Person) -> list[DevelopmentEvent]:
        full = await directory.full_member_ids(store.pool, person.case.org_id, on=cmd.held_on)
        org = await organisation(store, person.case.org_id)
        return development.decide(person.case, cmd, entitled_full_members=len(full),
                                  org_is_temporary=org.exists and not branches.may_admit(org),
                                  policy=county.development(effective_on(cmd)))

    return await on_person(store, cmd, cmd.person_id, meta, decide)
