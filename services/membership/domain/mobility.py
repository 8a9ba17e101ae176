"""Mobile members (流动党员, B4): outflow and inflow, reports, activity certificates, contact and return.

The decider and evolver of the mobility part of the one member stream (see member_state.Member):
its handlers call ``decide`` here directly and members.evolve folds its events here. Certificate
holders take part at the host but vote only in their formal organisation (``may_vote_in``).

Where a member can be reached is their contact, sealed with their key; every other text here — destination,
employer, a certificate's number and reason, notes, findings, summaries, an arriving member's name and home
organisation — is kept in clear and refused when it holds anything shaped like a phone, ID, bank card, passport or
permit number (services/pure/personal_text.py). A certificate number quoted to find one already issued is not
checked again: it is matched, never recorded anew.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import assert_never

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
from services.membership.contract.events.common import Instrument, MemberStatus
from services.membership.contract.events.members import OutflowRegistered
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    CertificateReviewed,
    ContactRecorded,
    InflowRegistered,
    MemberReturned,
    ReportedToHomeOrganisation,
    ReportedToHost,
)
from services.membership.domain.branches import Organisation
from services.membership.domain.member_state import (
    ACTIVE,
    Away,
    Certificate,
    Member,
    committee,
    existing,
    in_county,
    require_standing,
    self_or_scope,
)
from services.membership.domain.personal import NAME_ONLY, ORG_ADDRESS, Protected, birth_date_of
from services.membership.domain.rules import require_org_scope
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY, MobilityPolicy, mobility_policy_on
from services.pure.dates import add_months, check_date, effective_on, latest
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal
from services.pure.text import needed, require_text

#: What each text kept in clear takes instead of a number (services/pure/personal_text.py).
_DESTINATION = "the city or district the member works in, e.g. \"Dongguan, Guangdong\""
_CERTIFICATE_NUMBER = "the activity certificate's own number, as printed on it"
_CONTACT_NOTE = ("what was said, in words; a member's new phone belongs in their contact, which membership seals, "
                 "never in a note")

MobilityCommand = (
    RegisterOutflow | RegisterInflow | ReportToHost | IssueActivityCertificate | ReviewCertificate
    | ReturnCertificate | RegisterReturn | RecordContact | ReportToHomeOrganisation
)
MobilityEvent = (
    OutflowRegistered | InflowRegistered | ReportedToHost | CertificateIssued | CertificateReviewed
    | CertificateInspected | MemberReturned | ContactRecorded | ReportedToHomeOrganisation
)


def decide(
    state: Member, command: MobilityCommand, *, policy: MobilityPolicy | None = None,
    host_org: Organisation | None = None, members_at_destination: int | None = None,
    personal: Protected | None = None,
) -> list[MobilityEvent]:
    """``host_org``: the host organisation's state (RegisterInflow). ``members_at_destination``: members
    (this one included) going out to the certificate's destination, for the cluster rule; None skips it.
    ``personal``: the person's data sealed by the handler (RegisterOutflow, RegisterInflow).
    ``policy``: the one in force on the command's day unless given."""
    policy = policy or mobility_policy_on(effective_on(command))
    match command:
        case RegisterOutflow():
            return [_register_outflow(state, command, policy, needed(personal, "personal", "RegisterOutflow"))]
        case RegisterInflow():
            return [_register_inflow(state, command, host_org, needed(personal, "personal", "RegisterInflow"))]
        case ReportToHost():
            return [_report_to_host(state, command, host_org)]
        case IssueActivityCertificate():
            return [_issue_certificate(state, command, policy, members_at_destination)]
        case ReviewCertificate():
            return [_review_certificate(state, command, policy)]
        case ReturnCertificate():
            existing(state, command.member_id)
            return [_inspect(state, command.actor, command.today, command.certificate_number, command.returned_on,
                             returned=True, findings=command.findings)]
        case RegisterReturn():
            return _register_return(state, command)
        case RecordContact():
            return [_record_contact(state, command)]
        case ReportToHomeOrganisation():
            return [_report_home(state, command)]
        case _:
            assert_never(command)


def evolve(state: Member, event: MobilityEvent) -> Member:
    match event:
        case OutflowRegistered():
            away = Away(left_on=event.left_on, destination=event.destination, employer=event.employer,
                        expected_months=event.expected_months, fixed_place=event.fixed_place,
                        instrument_advised=event.instrument_advised)
            return replace(state, away=away, last_contact_on=latest(state.last_contact_on, event.left_on))
        case InflowRegistered():
            certificate = Certificate(
                number=event.certificate_number, issued_on=event.certificate_issued_on,
                valid_until=event.certificate_valid_until, destination=event.host_org_id,
                issuing_org_id=event.certificate_issuer, foreign=True,
            )
            return replace(
                state, exists=True, member_id=event.member_id, formal_org_id=event.home_org.org_id,
                external_org=event.home_org, status=event.status, registered_on=event.arrived_on,
                last_contact_on=event.arrived_on, certificate=certificate,
                certificate_numbers=state.certificate_numbers | {event.certificate_number},
                away=Away(left_on=event.arrived_on, destination=event.host_org_id, host_org_id=event.host_org_id,
                          reported_to_host_on=event.arrived_on, inflow=True),
            )
        case ReportedToHost():
            host = replace(state.away, host_org_id=event.host_org_id, reported_to_host_on=event.reported_on) \
                if state.away else None
            return replace(state, away=host, last_contact_on=latest(state.last_contact_on, event.reported_on))
        case CertificateIssued():
            certificate = Certificate(
                number=event.certificate_number, issued_on=event.issued_on, valid_until=event.valid_until,
                destination=event.destination, issuing_org_id=event.issuing_org_id,
                transfer_impossible=event.transfer_impossible,
            )
            return replace(state, certificate=certificate,
                           certificate_numbers=state.certificate_numbers | {event.certificate_number})
        case CertificateReviewed():
            reviewed = replace(state.certificate, last_reviewed_on=event.reviewed_on) if state.certificate else None
            return replace(state, certificate=reviewed)
        case CertificateInspected():
            return replace(state, certificate=None)
        case MemberReturned():
            return replace(state, away=None, last_contact_on=latest(state.last_contact_on, event.returned_on))
        case ContactRecorded():
            return replace(state, last_contact_on=latest(state.last_contact_on, event.contacted_on))
        case ReportedToHomeOrganisation():
            return replace(state, last_home_report_on=latest(state.last_home_report_on, event.reported_on),
                           last_contact_on=latest(state.last_contact_on, event.reported_on))
        case _:
            assert_never(event)


def may_vote_in(state: Member, org_id: str) -> bool:
    """Votes, elects and stands only in the formal organisation, and only as a full member (B4, D3).

    Certificate holders take part in life at the host but have no vote there; probationary members
    have no vote anywhere; suspended, removed and deceased members none at all.
    """
    return (state.exists and state.deceased_on is None and state.status is MemberStatus.FULL
            and state.formal_org_id == org_id)


def branch_needed(
    destinations: Iterable[tuple[str, str]], policy: MobilityPolicy = DEFAULT_MOBILITY_POLICY
) -> list[str]:
    """Destinations where ≥3 (policy) distinct members go: a branch, temporary branch or Party group is
    set up there instead of certificates (B4). Places are compared ignoring case and surrounding space;
    each is returned as first spelled, in order of first appearance."""
    spelled: dict[str, str] = {}
    going: dict[str, set[str]] = {}
    for member_id, destination in destinations:
        key = " ".join(destination.split()).casefold()
        if not key:
            continue
        spelled.setdefault(key, destination.strip())
        going.setdefault(key, set()).add(member_id)
    return [spelled[key] for key, ids in going.items() if len(ids) >= policy.cluster_branch_threshold]


def due_items(state: Member, on: date, policy: MobilityPolicy | None = None) -> list[DueItem]:
    """``home_report_due`` (a year after leaving or the last report), ``certificate_review_due`` (annual,
    when the policy switch is on) and ``certificate_return_due`` (the certificate's ``valid_until``).

    Each item is listed from its due date; ``overdue`` the day after.
    """
    policy = policy or mobility_policy_on(on)
    if not state.in_county or state.deceased_on is not None or state.status not in ACTIVE:
        return []
    items: list[tuple[str, date]] = []
    if state.away is not None:
        last = latest(state.away.left_on, state.last_home_report_on) or state.away.left_on
        items.append(("home_report_due", add_months(last, policy.home_report_interval_months)))
    cert = state.certificate
    if cert is not None and not cert.foreign:
        if policy.certificate_annual_review:
            last_review = cert.last_reviewed_on or cert.issued_on
            items.append(("certificate_review_due", add_months(last_review, policy.certificate_review_interval_months)))
        items.append(("certificate_return_due", cert.valid_until))
    return [DueItem(kind=kind, due_on=due, subject_id=state.member_id, overdue=on > due)
            for kind, due in items if on >= due]


def _register_outflow(
    state: Member, cmd: RegisterOutflow, policy: MobilityPolicy, personal: Protected
) -> OutflowRegistered:
    existing(state, cmd.member_id)
    require_org_scope(cmd.actor, state.formal_org_id, "register outflows of members")
    in_county(state, "register the member's outflow")
    if state.status is MemberStatus.REMOVED:
        raise DomainError("a removed member's outflow is not registered")
    if state.away is not None:
        raise StateConflict(
            f"member is already registered as away in {state.away.destination} since {state.away.left_on}; "
            "register their return first"
        )
    if not 1 <= cmd.expected_months <= policy.max_expected_months:
        raise DomainError(f"expected_months must be between 1 and {policy.max_expected_months}")
    if cmd.left_on > cmd.today:
        raise DomainError(f"left_on {cmd.left_on} is in the future; register the outflow when the member leaves")
    destination = not_personal(require_text(cmd.destination, "destination"), "destination", instead=_DESTINATION)
    employer = not_personal(require_text(cmd.employer, "employer"), "employer",
                            instead="the employer's name; where the member can be reached goes in contact (sealed)")
    # B3/B4: six months or more at a relatively fixed place calls for a transfer.
    long_stay = cmd.fixed_place and cmd.expected_months >= policy.transfer_threshold_months
    return OutflowRegistered(
        member_id=cmd.member_id, destination=destination, employer=employer, contact_masked=personal.contact_masked,
        left_on=cmd.left_on, expected_months=cmd.expected_months, fixed_place=cmd.fixed_place,
        instrument_advised=Instrument.TRANSFER if long_stay else Instrument.ACTIVITY_CERTIFICATE,
        policy_version=policy.version, personal=personal.sealed,
    )


def _register_inflow(
    state: Member, cmd: RegisterInflow, host: Organisation | None, personal: Protected
) -> InflowRegistered:
    require_org_scope(cmd.actor, cmd.host_org_id, "register members arriving at a host organisation")
    if state.exists:
        raise AlreadyExists(f"member {cmd.member_id} is already registered here")
    if host is None:
        raise TypeError("RegisterInflow needs the context parameter host_org=")
    if not host.exists:
        raise NotFound(f"host organisation {cmd.host_org_id} does not exist")
    if cmd.status not in ACTIVE:
        raise DomainError("an arriving member is probationary or full; other standing is kept at home")
    birth_date_of(personal)  # the handler validated the number; one must have been given
    check_date(cmd.arrived_on, cmd.today, "arrived_on")
    if cmd.certificate_valid_until < cmd.certificate_issued_on:
        raise DomainError("certificate_valid_until is before certificate_issued_on; check the certificate")
    for value, name in ((cmd.name, "name"), (cmd.certificate_number, "certificate_number"),
                        (cmd.certificate_issuer, "certificate_issuer"), (cmd.home_org.org_id, "home_org.org_id"),
                        (cmd.home_org.name, "home_org.name"), (cmd.home_org.address, "home_org.address")):
        require_text(value, name)
    not_personal(cmd.name, "name", instead=NAME_ONLY)
    not_personal(cmd.certificate_number, "certificate_number", instead=_CERTIFICATE_NUMBER)
    not_personal(cmd.certificate_issuer, "certificate_issuer", instead="the issuing Party committee, by name")
    not_personal(cmd.home_org.name, "home_org.name", instead="the home Party organisation's name")
    not_personal(cmd.home_org.address, "home_org.address", instead=ORG_ADDRESS)
    return InflowRegistered(
        member_id=cmd.member_id, name=cmd.name.strip(), national_id_masked=personal.national_id_masked or "",
        status=cmd.status, dues_category=cmd.dues_category, contact_masked=personal.contact_masked,
        personal=personal.sealed, home_org=cmd.home_org, host_org_id=cmd.host_org_id,
        arrived_on=cmd.arrived_on, certificate_number=cmd.certificate_number.strip(),
        certificate_issued_on=cmd.certificate_issued_on, certificate_valid_until=cmd.certificate_valid_until,
        certificate_issuer=cmd.certificate_issuer.strip(),
        # B4: the host verifies the certificate and never refuses; an out-of-date one is only recorded.
        certificate_expired=cmd.certificate_valid_until < cmd.arrived_on, actor=cmd.actor.label,
    )


def _report_to_host(state: Member, cmd: ReportToHost, host_org: Organisation | None) -> ReportedToHost:
    existing(state, cmd.member_id)
    host_org_id = require_text(cmd.host_org_id, "host_org_id")
    if host_org is None:
        raise TypeError("ReportToHost needs the context parameter host_org=")
    if not host_org.exists:  # else the member was reported to no one, and out of every scope but their own
        raise NotFound(f"organisation {host_org_id} does not exist; the member reports to an organisation on record "
                       "(a host organisation or a branch where they went)")
    self_or_scope(cmd.actor, state, "report to a host organisation", host_org_id, state.formal_org_id)
    if state.away is None:
        raise StateConflict("the member is not registered as away; register the outflow first")
    if cmd.actor.role is Role.HOST_ORGANISATION:
        _require_presented_certificate(state, cmd)
    check_date(cmd.reported_on, cmd.today, "reported_on", not_before=state.away.left_on, earlier="leaving")
    return ReportedToHost(member_id=state.member_id, host_org_id=host_org_id, reported_on=cmd.reported_on,
                          actor=cmd.actor.label)


def _require_presented_certificate(state: Member, cmd: ReportToHost) -> None:
    """B4: the host verifies the activity certificate the member presents. Naming a host puts the member in its
    scope, so a host records a report only with the certificate in hand, and never takes over a member another
    host already received: the member or their own organisation records a move to another host."""
    away, certificate = state.away, state.certificate
    if away is not None and away.host_org_id not in (None, cmd.host_org_id):
        raise Forbidden(f"{state.member_id} reported to another host organisation; the member or their own "
                        "organisation records a move to a new host")
    quoted = (cmd.certificate_number or "").strip()
    if certificate is None or not quoted or quoted != certificate.number:
        raise Forbidden("a host organisation records a member's report with the activity certificate the member "
                        "presented: give its number in certificate_number (a member without a valid certificate, "
                        "or their own organisation, records the report instead)")


def _issue_certificate(
    state: Member, cmd: IssueActivityCertificate, policy: MobilityPolicy, members_at_destination: int | None
) -> CertificateIssued:
    existing(state, cmd.member_id)
    issuing_org = committee(cmd.actor, "issue activity certificates")  # B4: the base (township) committee
    in_county(state, "issue the member's certificate")
    require_standing(state, "receive an activity certificate", *ACTIVE)
    if state.away is None:
        raise StateConflict("register the outflow first: the member reports reason, time, place and contact before "
                            "leaving (B4)")
    if state.certificate is not None:
        raise StateConflict(f"the member already holds certificate {state.certificate.number} until "
                            f"{state.certificate.valid_until}; inspect it before issuing another")
    number = not_personal(require_text(cmd.certificate_number, "certificate_number"), "certificate_number",
                          instead=_CERTIFICATE_NUMBER)
    if number in state.certificate_numbers:
        raise AlreadyExists(f"certificate number {number} was already used for this member")
    check_date(cmd.issued_on, cmd.today, "issued_on")
    if cmd.period_months < 1:
        raise DomainError("period_months must be at least 1")
    reason = cmd.transfer_impossible_reason.strip() if cmd.transfer_impossible_reason else None
    not_personal(reason or "", "transfer_impossible_reason", instead=in_words("why a transfer is not yet possible"))
    if cmd.transfer_impossible and not reason:
        raise DomainError("say why a transfer is not yet possible in transfer_impossible_reason")
    stay = max(cmd.period_months, state.away.expected_months)
    if state.away.fixed_place and stay >= policy.transfer_threshold_months and not cmd.transfer_impossible:
        raise DomainError(
            f"a stay of {stay} months at a relatively fixed place ({state.away.destination}) calls for a transfer of "
            f"the organisational relationship, not an activity certificate ({policy.transfer_threshold_months} months "
            "or more, B3/B4); request a transfer (RequestTransfer), or give transfer_impossible with the reason"
        )
    if cmd.period_months > policy.certificate_max_months and not cmd.transfer_impossible:
        raise DomainError(
            f"a certificate is issued for at most {policy.certificate_max_months} months; for longer, transfer the "
            "organisational relationship, or give transfer_impossible with the reason"
        )
    clustered = members_at_destination is not None and members_at_destination >= policy.cluster_branch_threshold
    return CertificateIssued(
        member_id=state.member_id, certificate_number=number, issued_on=cmd.issued_on,
        valid_until=add_months(cmd.issued_on, cmd.period_months), period_months=cmd.period_months,
        reason=not_personal(require_text(cmd.reason, "reason"), "reason", instead=in_words("why the member is away")),
        destination=not_personal(require_text(cmd.destination, "destination"), "destination", instead=_DESTINATION),
        transfer_impossible=cmd.transfer_impossible, transfer_impossible_reason=reason if cmd.transfer_impossible
        else None, branch_advised=clustered, actor=cmd.actor.label, issuing_org_id=issuing_org,
        policy_version=policy.version,
    )


def _held(state: Member, number: str) -> Certificate:
    cert = state.certificate
    if cert is None:
        raise StateConflict("the member holds no activity certificate")
    if cert.number != number:
        raise StateConflict(f"the member's certificate is {cert.number}, not {number}")
    if cert.foreign:
        raise StateConflict(f"certificate {number} was issued by {cert.issuing_org_id}; it reviews and inspects it")
    return cert


def _review_certificate(state: Member, cmd: ReviewCertificate, policy: MobilityPolicy) -> CertificateReviewed:
    existing(state, cmd.member_id)
    reviewing_org = committee(cmd.actor, "review activity certificates")
    cert = _held(state, cmd.certificate_number)
    check_date(cmd.reviewed_on, cmd.today, "reviewed_on", not_before=cert.issued_on, earlier="the issue date")
    next_due = add_months(cmd.reviewed_on, policy.certificate_review_interval_months) \
        if policy.certificate_annual_review else None
    return CertificateReviewed(
        member_id=state.member_id, certificate_number=cert.number, reviewed_on=cmd.reviewed_on,
        note=not_personal(cmd.note.strip(), "note", instead=in_words("what the review found")),
        next_review_due=next_due, actor=cmd.actor.label, reviewing_org_id=reviewing_org, policy_version=policy.version,
    )


def _inspect(state: Member, actor: Actor, today: date, number: str, on: date, *, returned: bool,
             findings: str) -> CertificateInspected:
    require_org_scope(actor, state.formal_org_id, "inspect activity certificates")
    not_personal(findings, "findings", instead=in_words("what the inspection found"))
    cert = _held(state, number)
    check_date(on, today, "returned_on", not_before=cert.issued_on, earlier="the issue date")
    return CertificateInspected(
        member_id=state.member_id, certificate_number=cert.number, inspected_on=on, returned=returned,
        findings=findings.strip(), actor=actor.label, inspecting_org_id=actor.org_id or state.formal_org_id,
    )


def _register_return(state: Member, cmd: RegisterReturn) -> list[MobilityEvent]:
    existing(state, cmd.member_id)
    if state.away is None:
        raise StateConflict("the member is not registered as away; there is no return to register")
    # An inflow member goes back to their home elsewhere: the host records it.
    scope = state.away.host_org_id if state.away.inflow else state.formal_org_id
    require_org_scope(cmd.actor, scope or "", "register members' returns")
    check_date(cmd.returned_on, cmd.today, "returned_on", not_before=state.away.left_on, earlier="leaving")
    events: list[MobilityEvent] = [MemberReturned(member_id=state.member_id, returned_on=cmd.returned_on,
                                                  actor=cmd.actor.label)]
    cert = state.certificate
    if cert is not None and not cert.foreign:
        # B4: the member hands the certificate back for inspection on coming back.
        events.append(_inspect(state, cmd.actor, cmd.today, cert.number, cmd.returned_on,
                               returned=cmd.certificate_returned, findings=cmd.findings))
    return events


def _record_contact(state: Member, cmd: RecordContact) -> ContactRecorded:
    existing(state, cmd.member_id)
    host = state.away.host_org_id if state.away else None
    self_or_scope(cmd.actor, state, "record contacts", state.formal_org_id, host)
    if state.status is MemberStatus.REMOVED:
        raise StateConflict("a removed member's contacts are no longer recorded")
    check_date(cmd.contacted_on, cmd.today, "contacted_on")
    return ContactRecorded(member_id=state.member_id, contacted_on=cmd.contacted_on, channel=cmd.channel,
                           note=not_personal(cmd.note.strip(), "note", instead=_CONTACT_NOTE), actor=cmd.actor.label)


def _report_home(state: Member, cmd: ReportToHomeOrganisation) -> ReportedToHomeOrganisation:
    existing(state, cmd.member_id)
    self_or_scope(cmd.actor, state, "record reports to the home organisation", state.formal_org_id)
    in_county(state, "receive the member's yearly report")
    if state.away is None:
        raise StateConflict("only a member away reports to the home organisation; register the outflow first")
    check_date(cmd.reported_on, cmd.today, "reported_on", not_before=state.away.left_on, earlier="leaving")
    return ReportedToHomeOrganisation(member_id=state.member_id, reported_on=cmd.reported_on, channel=cmd.channel,
                                      summary=not_personal(require_text(cmd.summary, "summary"), "summary",
                                                           instead=in_words("what the member reported")),
                                      actor=cmd.actor.label)
