"""Handlers of organisations (the tree, elections, twinning) and of their organisational life (meetings, training)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from services.kernel.handling import execute, is_minted
from services.kernel.store import AppendResult, CommandMeta
from services.membership import directory, event_indexes
from services.membership.contract.commands.branches import (
    AdvanceElection,
    ApproveSecretary,
    ElectCommittee,
    ElectSecretary,
    EstablishBranch,
    EstablishOrganisation,
    LinkFriendlyCommittee,
    LinkHostGuidance,
    PostponeElection,
    RegisterHostOrganisation,
)
from services.membership.contract.commands.meetings import CorrectMeetingDate, RecordMeeting, RecordTraining
from services.membership.contract.events.branches import OrgKind
from services.membership.contract.events.meetings import TrainingRecorded
from services.membership.domain import branches, meetings, training
from services.membership.domain.branches import OrganisationEvent
from services.membership.handlers.policies import policies
from services.membership.handlers.records import (
    Store,
    branch_stream,
    evolve_branch,
    organisation,
    recorded,
    training_stream,
)
from services.pure.dates import effective_on

_evolve_meeting = cast(Callable[[meetings.Meeting, Any], meetings.Meeting], meetings.evolve)
_evolve_training = cast(Callable[[training.Training, Any], training.Training], training.evolve)

#: Steps on an organisation whose rules need no facts about other records.
OrganisationStep = LinkFriendlyCommittee | ApproveSecretary | PostponeElection | AdvanceElection


async def _on_organisation(
    store: Store, cmd: Any, org_id: str, meta: CommandMeta, decide: Callable[[branches.Organisation], Any]
) -> AppendResult:
    return await execute(store, stream_id=branch_stream(org_id), stream_type="branch", evolve=evolve_branch,
                         initial=branches.INITIAL, decide=recorded(store, cmd, decide), meta=meta)


async def establish_branch(store: Store, cmd: EstablishBranch, meta: CommandMeta) -> AppendResult:
    """An outstation branch is established under its home organisation's kind of committee, linked to the
    registered host organisation that guides it."""
    county = await policies(store)

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        home = await organisation(store, cmd.home_org_id)
        host = await organisation(store, cmd.host_org_id) if cmd.host_org_id else None
        return branches.decide(state, cmd, home_org_kind=home.kind if home.exists else None, host=host,
                               policy=county.organisation(effective_on(cmd)),
                               named_as_home=await named_as_home(store, cmd.branch_id))

    return await _on_organisation(store, cmd, cmd.branch_id, meta, decide)


async def establish_organisation(store: Store, cmd: EstablishOrganisation, meta: CommandMeta) -> AppendResult:
    """An organisation joins the tree under an existing parent of a kind that may have it."""
    county = await policies(store)

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        return branches.decide(state, cmd, parent=await organisation(store, cmd.parent_id),
                               policy=county.organisation(effective_on(cmd)),
                               named_as_home=await named_as_home(store, cmd.org_id))

    return await _on_organisation(store, cmd, cmd.org_id, meta, decide)


async def named_as_home(store: Store, org_id: str) -> bool:
    """Whether a recorded branch names ``org_id`` as its home organisation or parent (never an id just minted)."""
    if is_minted(org_id):
        return False
    found: bool = await store.pool.fetchval(event_indexes.NAMED_AS_HOME, org_id)
    return found


async def elect(store: Store, cmd: ElectCommittee | ElectSecretary, meta: CommandMeta) -> AppendResult:
    """A committee or a secretary, by the organisation's full members (and the size of its roster); a seconded
    cadre's seat by where that member is a full member on the day."""
    county = await policies(store)

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        full = await directory.full_member_ids(store.pool, cmd.org_id, on=cmd.elected_on)
        roster = await directory.member_ids(store.pool, cmd.org_id, on=cmd.elected_on)
        homes: dict[str, str] = {}
        for seat in cmd.seats if isinstance(cmd, ElectCommittee) else ():
            if seat.seconded_cadre:
                # A seconded cadre's relationship stays at home: where they are a full member that day.
                org_id, status = await directory.standing_on(store.pool, seat.member_id.strip(), cmd.elected_on)
                if org_id and status in directory.VOTING_STATUSES:
                    homes[seat.member_id.strip()] = org_id
        return branches.decide(state, cmd, full_member_ids=full, members=len(roster), seconded_homes=homes,
                               policy=county.organisation(effective_on(cmd)))

    return await _on_organisation(store, cmd, cmd.org_id, meta, decide)


async def register_host_organisation(store: Store, cmd: RegisterHostOrganisation, meta: CommandMeta) -> AppendResult:
    """A host organisation's record is on its own stream, under the id the county gives it."""
    return await _on_organisation(store, cmd, cmd.org_id, meta, lambda state: branches.decide(state, cmd))


async def link_host_guidance(store: Store, cmd: LinkHostGuidance, meta: CommandMeta) -> AppendResult:
    """The branch is linked to a host organisation that is on record as one."""

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        return branches.decide(state, cmd, host=await organisation(store, cmd.host_org_id))

    return await _on_organisation(store, cmd, cmd.org_id, meta, decide)


async def organisation_step(store: Store, cmd: OrganisationStep, meta: CommandMeta) -> AppendResult:
    county = await policies(store)
    return await _on_organisation(store, cmd, cmd.org_id, meta, lambda state: branches.decide(
        state, cmd, policy=county.organisation(effective_on(cmd))))


async def _attendance(
    store: Store, org: branches.Organisation, on: date
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Who may attend a meeting of ``org`` on the day ``on``, as ``meetings.decide`` takes it: the formal
    members, the probationary ones among them, and the certificate holders attached to it. At a host organisation
    the members in its scope stand in for the formal ones: those hosted there, and the members on that day of
    the branches linked to it now (a branch re-linked to another host since is no longer its)."""
    holders = await directory.certificate_holders_at(store.pool, org.org_id)
    if org.kind is not OrgKind.HOST_ORGANISATION:
        roster = await directory.member_ids(store.pool, org.org_id, on=on)
        full = await directory.full_member_ids(store.pool, org.org_id, on=on)
        return roster, roster - full, holders
    scope = set(await directory.hosted_at(store.pool, org.org_id)) | holders
    for branch_id in await directory.linked_to_host(store.pool, org.org_id):
        if (await organisation(store, branch_id)).host_org_id == org.org_id:
            scope |= await directory.member_ids(store.pool, branch_id, on=on)
    return frozenset(scope), frozenset(), holders


async def record_meeting(store: Store, cmd: RecordMeeting, meta: CommandMeta) -> AppendResult:
    """Who may attend and who votes: the organisation's roster and full members on the meeting's day, and
    the certificate holders (at a host organisation: the members in its scope)."""
    county = await policies(store)

    async def decide(state: meetings.Meeting) -> list[meetings.MeetingEvent]:
        org = await organisation(store, cmd.org_id)
        formal, probationary, holders = await _attendance(store, org, cmd.held_on)
        return meetings.decide(state, cmd, organisation=org, formal_member_ids=formal, probationary_ids=probationary,
                               certificate_holder_ids=holders, policy=county.organisation(effective_on(cmd)))

    return await execute(store, stream_id=cmd.meeting_id, stream_type="meeting", evolve=_evolve_meeting,
                         initial=meetings.INITIAL, decide=recorded(store, cmd, decide), meta=meta)


async def correct_meeting_date(store: Store, cmd: CorrectMeetingDate, meta: CommandMeta) -> AppendResult:
    """A correction of a meeting's day: the roster of the corrected day, and the id of the event it names."""
    county = await policies(store)

    async def decide(state: meetings.Meeting) -> list[meetings.MeetingEvent]:
        org = await organisation(store, state.org_id)
        named = await store.load(cmd.meeting_id, up_to_version=max(cmd.corrects_version, 0))
        corrected = next((str(r.envelope.id) for r in named.events
                          if r.envelope.stream_version == cmd.corrects_version), "")
        formal, probationary, holders = await _attendance(store, org, cmd.held_on)
        return meetings.decide(state, cmd, organisation=org, formal_member_ids=formal, probationary_ids=probationary,
                               certificate_holder_ids=holders, policy=county.organisation(effective_on(cmd)),
                               corrects_event_id=corrected)

    return await execute(store, stream_id=cmd.meeting_id, stream_type="meeting", evolve=_evolve_meeting,
                         initial=meetings.INITIAL, decide=recorded(store, cmd, decide), meta=meta)


async def record_training(store: Store, cmd: RecordTraining, meta: CommandMeta) -> AppendResult:
    """Training is recorded by the member's formal organisation."""

    async def decide(state: training.Training) -> list[TrainingRecorded]:
        formal = await directory.formal_org_of(store.pool, cmd.member_id)
        return training.decide(state, cmd, member_org_ids=frozenset({formal} if formal else set()))

    return await execute(store, stream_id=training_stream(cmd.member_id, cmd.trained_on.year), stream_type="training",
                         evolve=_evolve_training, initial=training.INITIAL, decide=recorded(store, cmd, decide),
                         meta=meta)
