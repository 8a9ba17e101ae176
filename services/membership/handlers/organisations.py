"""Handlers of organisations (the tree, elections, twinning) and of their organisational life (meetings, training)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from services.kernel.handling import execute
from services.kernel.store import AppendResult, CommandMeta
from services.membership import directory
from services.membership.contract.commands.branches import (
    AdvanceElection,
    ApproveSecretary,
    ElectCommittee,
    ElectSecretary,
    EstablishBranch,
    EstablishOrganisation,
    LinkFriendlyCommittee,
    PostponeElection,
)
from services.membership.contract.commands.meetings import CorrectMeetingDate, RecordMeeting, RecordTraining
from services.membership.contract.events.meetings import TrainingRecorded
from services.membership.domain import branches, meetings, training
from services.membership.domain.branches import OrganisationEvent
from services.membership.handlers.policies import policies
from services.membership.handlers.records import Store, branch_stream, evolve_branch, organisation, recorded
from services.pure.dates import effective_on

_evolve_meeting = cast(Callable[[meetings.Meeting, Any], meetings.Meeting], meetings.evolve)
_evolve_training = cast(Callable[[training.Training, Any], training.Training], training.evolve)

#: Steps on an organisation whose rules need no facts about other records.
OrganisationStep = LinkFriendlyCommittee | ApproveSecretary | PostponeElection | AdvanceElection


async def _on_organisation(
    store: Store, cmd: Any, org_id: str, meta: CommandMeta, decide: Callable[[branches.Organisation], Any]
) -> AppendResult:
    return await execute(store, stream_id=branch_stream(org_id), stream_type="branch", evolve=evolve_branch,
                         initial=branches.INITIAL, decide=recorded(cmd, decide), meta=meta)


async def establish_branch(store: Store, cmd: EstablishBranch, meta: CommandMeta) -> AppendResult:
    """An outstation branch is established under its home organisation's kind of committee."""
    county = await policies(store)

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        home = await organisation(store, cmd.home_org_id)
        return branches.decide(state, cmd, home_org_kind=home.kind if home.exists else None,
                               policy=county.organisation(effective_on(cmd)))

    return await _on_organisation(store, cmd, cmd.branch_id, meta, decide)


async def establish_organisation(store: Store, cmd: EstablishOrganisation, meta: CommandMeta) -> AppendResult:
    """An organisation joins the tree under an existing parent of a kind that may have it."""
    county = await policies(store)

    async def decide(state: branches.Organisation) -> list[OrganisationEvent]:
        return branches.decide(state, cmd, parent=await organisation(store, cmd.parent_id),
                               policy=county.organisation(effective_on(cmd)))

    return await _on_organisation(store, cmd, cmd.org_id, meta, decide)


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


async def organisation_step(store: Store, cmd: OrganisationStep, meta: CommandMeta) -> AppendResult:
    county = await policies(store)
    return await _on_organisation(store, cmd, cmd.org_id, meta, lambda state: branches.decide(
        state, cmd, policy=county.organisation(effective_on(cmd))))


async def record_meeting(store: Store, cmd: RecordMeeting, meta: CommandMeta) -> AppendResult:
    """Who may attend and who votes: the organisation's roster and full members on the meeting's day, and
    the certificate holders."""
    county = await policies(store)

    async def decide(state: meetings.Meeting) -> list[meetings.MeetingEvent]:
        roster = await directory.member_ids(store.pool, cmd.org_id, on=cmd.held_on)
        full = await directory.full_member_ids(store.pool, cmd.org_id, on=cmd.held_on)
        return meetings.decide(
            state, cmd, organisation=await organisation(store, cmd.org_id), formal_member_ids=roster,
            probationary_ids=roster - full,
            certificate_holder_ids=await directory.certificate_holders_at(store.pool, cmd.org_id),
            policy=county.organisation(effective_on(cmd)),
        )

    return await execute(store, stream_id=cmd.meeting_id, stream_type="meeting", evolve=_evolve_meeting,
                         initial=meetings.INITIAL, decide=recorded(cmd, decide), meta=meta)


async def correct_meeting_date(store: Store, cmd: CorrectMeetingDate, meta: CommandMeta) -> AppendResult:
    """A correction of a meeting's day: the roster of the corrected day, and the id of the event it names."""
    county = await policies(store)

    async def decide(state: meetings.Meeting) -> list[meetings.MeetingEvent]:
        org_id = state.org_id
        roster = await directory.member_ids(store.pool, org_id, on=cmd.held_on)
        full = await directory.full_member_ids(store.pool, org_id, on=cmd.held_on)
        named = await store.load(cmd.meeting_id, up_to_version=max(cmd.corrects_version, 0))
        corrected = next((str(r.envelope.id) for r in named.events
                          if r.envelope.stream_version == cmd.corrects_version), "")
        return meetings.decide(
            state, cmd, organisation=await organisation(store, org_id), formal_member_ids=roster,
            probationary_ids=roster - full,
            certificate_holder_ids=await directory.certificate_holders_at(store.pool, org_id),
            policy=county.organisation(effective_on(cmd)), corrects_event_id=corrected,
        )

    return await execute(store, stream_id=cmd.meeting_id, stream_type="meeting", evolve=_evolve_meeting,
                         initial=meetings.INITIAL, decide=recorded(cmd, decide), meta=meta)


async def record_training(store: Store, cmd: RecordTraining, meta: CommandMeta) -> AppendResult:
    """Training is recorded by the member's formal organisation."""

    async def decide(state: training.Training) -> list[TrainingRecorded]:
        formal = await directory.formal_org_of(store.pool, cmd.member_id)
        return training.decide(state, cmd, member_org_ids=frozenset({formal} if formal else set()))

    return await execute(store, stream_id=f"training-{cmd.member_id}-{cmd.trained_on.year}", stream_type="training",
                         evolve=_evolve_training, initial=training.INITIAL, decide=recorded(cmd, decide), meta=meta)
