"""Where each membership command is sent over HTTP: one table for the service and the gateway."""

from __future__ import annotations

from services.kernel.routes import Route
from services.membership.commands import branches as org
from services.membership.commands import development as dev
from services.membership.commands import dues, meetings, mobility, transfers
from services.membership.commands import members as standing


def _case(suffix: str, command: type) -> Route:
    if not suffix:
        return Route("/development/cases", command, "person_command", new_id="person_id")
    return Route(f"/development/cases/{{person_id}}{suffix}", command, "person_command", from_path=("person_id",))


def _org(suffix: str, command: type) -> Route:
    return Route(f"/organisations/{{org_id}}{suffix}", command, "organisation_command", from_path=("org_id",))


DEVELOPMENT_STEPS: tuple[Route, ...] = (
    _case("", dev.SubmitApplication),
    _case("/interview", dev.InterviewApplicant),
    _case("/activist", dev.DesignateActivist),
    _case("/contacts", dev.AssignCultivationContacts),
    _case("/assessments", dev.RecordAssessment),
    _case("/file-transfer", dev.TransferActivistFile),
    _case("/target", dev.DesignateDevelopmentTarget),
    _case("/introducers", dev.AssignIntroducers),
    _case("/political-review", dev.CompletePoliticalReview),
    _case("/training", dev.RecordTraining),
    _case("/pre-review", dev.PreReview),
    _case("/admission-vote", dev.HoldAdmissionVote),
    _case("/admission-approval", dev.ApproveAdmission),
    _case("/oath", dev.TakeOath),
    _case("/conversion-application", dev.ApplyForConversion),
    _case("/conversion-vote", dev.HoldConversionVote),
    _case("/conversion-approval", dev.ApproveConversion),
    _case("/cancel", dev.CancelCase),
)

ORGANISATION_STEPS: tuple[Route, ...] = (
    # The organisation's id is chosen by the client (e.g. its official code), so it is in the body.
    Route("/organisations", org.EstablishOrganisation, "organisation_command"),
    _org("/friendly-committee", org.LinkFriendlyCommittee),
    _org("/committee", org.ElectCommittee),
    _org("/secretary", org.ElectSecretary),
    _org("/secretary-approval", org.ApproveSecretary),
    _org("/election-postponement", org.PostponeElection),
    _org("/election-advance", org.AdvanceElection),
    Route("/meetings", meetings.RecordMeeting, "record_meeting", new_id="meeting_id"),
    Route("/members/{member_id}/training", meetings.RecordTraining, "record_training", from_path=("member_id",),
          new_id="record_id"),
)

def _member(suffix: str, command: type, *, new_id: str | None = None) -> Route:
    return Route(f"/members/{{member_id}}{suffix}", command, "person_command", from_path=("member_id",),
                 new_id=new_id)


def _transfer(suffix: str, command: type) -> Route:
    return Route(f"/members/{{member_id}}/transfers/{{transfer_id}}{suffix}", command, "person_command",
                 from_path=("member_id", "transfer_id"))


MEMBER_STEPS: tuple[Route, ...] = (
    # Standing
    _member("/suspension", standing.SuspendMembership),
    _member("/removal-decision", standing.RemoveAsLapsed),
    _member("/removal-approval", standing.ApproveRemoval),
    _member("/removal-rejection", standing.RejectRemoval),
    _member("/restoration", standing.RestoreMembership),
    _member("/death", standing.RecordDeath),
    # Mobility
    Route("/inflows", mobility.RegisterInflow, "person_command", new_id="member_id"),
    _member("/host-reports", mobility.ReportToHost),
    _member("/certificates", mobility.IssueActivityCertificate),
    _member("/certificate-reviews", mobility.ReviewCertificate),
    _member("/certificate-return", mobility.ReturnCertificate),
    _member("/return", mobility.RegisterReturn),
    _member("/contacts", mobility.RecordContact),
    _member("/home-reports", mobility.ReportToHomeOrganisation),
    # Transfers of the organisational relationship
    _member("/transfers", transfers.RequestTransfer, new_id="transfer_id"),
    _transfer("/approval", transfers.ApproveTransferOut),
    _transfer("/reception", transfers.ReceiveTransfer),
    _transfer("/receipt", transfers.ReturnReceipt),
    _transfer("/reissue", transfers.ReissueLetter),
    _transfer("/cancellation", transfers.CancelTransfer),
)

def _dues(suffix: str, command: type, *, new_id: str | None = None) -> Route:
    return Route(f"/members/{{member_id}}/dues{suffix}", command, "dues_command", from_path=("member_id",),
                 new_id=new_id)


DUES_STEPS: tuple[Route, ...] = (
    Route("/dues/scales", dues.PublishDuesScale, "dues_policy_command"),
    _dues("/account", dues.OpenAccount),
    _dues("/income", dues.DeclareIncome),
    _dues("/assessments", dues.AssessMonth),
    _dues("/reductions", dues.ApproveReduction, new_id="approval_id"),
    _dues("/exemptions", dues.ApproveExemption, new_id="approval_id"),
    _dues("/payments", dues.RecordPayment, new_id="payment_id"),
    _dues("/valid-reasons", dues.RecordValidReason),
    _dues("/continuation", dues.ContinueAfterTransfer),
    Route("/organisations/{org_id}/dues/remittances", dues.RemitUpward, "remit_upward", from_path=("org_id",)),
)

ROUTES: tuple[Route, ...] = DEVELOPMENT_STEPS + ORGANISATION_STEPS + MEMBER_STEPS + DUES_STEPS
