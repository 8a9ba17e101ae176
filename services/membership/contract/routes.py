"""Membership's command routes: path, command, handler, who may send it and which records they reach."""

from __future__ import annotations

from typing import Any, TypeVar

from services.kernel.routes import CommandRoute, Handler
from services.membership.contract import bodies
from services.membership.contract.commands import branches as org
from services.membership.contract.commands import development as dev
from services.membership.contract.commands import dues, meetings, mobility, transfers
from services.membership.contract.commands import members as standing
from services.membership.handlers import development as hdevelopment
from services.membership.handlers import dues as hdues
from services.membership.handlers import members as hmembers
from services.membership.handlers import mobility as hmobility
from services.membership.handlers import organisations as horganisations
from services.membership.handlers import personal as hpersonal
from services.membership.handlers import policies as hpolicies
from services.membership.handlers import transfers as htransfers
from services.pure.identity import Role
from services.pure.policy_data import PublishPolicyChange

C = TypeVar("C")

_COUNTY = (Role.COUNTY_ADMIN,)
_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
_BRANCH = (*_STAFF, Role.BRANCH_SECRETARY)
_SELF = (*_BRANCH, Role.MEMBER)
_HOST = (*_BRANCH, Role.HOST_ORGANISATION)

#: Which records each role reaches: decided for every command by services/membership/access.py (the one place).
ORGANISATION_SCOPE = ("county: any organisation; a township committee: the organisations of its township; a branch "
                      "secretary: its own organisation; a host organisation: itself and the branches linked to it")
CASE_SCOPE = ("county: any case; a township committee: the cases of its township; a branch secretary: the cases of "
              "its own organisation; a member: their own case")
MEMBER_SCOPE = ("county: any member; a township committee: the members of its township; a branch secretary: the "
                "members of its own organisation; a host organisation: the members reported or transferred to it "
                "and those of the branches linked to it; a member: their own record")


def _case(
    suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...] = _BRANCH
) -> CommandRoute[C]:
    if not suffix:
        return CommandRoute(path="/development/cases", command=command, handler=handler, new_id="person_id",
                            roles=roles, scope=CASE_SCOPE, location="/v1/development/cases/{id}", summary=summary)
    return CommandRoute(path=f"/development/cases/{{person_id}}{suffix}", command=command, handler=handler,
                        from_path=("person_id",), roles=roles, scope=CASE_SCOPE,
                        location="/v1/development/cases/{person_id}", summary=summary)


DEVELOPMENT_STEPS: tuple[CommandRoute[Any], ...] = (
    _case("", dev.SubmitApplication, hdevelopment.submit_application,
          "Record an application to join (入党申请). The applicant must be 18; mobile persons may apply to an "
          "outstation branch. The interview is due within a month."),
    _case("/interview", dev.InterviewApplicant, hdevelopment.case_step,
          "Record the talk with the applicant."),
    _case("/activist", dev.DesignateActivist, hdevelopment.case_step,
          "Designate the applicant as activist (入党积极分子), filed with the higher committee."),
    _case("/contacts", dev.AssignCultivationContacts, hdevelopment.name_members,
          "Assign one or two full members as cultivation contacts."),
    _case("/assessments", dev.RecordAssessment, hdevelopment.case_step,
          "Record the six-monthly assessment (a contact may record it).", _SELF),
    _case("/file-transfer", dev.TransferActivistFile, hdevelopment.case_step,
          "Move the case to another organisation; cultivation time keeps counting."),
    _case("/target", dev.DesignateDevelopmentTarget, hdevelopment.case_step,
          "Designate a development target (发展对象) after a year as activist."),
    _case("/introducers", dev.AssignIntroducers, hdevelopment.name_members,
          "Fix the two full-member introducers."),
    _case("/political-review", dev.CompletePoliticalReview, hdevelopment.case_step,
          "Record the conclusion of the political review (findings stay restricted)."),
    _case("/training", dev.RecordTraining, hdevelopment.case_step,
          "Record training (at least 24 hours or 3 days before the pre-review)."),
    _case("/pre-review", dev.PreReview, hdevelopment.approve,
          "Pre-review by the base committee with approval authority.", _STAFF),
    _case("/admission-vote", dev.HoldAdmissionVote, hdevelopment.hold_vote,
          "Record the general meeting's vote: quorum more than half of those entitled; passed when yes votes are more "
          "than half of the entitled full members."),
    _case("/admission-approval", dev.ApproveAdmission, hdevelopment.approve,
          "Approve the admission (approval authority only): probation starts.", _STAFF),
    _case("/oath", dev.TakeOath, hdevelopment.case_step,
          "Record the oath."),
    _case("/conversion-application", dev.ApplyForConversion, hdevelopment.case_step,
          "Record the application for full membership.", _SELF),
    _case("/conversion-vote", dev.HoldConversionVote, hdevelopment.hold_vote,
          "Record the meeting's resolution: convert, extend (once, 6–12 months) or cancel."),
    _case("/conversion-approval", dev.ApproveConversion, hdevelopment.approve,
          "Approve the conversion resolution (approval authority only).", _STAFF),
    _case("/cancel", dev.CancelCase, hdevelopment.case_step,
          "Close a case before admission."),
)


def _org(
    suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...] = _BRANCH
) -> CommandRoute[C]:
    return CommandRoute(path=f"/organisations/{{org_id}}{suffix}", command=command, handler=handler,
                        from_path=("org_id",), roles=roles, scope=ORGANISATION_SCOPE,
                        summary=summary)


ORGANISATION_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/branches", command=org.EstablishBranch,
                 handler=horganisations.establish_branch, new_id="branch_id",
                 body=bodies.EstablishBranchBody, roles=_STAFF, scope=ORGANISATION_SCOPE,
                 location="/v1/branches/{id}",
                 summary="Establish an outstation Party branch (驻外党支部). A township committee establishes "
                         "branches it manages itself. Send an `Idempotency-Key` header to make retries safe."),
    # The organisation's id is chosen by the client (e.g. its official code), so it is in the body.
    CommandRoute(path="/organisations", command=org.EstablishOrganisation,
                 handler=horganisations.establish_organisation,
                 roles=_STAFF, scope=ORGANISATION_SCOPE,
                 summary="Add an organisation to the tree: county or township committee, general branch, branch, "
                         "temporary branch or Party group. Its id is yours to choose."),
    # The host organisation's id is chosen by the county (e.g. its official code), so it is in the body.
    CommandRoute(path="/host-organisations", command=org.RegisterHostOrganisation,
                 handler=horganisations.register_host_organisation, roles=_COUNTY, scope=ORGANISATION_SCOPE,
                 summary="Put a host-locality Party organisation on record (e.g. the street or park Party committee "
                         "where migrant members work): outside the county's tree, it guides outstation branches "
                         "linked to it and records the organisational life it holds for their members. A host "
                         "organisation's token (role host_organisation, its id) then reaches what is linked to it."),
    _org("/host-guidance", org.LinkHostGuidance, horganisations.link_host_guidance,
         "Link an outstation branch to the registered host organisation that guides it (双重指导): from then on the "
         "host's scope reaches the branch and its members, and their attendance at its meetings counts as their "
         "organisational life.", _STAFF),
    _org("/friendly-committee", org.LinkFriendlyCommittee, horganisations.organisation_step,
         "Twin a township- or institution-based outstation branch with a host Party committee (友好党委)."),
    _org("/committee", org.ElectCommittee, horganisations.elect,
         "Record the election of a committee (≥7 full members: 3–5 seats, at most 7). A cadre seconded to this "
         "branch (外出锻炼) may hold a seat while their relationship stays at home: mark it `seconded_cadre` and name "
         "the cadre and the secondment, which the gateway checks against the secondment records (409 when the "
         "cadre is not linked to the member or has no secondment in progress placed here)."),
    _org("/secretary", org.ElectSecretary, horganisations.elect,
         "Record the election of a secretary (and a deputy) where there are under 7 full members; a "
         "member-entrepreneur may stand."),
    _org("/secretary-approval", org.ApproveSecretary, horganisations.organisation_step,
         "Approve the elected secretary (the higher organisation).", _STAFF),
    _org("/election-postponement", org.PostponeElection, horganisations.organisation_step,
         "Postpone the next election by at most a year (approval recorded).", _STAFF),
    _org("/election-advance", org.AdvanceElection, horganisations.organisation_step,
         "Advance the next election by at most a year (approval recorded).", _STAFF),
    CommandRoute(path="/meetings", command=meetings.RecordMeeting,
                 handler=horganisations.record_meeting, new_id="meeting_id",
                 roles=_HOST, scope=ORGANISATION_SCOPE,
                 summary="Record a meeting of organisational life (三会一课) with its attendance; certificate holders "
                         "attend without a vote. A host organisation records the meetings it holds itself: those "
                         "present are the members it hosts (reported to it or holding its certificate) and the "
                         "members of the branches it guides; none votes there, and their attendance counts as "
                         "their organisational life."),
    CommandRoute(path="/meetings/{meeting_id}/date-correction", command=meetings.CorrectMeetingDate,
                 handler=horganisations.correct_meeting_date, from_path=("meeting_id",),
                 roles=_HOST, scope=ORGANISATION_SCOPE,
                 summary="Correct the day a recorded meeting was held: a new event naming the version it corrects "
                         "and why (the record is never edited); attendance is counted against that day's roster."),
    CommandRoute(path="/members/{member_id}/training", command=meetings.RecordTraining,
                 handler=horganisations.record_training,
                 from_path=("member_id",), new_id="record_id", roles=_BRANCH, scope=MEMBER_SCOPE,
                 summary="Record a member's training hours (32 a year; 56 for secretaries and committee members)."),
)


def _member(suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...],
            new_id: str | None = None) -> CommandRoute[C]:
    return CommandRoute(path=f"/members/{{member_id}}{suffix}", command=command, handler=handler,
                        from_path=("member_id",), new_id=new_id, roles=roles, scope=MEMBER_SCOPE,
                        location="/v1/members/{member_id}", summary=summary)


def _transfer(
    suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...]
) -> CommandRoute[C]:
    return CommandRoute(path=f"/members/{{member_id}}/transfers/{{transfer_id}}{suffix}", command=command,
                        handler=handler, from_path=("member_id", "transfer_id"), roles=roles,
                        scope=MEMBER_SCOPE, location="/v1/members/{member_id}", summary=summary)


_STAFF_OR_HOST = (*_STAFF, Role.HOST_ORGANISATION)

MEMBER_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/members", command=standing.RegisterMember,
                 handler=hmembers.register_member, new_id="member_id",
                 body=bodies.RegisterMemberBody, roles=_BRANCH, scope=MEMBER_SCOPE, location="/v1/members/{id}",
                 summary="Register a member with their one formal organisation and dues category. A branch "
                         "secretary registers members only into their own branch."),
    CommandRoute(path="/members/{member_id}/outflows", command=standing.RegisterOutflow,
                 handler=hmobility.register_outflow,
                 from_path=("member_id",), body=bodies.RegisterOutflowBody, roles=_BRANCH, scope=MEMBER_SCOPE,
                 location="/v1/members/{member_id}",
                 summary="Register that a member has gone out to work: destination, employer, contact, expected "
                         "stay. The event records whether the stay calls for a transfer of the organisational "
                         "relationship (six months or more at a fixed place) or an activity certificate."),
    # Standing
    _member("/suspension", standing.SuspendMembership, hmembers.change_standing,
            "Suspend (停止党籍) after six months without contact (higher committee).", _STAFF),
    _member("/removal-decision", standing.RemoveAsLapsed, hmembers.remove_as_lapsed,
            "Record the branch meeting's decision to remove a lapsed member (step 1).", _BRANCH),
    _member("/removal-approval", standing.ApproveRemoval, hmembers.end_membership,
            "Approve the removal (step 2, the higher organisation). The member's dues account closes: dues are "
            "owed up to and including the month of the removal, never after.", _STAFF),
    _member("/removal-rejection", standing.RejectRemoval, hmembers.change_standing,
            "Reject the branch's removal decision.", _STAFF),
    _member("/restoration", standing.RestoreMembership, hmembers.change_standing,
            "Restore a suspended member once contact is regained.", _STAFF),
    _member("/death", standing.RecordDeath, hmembers.end_membership,
            "Record a member's death. Their dues account closes: dues are owed up to and including the month of "
            "the death, never after.", _BRANCH),
    # Personal data (PIPL)
    _member("/erasure", standing.ErasePersonalData, hpersonal.erase_personal_data,
            "Forget a person (个人信息删除, PIPL): their data key is destroyed, so their national ID number, phone, "
            "address and WeChat id — sealed with that key in every event — can never be read again. History and "
            "its hash chains stay intact; views show the person as erased. County only, and final.", _COUNTY),
    # Mobility
    CommandRoute(path="/inflows", command=mobility.RegisterInflow,
                 handler=hmobility.register_inflow, new_id="member_id",
                 roles=_HOST, scope=MEMBER_SCOPE, location="/v1/members/{id}",
                 summary="Register a member from elsewhere arriving at a host organisation here."),
    _member("/host-reports", mobility.ReportToHost, hmobility.report_to_host,
            "Record that a mobile member reported to the host organisation: by the member, their own organisation, or "
            "the host with the activity certificate the member presented (its number in certificate_number).",
            (*_HOST, Role.MEMBER)),
    _member("/certificates", mobility.IssueActivityCertificate, hmobility.mobility_step,
            "Issue an activity certificate (流动党员活动证; township committee). Six months or more at a fixed place "
            "calls for a transfer instead.", _STAFF),
    _member("/certificate-reviews", mobility.ReviewCertificate, hmobility.mobility_step,
            "Record the yearly review of a certificate.", _STAFF),
    _member("/certificate-return", mobility.ReturnCertificate, hmobility.mobility_step,
            "Record the certificate returned and inspected.", _BRANCH),
    _member("/return", mobility.RegisterReturn, hmobility.mobility_step,
            "Register that a mobile member came home (the certificate is inspected).", _BRANCH),
    _member("/contacts", mobility.RecordContact, hmobility.mobility_step,
            "Record a contact with a mobile member (it resets the six-month clock).", _SELF),
    _member("/home-reports", mobility.ReportToHomeOrganisation, hmobility.mobility_step,
            "Record the member's yearly report to the home organisation.", _SELF),
    # Transfers of the organisational relationship
    _member("/transfers", transfers.RequestTransfer, htransfers.request_transfer,
            "Ask to transfer the organisational relationship, to an organisation here or one outside the county (name "
            "and address).", _SELF, new_id="transfer_id"),
    _transfer("/approval", transfers.ApproveTransferOut, htransfers.approve_transfer_out,
              "Approve the transfer out: the introduction letter (number, channel, dues paid up to which month; valid "
              "90 days by policy).", _STAFF_OR_HOST),
    _transfer("/reception", transfers.ReceiveTransfer, htransfers.receive_transfer,
              "Receive the member: from now on the receiving organisation is their formal organisation, and their "
              "dues account kept here moves to it (the months paid before stay paid; it is owed from the first "
              "month not settled); received by an organisation outside the county, the account closes instead, owed "
              "up to and including the month of the reception. A letter is accepted up to its last valid day.", _HOST),
    _transfer("/receipt", transfers.ReturnReceipt, htransfers.transfer_step,
              "Return the receipt (回执) to the sender.", _STAFF_OR_HOST),
    _transfer("/reissue", transfers.ReissueLetter, htransfers.reissue_letter,
              "Re-issue a lost letter (the old one becomes void).", _STAFF_OR_HOST),
    _transfer("/cancellation", transfers.CancelTransfer, htransfers.transfer_step,
              "Cancel a transfer that has not been received.", _SELF),
)


def _dues(suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...] = _BRANCH,
          new_id: str | None = None) -> CommandRoute[C]:
    return CommandRoute(path=f"/members/{{member_id}}/dues{suffix}", command=command, handler=handler,
                        from_path=("member_id",), new_id=new_id, roles=roles, scope=MEMBER_SCOPE,
                        location="/v1/members/{member_id}/dues", summary=summary)


DUES_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/dues/scales", command=dues.PublishDuesScale,
                 handler=hdues.publish_dues_scale, roles=_COUNTY,
                 scope="the county", summary="Publish a dues scale, effective from the first day of a month (never "
                                             "retroactive). The 2008 national scale is the default."),
    _dues("/account", dues.OpenAccount, hdues.dues_step,
          "Open a member's dues account: category, base and the month dues are owed from (probationary members: their "
          "admission month)."),
    _dues("/income", dues.DeclareIncome, hdues.dues_step,
          "Declare a new income base from a month (applied as the policy's change-of-income rule says).", _SELF),
    _dues("/assessments", dues.AssessMonth, hdues.assess_month,
          "Assess one month: base, bracket, rate and the policy version are recorded. A month after the account "
          "closed (the membership ended) is 409."),
    _dues("/reductions", dues.ApproveReduction, hdues.approve_relief,
          "Approve a reduction (the next-higher committee, after the branch studied it).",
          _STAFF, new_id="approval_id"),
    _dues("/exemptions", dues.ApproveExemption, hdues.approve_relief,
          "Approve an exemption (the next-higher committee, after the branch studied it).",
          _STAFF, new_id="approval_id"),
    _dues("/payments", dues.RecordPayment, hdues.record_payment,
          "Record a payment by the member or a proxy: consecutive months from the oldest unpaid, at most 6 months of "
          "arrears and 6 of prepayment; an organisation never pays for a member; a voluntary payment of 1000 yuan or "
          "more goes to the Central Committee. Amounts are strings with at most two decimals. A closed account "
          "(death, removal, transfer out of the county) still takes payments for months up to its closing month; "
          "a later month is 409.",
          _HOST, new_id="payment_id"),
    _dues("/valid-reasons", dues.RecordValidReason, hdues.dues_step,
          "Record a valid reason for unpaid months (they no longer count for lapse)."),
    _dues("/continuation", dues.ContinueAfterTransfer, hdues.continue_after_transfer,
          "Open the dues account at the receiving organisation of a member received here whose dues were kept "
          "elsewhere, or reopen there the account of a member who transferred out of the county and came back: "
          "from the month after the letter's 'paid up to' month, no double charge (a return: never before the month "
          "after the closing month; the months between are a gap owed by nobody here, the months before stay owed). "
          "An account kept here needs no command: it moves when the transfer is received (409 here). On a return "
          "the category and base may be left out (the last known apply). An account closed by a death or a removal "
          "never reopens (409).", _HOST),
    CommandRoute(path="/organisations/{org_id}/dues/remittances", command=dues.RemitUpward,
                 handler=hdues.remit_upward,
                 from_path=("org_id",), roles=_BRANCH, scope=ORGANISATION_SCOPE,
                 summary="Pass a period's collected dues upward (exactly what the branch collected)."),
)

POLICY_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/policies/membership", command=PublishPolicyChange, handler=hpolicies.publish_policy_change,
                 roles=_COUNTY, scope="the county",
                 summary="Publish a change of membership settings (policy 'membership': the recording rule's "
                         "limit and first day of records; 'mobility', 'organisation' or 'development') from a day "
                         "after today; facts dated (for the recording rule: recorded) from that day on are decided "
                         "by it. "
                         "docs/policies.md lists every setting."),
)

ROUTES: tuple[CommandRoute[Any], ...] = (
    DEVELOPMENT_STEPS + ORGANISATION_STEPS + MEMBER_STEPS + DUES_STEPS + POLICY_STEPS
)
