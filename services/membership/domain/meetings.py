"""Meeting aggregate (三会一课, one stream per meeting) and the pure yearly meeting-compliance report (B5, D4).

A meeting's day, if recorded wrongly, is corrected by a new event naming the one it corrects (never an edit):
the attendance is counted again against the roster of the corrected day. A meeting's topic, its minutes reference
and a correction's reason are kept in clear, so none may hold anything shaped like a phone or ID number
(services/pure/personal_text.py); a correction re-checks the record as made, not its words."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple, assert_never

from services.membership.contract.commands.meetings import CorrectMeetingDate, RecordMeeting
from services.membership.contract.events.branches import OrgKind
from services.membership.contract.events.meetings import MeetingDateCorrected, MeetingKind, MeetingRecorded
from services.membership.domain.branches import Organisation
from services.membership.policy.organisation import OrganisationPolicy, organisation_policy_on
from services.pure.dates import effective_on
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal

#: B5: these meetings decide by vote and need more than half of those entitled.
QUORUM_KINDS = frozenset({MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE})


@dataclass(frozen=True, kw_only=True)
class Meeting:
    exists: bool = False
    meeting_id: str = ""
    org_id: str = ""
    kind: MeetingKind | None = None
    held_on: date | None = None
    quorum_met: bool | None = None
    #: Events on the meeting's stream so far (its version), and the version of the event that set the day.
    version: int = 0
    dated_by_version: int = 0
    #: The record as made, to count the attendance again when its day is corrected.
    recorded: MeetingRecorded | None = None


INITIAL = Meeting()

MeetingCommand = RecordMeeting | CorrectMeetingDate
MeetingEvent = MeetingRecorded | MeetingDateCorrected


def decide(
    state: Meeting,
    command: MeetingCommand,
    *,
    organisation: Organisation,
    formal_member_ids: frozenset[str],
    certificate_holder_ids: frozenset[str] = frozenset(),
    probationary_ids: frozenset[str] = frozenset(),
    policy: OrganisationPolicy | None = None,
    corrects_event_id: str = "",
) -> list[MeetingEvent]:
    """Context from the roster on the meeting's day: the organisation's state; its formal members
    (``probationary_ids`` among them attend without a vote) — at a host organisation, the members in its scope
    (hosted there or of the branches it guides); the activity-certificate holders attached to it (attend, never
    vote). ``policy``: the one in force on the meeting's day unless given. ``corrects_event_id``:
    the id of the event at the version a correction names (the handler reads it from the stream)."""
    policy = policy or organisation_policy_on(effective_on(command))
    match command:
        case RecordMeeting():
            not_personal(command.minutes_ref, "minutes_ref",
                         instead="where the minutes are: the minute book and page, or the file's reference")
            not_personal(command.topic, "topic", instead=in_words("what the meeting was about"))
            return [_record(state, command, organisation, formal_member_ids, certificate_holder_ids,
                            probationary_ids, policy)]
        case CorrectMeetingDate():
            return [_correct(state, command, organisation, formal_member_ids, certificate_holder_ids,
                             probationary_ids, policy, corrects_event_id)]
        case _:
            assert_never(command)


def evolve(state: Meeting, event: MeetingEvent) -> Meeting:
    match event:
        case MeetingRecorded():
            return Meeting(exists=True, meeting_id=event.meeting_id, org_id=event.org_id, kind=event.kind,
                           held_on=event.held_on, quorum_met=event.quorum_met, version=state.version + 1,
                           dated_by_version=state.version + 1, recorded=event)
        case MeetingDateCorrected():
            return replace(state, held_on=event.held_on, quorum_met=event.quorum_met, version=state.version + 1,
                           dated_by_version=state.version + 1)
        case _:
            assert_never(event)


def quorum_met(voters_present: int, entitled_voters: int, policy: OrganisationPolicy) -> bool:
    """B5/D3: more than half (``quorum_share``) of those entitled; exactly half is not enough."""
    return entitled_voters > 0 and Fraction(voters_present) > policy.quorum_share * entitled_voters


def _record(
    state: Meeting, cmd: RecordMeeting, org: Organisation, formal: frozenset[str], holders: frozenset[str],
    probationary: frozenset[str], policy: OrganisationPolicy,
) -> MeetingRecorded:
    if not org.exists or org.org_id != cmd.org_id:
        raise NotFound(f"organisation {cmd.org_id} does not exist")
    _require_scope(cmd.actor, org)
    if state.exists:
        raise AlreadyExists(f"meeting {cmd.meeting_id} was already recorded ({state.kind}, {state.held_on})")
    if cmd.held_on > cmd.today:
        raise DomainError(f"held_on {cmd.held_on} is in the future; record a meeting once it is held")
    if org.established_on and cmd.held_on < org.established_on:
        raise DomainError(f"held_on {cmd.held_on} is before {org.org_id} was established ({org.established_on})")
    if not cmd.minutes_ref.strip():
        raise DomainError("minutes_ref must point to the minutes of the meeting")
    present, visitors, absent = (_ids(cmd.present_ids, "present_ids"),
                                 _ids(cmd.certificate_holders_present, "certificate_holders_present"),
                                 _ids(cmd.absent_ids, "absent_ids"))
    if org.kind is OrgKind.HOST_ORGANISATION:
        return _record_at_host(cmd, org, present, visitors, absent, formal, holders, policy)
    _require_subset(present, formal, f"present_ids must be members of {org.org_id}",
                    "record activity-certificate holders in certificate_holders_present")
    _require_subset(visitors, holders, f"certificate_holders_present must hold a certificate at {org.org_id}",
                    "members of the organisation go in present_ids")
    _require_subset(absent, formal, f"absent_ids must be members of {org.org_id}", "")
    both = sorted(set(present) & set(absent))
    if both:
        raise DomainError(f"present and absent at once: {', '.join(both)}")
    if cmd.kind is MeetingKind.COMMITTEE:
        entitled = frozenset(s.member_id for s in org.committee)
        if not entitled:
            raise DomainError(f"{org.org_id} has no committee (fewer than 7 full members): hold a general meeting")
        expected = entitled
    else:
        entitled = formal - probationary
        expected = formal
    if cmd.kind in QUORUM_KINDS:
        missing = sorted(expected - set(present) - set(absent))
        if missing:
            raise DomainError(f"the minutes list every member as present or absent; missing: {', '.join(missing)}")
        if not entitled:
            raise DomainError(f"{org.org_id} has no full member entitled to vote at a {cmd.kind.value}")
    lecturer = (cmd.lecturer_id or "").strip() or None
    if cmd.kind is MeetingKind.PARTY_LECTURE and lecturer is None:
        raise DomainError("a Party lecture names its lecturer: set lecturer_id")
    # Certificate holders and probationary members attend without a vote: only entitled voters count.
    voters_present = len(entitled & set(present))
    return MeetingRecorded(
        meeting_id=cmd.meeting_id, org_id=org.org_id, kind=cmd.kind, held_on=cmd.held_on, present_ids=present,
        certificate_holders_present=visitors, absent_ids=absent, minutes_ref=cmd.minutes_ref.strip(),
        entitled_voters=len(entitled), voters_present=voters_present,
        quorum_met=quorum_met(voters_present, len(entitled), policy) if cmd.kind in QUORUM_KINDS else None,
        actor=cmd.actor.label, policy_version=policy.version, topic=cmd.topic.strip(), lecturer_id=lecturer,
        lecturer_is_secretary=lecturer is not None and lecturer == org.secretary_id,
    )


def _record_at_host(
    cmd: RecordMeeting, org: Organisation, present: tuple[str, ...], visitors: tuple[str, ...],
    absent: tuple[str, ...], hosted: frozenset[str], holders: frozenset[str], policy: OrganisationPolicy,
) -> MeetingRecorded:
    """A meeting a host organisation holds (B4: holders take part in life at the host; 一方隶属、参加多重组织生活).

    Those it records are the members in its scope — hosted there (reported to it, holding its certificate) or
    of the branches it guides — and none of them votes there: their formal organisation is elsewhere, and the
    host's own members are not on this system's roll, so no quorum is counted here (entitled_voters 0)."""
    if cmd.kind is MeetingKind.COMMITTEE:
        raise DomainError(f"{org.org_id} is a host organisation: its committee meets on its own records, not here; "
                          "record the meetings its guests attend")
    rule = (f"present_ids must be members {org.org_id} hosts (reported to it or holding its certificate) or members "
            "of the branches linked to it")
    _require_subset(present, hosted, rule, "link the member's branch to the host, or record their report to it")
    _require_subset(visitors, holders, f"certificate_holders_present must hold a certificate at {org.org_id}",
                    "other guests go in present_ids")
    _require_subset(absent, hosted, rule.replace("present_ids", "absent_ids"), "")
    both = sorted(set(present) & set(absent))
    if both:
        raise DomainError(f"present and absent at once: {', '.join(both)}")
    if not present and not visitors:
        raise DomainError("a host organisation's meeting records who of the members in its scope attended: "
                          "present_ids is empty")
    lecturer = (cmd.lecturer_id or "").strip() or None
    if cmd.kind is MeetingKind.PARTY_LECTURE and lecturer is None:
        raise DomainError("a Party lecture names its lecturer: set lecturer_id")
    return MeetingRecorded(
        meeting_id=cmd.meeting_id, org_id=org.org_id, kind=cmd.kind, held_on=cmd.held_on, present_ids=present,
        certificate_holders_present=visitors, absent_ids=absent, minutes_ref=cmd.minutes_ref.strip(),
        entitled_voters=0, voters_present=0, quorum_met=None, actor=cmd.actor.label, policy_version=policy.version,
        topic=cmd.topic.strip(), lecturer_id=lecturer, lecturer_is_secretary=False, host_meeting=True,
    )


def _correct(
    state: Meeting, cmd: CorrectMeetingDate, org: Organisation, formal: frozenset[str], holders: frozenset[str],
    probationary: frozenset[str], policy: OrganisationPolicy, corrects_event_id: str,
) -> MeetingDateCorrected:
    if not state.exists or state.recorded is None or state.held_on is None:
        raise NotFound(f"meeting {cmd.meeting_id} is not recorded; record it instead")
    if cmd.corrects_version != state.dated_by_version:
        raise StateConflict(f"the day of meeting {cmd.meeting_id} was last set at version {state.dated_by_version} "
                            f"({state.held_on}), not {cmd.corrects_version}; reload it and name that version")
    reason = cmd.reason.strip()
    if not reason:
        raise DomainError("a correction says why the recorded day was wrong: reason must not be empty")
    not_personal(reason, "reason", instead=in_words("why the recorded day was wrong"))
    if cmd.held_on == state.held_on:
        raise DomainError(f"meeting {cmd.meeting_id} is already recorded as held on {cmd.held_on}; nothing to correct")
    # The record as made, on the corrected day, goes through every rule of a record again (the roster of
    # that day, the organisation's establishment, the quorum); only the counts and the day change.
    made = state.recorded
    again = _record(INITIAL, RecordMeeting(
        actor=cmd.actor, today=cmd.today, meeting_id=made.meeting_id, org_id=made.org_id, kind=made.kind,
        held_on=cmd.held_on, present_ids=made.present_ids, certificate_holders_present=made.certificate_holders_present,
        absent_ids=made.absent_ids, minutes_ref=made.minutes_ref, topic=made.topic, lecturer_id=made.lecturer_id,
    ), org, formal, holders, probationary, policy)
    return MeetingDateCorrected(
        meeting_id=made.meeting_id, org_id=made.org_id, corrects_version=cmd.corrects_version,
        corrects_event_id=corrects_event_id, held_on_was=state.held_on, held_on=cmd.held_on,
        entitled_voters=again.entitled_voters, voters_present=again.voters_present, quorum_met=again.quorum_met,
        reason=reason, actor=cmd.actor.label, policy_version=policy.version,
    )


def _require_scope(actor: Actor, org: Organisation) -> None:
    """County and township staff anywhere; a secretary in their own organisation or a Party group under it; a
    host organisation's meetings: the host itself and the county only (it is outside the townships' tree)."""
    if org.kind is OrgKind.HOST_ORGANISATION:
        if actor.role is Role.COUNTY_ADMIN or (actor.role is Role.HOST_ORGANISATION and actor.org_id == org.org_id):
            return
        raise Forbidden(f"the meetings of host organisation {org.org_id} are recorded by it (or the county), not "
                        f"by the role {actor.role.value} ({actor.org_id})")
    if actor.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        return
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id in (org.org_id, org.parent_id):
        return
    raise Forbidden(f"the role {actor.role.value} ({actor.org_id}) cannot record meetings of {org.org_id}")


def _ids(ids: tuple[str, ...], name: str) -> tuple[str, ...]:
    cleaned = tuple(i.strip() for i in ids)
    if any(not i for i in cleaned) or len(set(cleaned)) != len(cleaned):
        raise DomainError(f"{name} must be distinct, non-empty member ids")
    return cleaned


def _require_subset(ids: tuple[str, ...], allowed: frozenset[str], rule: str, hint: str) -> None:
    outside = sorted(set(ids) - allowed)
    if outside:
        raise DomainError(f"{rule}; not: {', '.join(outside)}" + (f" — {hint}" if hint else ""))


# --- Yearly compliance (pure report) ----------------------------------------------------------------


class Requirement(StrEnum):
    """A line of the 三会一课 compliance report."""

    GENERAL_MEETING = "general_meeting"
    COMMITTEE = "committee"
    PARTY_GROUP = "party_group"
    THEME_DAY = "theme_day"
    ORGANISATIONAL_LIFE_MEETING = "organisational_life_meeting"
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"
    TALK = "talk"
    SECRETARY_LECTURE = "secretary_lecture"
    MEMBER_LECTURE = "member_lecture"


class HeldMeeting(NamedTuple):
    """A meeting as the report needs it; a plain ``(kind, held_on)`` pair works too."""

    kind: MeetingKind
    held_on: date
    by_secretary: bool = False


@dataclass(frozen=True, kw_only=True)
class Period:
    label: str
    start: date
    end: date


@dataclass(frozen=True, kw_only=True)
class RequirementCompliance:
    requirement: Requirement
    per_year: int
    #: Periods already over on ``as_of`` (each needed at least one meeting).
    expected_to_date: int
    #: Meetings held in the year up to ``as_of``, and the periods they cover.
    held: int
    periods_covered: int
    overdue: tuple[Period, ...]

    @property
    def compliant(self) -> bool:
        return not self.overdue


def meeting_compliance(
    meetings: Iterable[HeldMeeting | tuple[MeetingKind, date]],
    year: int,
    as_of: date,
    policy: OrganisationPolicy | None = None,
    *,
    has_committee: bool = False,
    has_party_groups: bool = False,
) -> tuple[RequirementCompliance, ...]:
    """Per requirement: periods over by ``as_of`` (a period ends after its last day), meetings held, and the
    periods that passed without one. Committee and Party-group lines appear only where the organisation has
    them; ordinary members' lectures only when the county sets a frequency (D7: not found). ``policy``: the one
    in force on ``as_of`` unless given."""
    policy = policy or organisation_policy_on(as_of)
    held = [HeldMeeting(*m) for m in meetings]
    lines: list[tuple[Requirement, int | None, MeetingKind, bool]] = [
        (Requirement.GENERAL_MEETING, policy.general_meetings_per_year, MeetingKind.GENERAL_MEETING, False),
        (Requirement.COMMITTEE, policy.committee_meetings_per_year if has_committee else None,
         MeetingKind.COMMITTEE, False),
        (Requirement.PARTY_GROUP, policy.party_group_meetings_per_year if has_party_groups else None,
         MeetingKind.PARTY_GROUP, False),
        (Requirement.THEME_DAY, policy.theme_days_per_year, MeetingKind.THEME_DAY, False),
        (Requirement.ORGANISATIONAL_LIFE_MEETING, policy.organisational_life_meetings_per_year,
         MeetingKind.ORGANISATIONAL_LIFE_MEETING, False),
        (Requirement.DEMOCRATIC_APPRAISAL, policy.democratic_appraisals_per_year, MeetingKind.DEMOCRATIC_APPRAISAL,
         False),
        (Requirement.TALK, policy.talks_per_year, MeetingKind.TALK, False),
        (Requirement.SECRETARY_LECTURE, policy.secretary_lectures_per_year, MeetingKind.PARTY_LECTURE, True),
        (Requirement.MEMBER_LECTURE, policy.member_lectures_per_year, MeetingKind.PARTY_LECTURE, False),
    ]
    report = []
    for requirement, per_year, kind, by_secretary in lines:
        if per_year is None:
            continue
        days = [m.held_on for m in held if m.kind is kind and m.held_on.year == year and m.held_on <= as_of
                and (m.by_secretary or not by_secretary)]
        periods = periods_of(year, per_year)
        covered = [p for p in periods if any(p.start <= d <= p.end for d in days)]
        ended = [p for p in periods if p.end < as_of]
        report.append(RequirementCompliance(
            requirement=requirement, per_year=per_year, expected_to_date=len(ended), held=len(days),
            periods_covered=len(covered), overdue=tuple(p for p in ended if p not in covered),
        ))
    return tuple(report)


def periods_of(year: int, per_year: int) -> tuple[Period, ...]:
    """The year split into ``per_year`` equal runs of months (12 → months, 4 → quarters, 1 → the year)."""
    months = 12 // per_year
    result = []
    for i in range(per_year):
        first, last = i * months + 1, (i + 1) * months
        start = date(year, first, 1)
        end = date(year, last, calendar.monthrange(year, last)[1])
        label = {12: f"{year}-{first:02d}", 4: f"{year}-Q{i + 1}", 2: f"{year}-H{i + 1}", 1: f"{year}"}.get(
            per_year, f"{year}-{first:02d}/{last:02d}")
        result.append(Period(label=label, start=start, end=end))
    return tuple(result)
