"""Test data builders for the membership domain: valid by default, override what a test is about."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from services.membership.contract.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.contract.commands.development import SubmitApplication
from services.membership.contract.commands.mobility import RegisterInflow
from services.membership.contract.events import BuildMode, Contact, DuesCategory, FoundingBasis, MemberStatus
from services.membership.contract.events.personal import SealedPersonalData, mask_national_id, masked_contact
from services.membership.domain import branches, members
from services.membership.domain.personal import Protected
from services.membership.domain.rules import birth_date_from_national_id
from services.pure.identity import Actor, Role

TODAY = date(2026, 11, 24)
ADMIN = Actor(subject="admin", role=Role.COUNTY_ADMIN)
BRANCH_ID = "b-1"
SECRETARY = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id=BRANCH_ID)
CONTACT = Contact(phone="+86 138 0000 0000")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def national_id(born: date, region: str = "440305", serial: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{serial}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def establish(**overrides: Any) -> EstablishBranch:
    cmd = EstablishBranch(
        actor=ADMIN, today=TODAY, branch_id=BRANCH_ID, name="Shenzhen Longhua Branch",
        founding_basis=FoundingBasis.LOCALITY, build_mode=BuildMode.STANDALONE, home_org_id="township-a",
        host_guidance_org="Longhua street committee", destination="Shenzhen", industry="construction",
        established_on=date(2026, 3, 1),
    )
    return replace(cmd, **overrides)


def register(**overrides: Any) -> RegisterMember:
    cmd = RegisterMember(
        actor=ADMIN, today=TODAY, member_id="m-1", name="Li Wei", national_id=national_id(date(1990, 5, 17)),
        formal_org_id=BRANCH_ID, status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
        contact=CONTACT,
    )
    return replace(cmd, **overrides)


def outflow(**overrides: Any) -> RegisterOutflow:
    cmd = RegisterOutflow(
        actor=ADMIN, today=TODAY, member_id="m-1", destination="Dongguan", employer="Xin Da Electronics",
        contact=CONTACT, left_on=date(2026, 10, 1), expected_months=3,
    )
    return replace(cmd, **overrides)


def sealed(person_id: str, *, contact: Contact, national_id: str | None = None) -> Protected:
    """What the handlers' edge (handlers/personal.protect) hands the rules — the number validated, its birth
    date derived, masked forms — with a stand-in envelope: the rules never open it, so no key is needed."""
    number = national_id.strip().upper() if national_id is not None else None
    return Protected(
        sealed=SealedPersonalData(key_id=f"key-{person_id}", nonce="bm9uY2U", ciphertext="c2VhbGVk"),
        national_id_masked=mask_national_id(number) if number else None, contact_masked=masked_contact(contact),
        birth_date=birth_date_from_national_id(number) if number else None,
    )


def personal_of(cmd: Any) -> Protected | None:
    """The sealed personal data a command's handler passes its decider (None for commands without any)."""
    match cmd:
        case RegisterMember() | RegisterInflow():
            return sealed(cmd.member_id, contact=cmd.contact, national_id=cmd.national_id)
        case RegisterOutflow():
            return sealed(cmd.member_id, contact=cmd.contact)
        case SubmitApplication():
            return sealed(cmd.person_id, contact=cmd.contact, national_id=cmd.national_id)
        case _:
            return None


def an_organisation(org_id: str) -> branches.Organisation:
    """An organisation on record under ``org_id`` (a branch where members went, as a host)."""
    (event,) = branches.decide(branches.INITIAL, establish(branch_id=org_id))
    return branches.evolve(branches.INITIAL, event)


def an_established_branch() -> branches.Organisation:
    (event,) = branches.decide(branches.INITIAL, establish())
    return branches.evolve(branches.INITIAL, event)


def a_registered_member() -> members.Member:
    (event,) = members.register(members.INITIAL, register(), formal_org=an_established_branch(),
                                has_development_case=False, personal=personal_of(register()))
    return members.evolve(members.INITIAL, event)


# --- Organisations, committees and organisational life (三会一课) -----------------------------------
from decimal import Decimal  # noqa: E402

from services.membership.contract.commands.branches import (  # noqa: E402
    ElectCommittee,
    ElectSecretary,
    EstablishOrganisation,
)
from services.membership.contract.commands.meetings import RecordMeeting, RecordTraining  # noqa: E402
from services.membership.contract.events.branches import CommitteeDuty, CommitteeSeat, OrgKind  # noqa: E402
from services.membership.contract.events.meetings import MeetingKind  # noqa: E402

COUNTY_ID = "county"
TOWNSHIP_ID = "township-a"
TOWNSHIP = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id=TOWNSHIP_ID)


def establish_org(**overrides: Any) -> EstablishOrganisation:
    cmd = EstablishOrganisation(
        actor=ADMIN, today=TODAY, org_id="org-1", name="Qiaotou Township Organs Branch", kind=OrgKind.BRANCH,
        parent_id=TOWNSHIP_ID, established_on=date(2026, 1, 5),
    )
    return replace(cmd, **overrides)


def roster(n: int) -> frozenset[str]:
    """``n`` full members: m-1 … m-n."""
    return frozenset(f"m-{i}" for i in range(1, n + 1))


def committee_seats(n: int) -> tuple[CommitteeSeat, ...]:
    """``n`` seats of m-1 … m-n: secretary, organisation and discipline, propaganda, then plain members."""
    duties: list[tuple[CommitteeDuty, ...]] = [
        (CommitteeDuty.SECRETARY,), (CommitteeDuty.ORGANISATION, CommitteeDuty.DISCIPLINE), (CommitteeDuty.PROPAGANDA,),
    ]
    return tuple(CommitteeSeat(member_id=f"m-{i + 1}", duties=duties[i] if i < 3 else ()) for i in range(n))


def elect_committee(**overrides: Any) -> ElectCommittee:
    cmd = ElectCommittee(actor=SECRETARY, today=TODAY, org_id=BRANCH_ID, elected_on=date(2026, 4, 1),
                         seats=committee_seats(3))
    return replace(cmd, **overrides)


def elect_secretary(**overrides: Any) -> ElectSecretary:
    cmd = ElectSecretary(actor=SECRETARY, today=TODAY, org_id=BRANCH_ID, elected_on=date(2026, 4, 1),
                         secretary_id="m-1")
    return replace(cmd, **overrides)


def record_meeting(**overrides: Any) -> RecordMeeting:
    cmd = RecordMeeting(actor=SECRETARY, today=TODAY, meeting_id="mtg-1", org_id=BRANCH_ID,
                        kind=MeetingKind.GENERAL_MEETING, held_on=date(2026, 5, 10), present_ids=("m-1", "m-2"),
                        absent_ids=("m-3",), minutes_ref="minutes/2026-05-10.pdf")
    return replace(cmd, **overrides)


def record_training(**overrides: Any) -> RecordTraining:
    cmd = RecordTraining(actor=SECRETARY, today=TODAY, member_id="m-1", org_id=BRANCH_ID, record_id="tr-1",
                         course="Party constitution", hours=Decimal(8), trained_on=date(2026, 6, 1))
    return replace(cmd, **overrides)


# --- The member stream: standing, mobility and transfers ---------------------------------------------
from services.membership.contract.commands.members import (  # noqa: E402
    ApproveRemoval,
    RecordDeath,
    RejectRemoval,
    RemoveAsLapsed,
    RestoreMembership,
    SuspendMembership,
)
from services.membership.contract.commands.mobility import (  # noqa: E402
    IssueActivityCertificate,
    RecordContact,
    RegisterReturn,
    ReportToHomeOrganisation,
    ReportToHost,
    ReturnCertificate,
    ReviewCertificate,
)
from services.membership.contract.commands.transfers import (  # noqa: E402
    ApproveTransferOut,
    CancelTransfer,
    ExpireLetter,
    ReceiveTransfer,
    ReissueLetter,
    RequestTransfer,
    ReturnReceipt,
)
from services.membership.contract.events.members import RemovalGround  # noqa: E402
from services.membership.contract.events.mobility import ContactChannel  # noqa: E402
from services.membership.contract.events.transfers import ExternalOrganisation, TransferChannel  # noqa: E402
from services.membership.domain import mobility, standing, transfers  # noqa: E402

RECEIVING_ID = "b-2"
RECEIVING_SECRETARY = Actor(subject="sec2", role=Role.BRANCH_SECRETARY, org_id=RECEIVING_ID)
MEMBER_SELF = Actor(subject="m-1", role=Role.MEMBER)
EXTERNAL = ExternalOrganisation(org_id="ext-dg-1", name="Chang'an Town Committee, Dongguan",
                                address="1 Zhen'an Road, Chang'an, Dongguan, Guangdong")
EXTERNAL_HOST = Actor(subject="ext-clerk", role=Role.HOST_ORGANISATION, org_id=EXTERNAL.org_id)
#: The default transfer: requested and issued on ISSUED_ON, so the letter is valid until ISSUED_ON + 90 days.
ISSUED_ON = date(2026, 12, 1)


def decide(state: members.Member, cmd: Any, **facts: Any) -> list[Any]:
    """The member-stream family's own decider for ``cmd`` — as its handler calls it — given those of ``facts``
    it takes (a run of mixed commands shares one set of facts).

    A test convenience only: in the service each route row names a handler that calls one decider.
    """
    rule: Callable[..., Sequence[Any]]
    personal = personal_of(cmd)
    if personal is not None:
        facts = {"personal": personal, **facts}
    match cmd:
        case RegisterMember():
            rule, facts = members.register, {"has_development_case": False, **facts}
        case SuspendMembership() | RemoveAsLapsed() | ApproveRemoval() | RejectRemoval() | RestoreMembership() \
                | RecordDeath():
            rule = standing.decide
        case RequestTransfer() | ApproveTransferOut() | ReceiveTransfer() | ReturnReceipt() | ReissueLetter() \
                | ExpireLetter() | CancelTransfer():
            rule = transfers.decide
        case ReportToHost():
            # As the handler does: the organisation the member reports to, here one on record under that id.
            rule, facts = mobility.decide, {"host_org": an_organisation(cmd.host_org_id), **facts}
        case _:
            rule = mobility.decide
    taken = inspect.signature(rule).parameters
    return list(rule(state, cmd, **{name: value for name, value in facts.items() if name in taken}))


def run(state: members.Member, *commands: Any, **facts: Any) -> members.Member:
    """Decide and evolve each command in turn on the member stream (every command gets the same facts)."""
    for cmd in commands:
        for event in decide(state, cmd, **facts):
            state = members.evolve(state, event)
    return state


def a_receiving_branch() -> branches.Organisation:
    (event,) = branches.decide(branches.INITIAL, establish(branch_id=RECEIVING_ID, name="Dongguan Chang'an Branch",
                                                          destination="Dongguan"))
    return branches.evolve(branches.INITIAL, event)


def suspend(**overrides: Any) -> SuspendMembership:
    cmd = SuspendMembership(actor=TOWNSHIP, today=date(2027, 6, 1), member_id="m-1", suspended_on=date(2027, 6, 1),
                            reason="unreachable by phone, WeChat and family since November")
    return replace(cmd, **overrides)


def remove_as_lapsed(**overrides: Any) -> RemoveAsLapsed:
    cmd = RemoveAsLapsed(actor=SECRETARY, today=date(2029, 6, 1), member_id="m-1", decided_on=date(2029, 6, 1),
                         ground=RemovalGround.LOST_CONTACT, reason="still unreachable two years after suspension",
                         minutes_ref="minutes/2029-06-01.pdf")
    return replace(cmd, **overrides)


def approve_removal(**overrides: Any) -> ApproveRemoval:
    cmd = ApproveRemoval(actor=TOWNSHIP, today=date(2029, 6, 15), member_id="m-1", approved_on=date(2029, 6, 15))
    return replace(cmd, **overrides)


def reject_removal(**overrides: Any) -> RejectRemoval:
    cmd = RejectRemoval(actor=TOWNSHIP, today=date(2029, 6, 15), member_id="m-1", rejected_on=date(2029, 6, 15),
                        reason="the family reports he is ill in hospital")
    return replace(cmd, **overrides)


def restore(**overrides: Any) -> RestoreMembership:
    cmd = RestoreMembership(actor=TOWNSHIP, today=date(2027, 9, 1), member_id="m-1", restored_on=date(2027, 9, 1),
                            reason="contact regained; explained the absence")
    return replace(cmd, **overrides)


def record_death(**overrides: Any) -> RecordDeath:
    cmd = RecordDeath(actor=SECRETARY, today=date(2027, 3, 1), member_id="m-1", died_on=date(2027, 2, 20))
    return replace(cmd, **overrides)


def record_contact(**overrides: Any) -> RecordContact:
    cmd = RecordContact(actor=SECRETARY, today=date(2027, 1, 10), member_id="m-1", contacted_on=date(2027, 1, 10),
                        channel=ContactChannel.PHONE)
    return replace(cmd, **overrides)


def register_inflow(**overrides: Any) -> RegisterInflow:
    cmd = RegisterInflow(
        actor=SECRETARY, today=TODAY, member_id="m-9", name="Chen Jun", national_id=national_id(date(1985, 3, 2)),
        status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER, contact=CONTACT, home_org=EXTERNAL,
        host_org_id=BRANCH_ID, arrived_on=TODAY, certificate_number="GD-2026-0042",
        certificate_issued_on=date(2026, 11, 1), certificate_valid_until=date(2027, 5, 1),
        certificate_issuer="Chang'an Town Committee",
    )
    return replace(cmd, **overrides)


def report_to_host(**overrides: Any) -> ReportToHost:
    cmd = ReportToHost(actor=MEMBER_SELF, today=TODAY, member_id="m-1", host_org_id="host-dg",
                       reported_on=TODAY)
    return replace(cmd, **overrides)


def issue_certificate(**overrides: Any) -> IssueActivityCertificate:
    cmd = IssueActivityCertificate(actor=TOWNSHIP, today=TODAY, member_id="m-1", certificate_number="LD-2026-007",
                                   issued_on=TODAY, reason="seasonal factory work", destination="Dongguan",
                                   period_months=3)
    return replace(cmd, **overrides)


def review_certificate(**overrides: Any) -> ReviewCertificate:
    cmd = ReviewCertificate(actor=TOWNSHIP, today=date(2027, 1, 5), member_id="m-1",
                            certificate_number="LD-2026-007", reviewed_on=date(2027, 1, 5))
    return replace(cmd, **overrides)


def return_certificate(**overrides: Any) -> ReturnCertificate:
    cmd = ReturnCertificate(actor=SECRETARY, today=date(2027, 2, 24), member_id="m-1",
                            certificate_number="LD-2026-007", returned_on=date(2027, 2, 24))
    return replace(cmd, **overrides)


def register_return(**overrides: Any) -> RegisterReturn:
    cmd = RegisterReturn(actor=SECRETARY, today=date(2027, 2, 10), member_id="m-1", returned_on=date(2027, 2, 10))
    return replace(cmd, **overrides)


def report_home(**overrides: Any) -> ReportToHomeOrganisation:
    cmd = ReportToHomeOrganisation(actor=MEMBER_SELF, today=date(2027, 9, 1), member_id="m-1",
                                   reported_on=date(2027, 9, 1), channel=ContactChannel.WECHAT,
                                   summary="working at Xin Da, attending the host branch's theme days")
    return replace(cmd, **overrides)


def request_transfer(**overrides: Any) -> RequestTransfer:
    cmd = RequestTransfer(actor=MEMBER_SELF, today=ISSUED_ON, member_id="m-1", transfer_id="tr-1",
                          to_org_id=RECEIVING_ID, reason="settled in Dongguan with a long-term contract")
    return replace(cmd, **overrides)


def approve_transfer(**overrides: Any) -> ApproveTransferOut:
    cmd = ApproveTransferOut(actor=TOWNSHIP, today=ISSUED_ON, member_id="m-1", transfer_id="tr-1",
                             letter_number="ZZ-2026-0101", channel=TransferChannel.NATIONAL_ONLINE,
                             issued_on=ISSUED_ON, dues_paid_up_to="2026-12")
    return replace(cmd, **overrides)


def receive_transfer(**overrides: Any) -> ReceiveTransfer:
    cmd = ReceiveTransfer(actor=RECEIVING_SECRETARY, today=date(2026, 12, 10), member_id="m-1", transfer_id="tr-1",
                          letter_number="ZZ-2026-0101", received_on=date(2026, 12, 10))
    return replace(cmd, **overrides)


def return_receipt(**overrides: Any) -> ReturnReceipt:
    cmd = ReturnReceipt(actor=TOWNSHIP, today=date(2026, 12, 12), member_id="m-1", transfer_id="tr-1",
                        returned_on=date(2026, 12, 12))
    return replace(cmd, **overrides)


def reissue_letter(**overrides: Any) -> ReissueLetter:
    cmd = ReissueLetter(actor=TOWNSHIP, today=date(2027, 1, 5), member_id="m-1", transfer_id="tr-1",
                        letter_number="ZZ-2027-0003", issued_on=date(2027, 1, 5), dues_paid_up_to="2026-12",
                        reason="the member lost the paper letter on the train")
    return replace(cmd, **overrides)


def expire_letter(**overrides: Any) -> ExpireLetter:
    cmd = ExpireLetter(actor=ADMIN, today=date(2027, 3, 2), member_id="m-1", transfer_id="tr-1",
                       letter_number="ZZ-2026-0101")
    return replace(cmd, **overrides)


def cancel_transfer(**overrides: Any) -> CancelTransfer:
    cmd = CancelTransfer(actor=MEMBER_SELF, today=date(2026, 12, 5), member_id="m-1", transfer_id="tr-1",
                         cancelled_on=date(2026, 12, 5), reason="the contract fell through")
    return replace(cmd, **overrides)


def a_member_with_a_letter_out(**approve_overrides: Any) -> members.Member:
    """m-1 of b-1, transfer tr-1 to b-2 requested and approved on ISSUED_ON (letter valid 90 days)."""
    return run(a_registered_member(), request_transfer(), approve_transfer(**approve_overrides),
               receiving_org=a_receiving_branch())


def a_member_away(**outflow_overrides: Any) -> members.Member:
    """m-1 of b-1, gone out to Dongguan on 2026-10-01 for 3 months (registered on TODAY)."""
    return run(a_registered_member(), outflow(**outflow_overrides))
