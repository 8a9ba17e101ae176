"""Transfers of organisational relationship (组织关系转接, B3) on the member's one stream.

One transfer at a time. The sender stays responsible until ``TransferReceived``: until then
``formal_org_id`` is unchanged, and ``TransferReceived`` is the only event that changes it.

Who acts (D6): the member or their secretary requests; the sending committee (township or county,
the base committees that "transfer and receive directly nationwide") approves and issues the letter —
a branch secretary does not; the receiving organisation (its secretary or committee, or an external
organisation through a ``host_organisation`` token scoped to its id) receives; the final receiving
committee returns the receipt (回执); the last handling organisation (the sending committee) re-issues a
lost letter; the deadline engine (acting as county_admin) expires letters.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import assert_never

from services.membership.contract.commands.transfers import (
    ApproveTransferOut,
    CancelTransfer,
    ExpireLetter,
    ReceiveTransfer,
    ReissueLetter,
    RequestTransfer,
    ReturnReceipt,
)
from services.membership.contract.events.branches import OrgKind
from services.membership.contract.events.transfers import (
    ReceiptReturned,
    TransferCancelled,
    TransferExpired,
    TransferLetterIssued,
    TransferLetterReissued,
    TransferReceived,
    TransferRequested,
)
from services.membership.domain.branches import Organisation
from services.membership.domain.member_state import (
    ACTIVE,
    Letter,
    Member,
    ReceivedTransfer,
    Transfer,
    existing,
    require_standing,
    self_or_scope,
)
from services.membership.domain.personal import ORG_ADDRESS
from services.membership.policy.mobility import MobilityPolicy, mobility_policy_on
from services.pure.dates import add_months, check_date, effective_on, latest, year_month
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import not_personal, reason_text
from services.pure.text import require_text

TransferCommand = (
    RequestTransfer | ApproveTransferOut | ReceiveTransfer | ReturnReceipt | ReissueLetter | ExpireLetter
    | CancelTransfer
)
TransferEvent = (
    TransferRequested | TransferLetterIssued | TransferLetterReissued | TransferReceived | ReceiptReturned
    | TransferExpired | TransferCancelled
)

_COMMITTEES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)


def decide(
    state: Member, command: TransferCommand, *, policy: MobilityPolicy | None = None,
    receiving_org: Organisation | None = None,
) -> list[TransferEvent]:
    """``receiving_org``: the state of the receiving organisation (RequestTransfer: the one named in ``to_org_id``, or
    the one recorded here under ``to_external.org_id``, if any).
    ``policy``: the one in force on the day the command's fact took effect (a letter's issue day decides its
    validity, whenever it is entered) unless given."""
    policy = policy or mobility_policy_on(effective_on(command))
    match command:
        case RequestTransfer():
            return [_request(state, command, receiving_org)]
        case ApproveTransferOut():
            return [_approve(state, command, policy)]
        case ReceiveTransfer():
            return [_receive(state, command)]
        case ReturnReceipt():
            return [_return_receipt(state, command)]
        case ReissueLetter():
            return [_reissue(state, command, policy)]
        case ExpireLetter():
            return [_expire(state, command)]
        case CancelTransfer():
            return [_cancel(state, command)]
        case _:
            assert_never(command)


def evolve(state: Member, event: TransferEvent) -> Member:
    match event:
        case TransferRequested():
            transfer = Transfer(transfer_id=event.transfer_id, requested_on=event.requested_on,
                                from_org_id=event.from_org_id, to_org_id=event.to_org_id, to_external=event.to_external)
            return replace(state, transfer=transfer)
        case TransferLetterIssued():
            letter = Letter(number=event.letter_number, channel=event.channel, issued_on=event.issued_on,
                            valid_until=event.valid_until, dues_paid_up_to=event.dues_paid_up_to,
                            issuing_org_id=event.approving_org_id)
            return replace(state, transfer=_with_letter(state, letter),
                           letter_numbers=state.letter_numbers | {event.letter_number})
        case TransferLetterReissued():
            letter = Letter(number=event.letter_number, channel=event.channel, issued_on=event.issued_on,
                            valid_until=event.valid_until, dues_paid_up_to=event.dues_paid_up_to,
                            issuing_org_id=event.reissuing_org_id)
            return replace(state, transfer=_with_letter(state, letter),
                           letter_numbers=state.letter_numbers | {event.letter_number})
        case TransferReceived():
            # The one place the formal organisation changes; a member now settled is no longer mobile.
            received = ReceivedTransfer(transfer_id=event.transfer_id, letter_number=event.letter_number,
                                        from_org_id=event.from_org_id, to_org_id=event.to_org_id,
                                        received_on=event.received_on)
            return replace(
                state, formal_org_id=event.to_org_id, external_org=event.to_external, transfer=None,
                last_received=received, received_letters=state.received_letters | {event.letter_number},
                away=None, certificate=None, last_contact_on=latest(state.last_contact_on, event.received_on),
            )
        case ReceiptReturned():
            done = replace(state.last_received, receipt_returned_on=event.returned_on) if state.last_received else None
            return replace(state, last_received=done)
        case TransferExpired():
            if state.transfer is None or state.transfer.letter is None:
                return state
            expired = replace(state.transfer.letter, expired_on=event.expired_on)
            return replace(state, transfer=replace(state.transfer, letter=expired))
        case TransferCancelled():
            return replace(state, transfer=None)
        case _:
            assert_never(event)


def due_items(state: Member, on: date, policy: MobilityPolicy | None = None) -> list[DueItem]:
    """``transfer_letter_expiring`` (listed ``letter_alarm_days_before`` its ``valid_until``; overdue the day
    after, when the engine may expire it) and ``transfer_lapse_review`` (B3: 6 months after the first letter,
    still not received). Only while a letter is out; the sender is responsible until receipt."""
    policy = policy or mobility_policy_on(on)
    transfer = state.transfer
    if not state.exists or state.deceased_on is not None or transfer is None or transfer.letter is None:
        return []
    letter = transfer.letter
    items: list[DueItem] = []
    if letter.expired_on is None and on >= letter.valid_until - timedelta(days=policy.letter_alarm_days_before):
        items.append(DueItem(kind="transfer_letter_expiring", due_on=letter.valid_until, subject_id=state.member_id,
                             overdue=on > letter.valid_until))
    lapse = lapse_review_on(transfer, policy)
    if lapse is not None and on >= lapse:
        items.append(DueItem(kind="transfer_lapse_review", due_on=lapse, subject_id=state.member_id,
                             overdue=on > lapse))
    return items


def lapse_review_on(transfer: Transfer, policy: MobilityPolicy) -> date | None:
    """B3/D4: the lapse review falls ``lapse_months`` after the first letter was issued."""
    return add_months(transfer.first_issued_on, policy.lapse_months) if transfer.first_issued_on else None


def _with_letter(state: Member, letter: Letter) -> Transfer | None:
    if state.transfer is None:
        return None
    old = state.transfer.letter
    return replace(state.transfer, letter=letter, first_issued_on=state.transfer.first_issued_on or letter.issued_on,
                   void_letters=state.transfer.void_letters + ((old.number,) if old else ()))


def _in_progress(state: Member, transfer_id: str) -> Transfer:
    transfer = state.transfer
    if transfer is None:
        raise StateConflict(f"member {state.member_id} has no transfer in progress")
    if transfer.transfer_id != transfer_id:
        raise StateConflict(f"the transfer in progress is {transfer.transfer_id}, not the one named")
    return transfer


def _sending_committee(actor: Actor, state: Member, action: str) -> str:
    """The sending organisation's authority: our township or county committee; for a member whose formal
    organisation is outside the county, that organisation (host_organisation token scoped to it), or our
    committee recording its paper letter."""
    if actor.role in _COMMITTEES:
        return actor.org_id or "county"
    if state.external_org is not None and actor.role is Role.HOST_ORGANISATION and actor.org_id == state.formal_org_id:
        return state.formal_org_id
    raise Forbidden(f"only the sending organisation's township or county committee may {action}; "
                    f"a {actor.role.value} cannot — a branch secretary asks the township committee")


def _receiving_side(actor: Actor, to_org_id: str, *, external: bool, action: str, committees_only: bool = False) -> str:
    if actor.role in _COMMITTEES:
        return actor.org_id or "county"
    if external:
        if actor.role is Role.HOST_ORGANISATION and actor.org_id == to_org_id:
            return to_org_id
    elif actor.role is Role.BRANCH_SECRETARY and actor.org_id == to_org_id and not committees_only:
        return to_org_id
    raise Forbidden(f"only the receiving organisation {to_org_id} may {action}")


def _request(state: Member, cmd: RequestTransfer, receiving_org: Organisation | None) -> TransferRequested:
    existing(state, cmd.member_id)
    host = state.away.host_org_id if state.away else None
    self_or_scope(cmd.actor, state, "request transfers", state.formal_org_id, host)
    require_standing(state, "transfer their organisational relationship", *ACTIVE)
    if state.transfer is not None:
        raise StateConflict(
            f"transfer {state.transfer.transfer_id} to {state.transfer.to_org_id} is already in progress; one transfer "
            "at a time — receive or cancel it first"
        )
    if (cmd.to_org_id is None) == (cmd.to_external is None):
        raise DomainError("give either to_org_id (an organisation here) or to_external (one outside the county)")
    if cmd.to_external is not None:
        external = cmd.to_external
        for value, name in ((external.org_id, "org_id"), (external.name, "name"), (external.address, "address")):
            require_text(value, f"to_external.{name}")
        not_personal(external.name, "to_external.name", instead="the receiving Party organisation's name")
        not_personal(external.address, "to_external.address", instead=ORG_ADDRESS)
        to_org_id = cmd.to_external.org_id.strip()
        here = receiving_org if receiving_org is not None and receiving_org.org_id == to_org_id else None
        if here is not None and here.exists and here.kind is not OrgKind.HOST_ORGANISATION:
            # Else a member moving inside the county left its roster: received "outside" into a branch here, with
            # no dues following them and the receiving township's tree bypassed (review of 2026-12-02).
            raise DomainError(f"{to_org_id} is an organisation of this county, not one outside it; name it in "
                              "to_org_id instead of to_external")
    else:
        to_org_id = require_text(cmd.to_org_id or "", "to_org_id")
        if receiving_org is None:
            raise TypeError("RequestTransfer to an organisation here needs the context parameter receiving_org=")
        if not receiving_org.exists:
            raise NotFound(f"receiving organisation {to_org_id} does not exist; check the id or name an external one")
    if to_org_id == state.formal_org_id:
        raise DomainError(f"{to_org_id} is already the member's formal organisation")
    return TransferRequested(
        member_id=state.member_id, transfer_id=require_text(cmd.transfer_id, "transfer_id"),
        requested_on=effective_on(cmd),
        from_org_id=state.formal_org_id, to_org_id=to_org_id, to_external=cmd.to_external,
        reason=reason_text(cmd.reason, "why the member transfers"), actor=cmd.actor.label,
    )



def _letter_number(state: Member, number: str) -> str:
    """A new letter's number. One quoted to receive or expire a letter is only matched against it, not checked."""
    number = not_personal(require_text(number, "letter_number"), "letter_number",
                          instead="the introduction letter's own number, as printed on it (e.g. \"组转字2026第12号\")")
    if number in state.letter_numbers:
        raise AlreadyExists(f"letter number {number} was already used for this member; a letter gets a new number")
    return number


def _dues_month(value: str) -> str:
    return year_month(value, "dues_paid_up_to")


def _approve(state: Member, cmd: ApproveTransferOut, policy: MobilityPolicy) -> TransferLetterIssued:
    existing(state, cmd.member_id)
    approving_org = _sending_committee(cmd.actor, state, "approve transfers out and issue letters")
    transfer = _in_progress(state, cmd.transfer_id)
    if transfer.letter is not None:
        raise StateConflict(f"letter {transfer.letter.number} was already issued for this transfer; re-issue if lost")
    require_standing(state, "transfer their organisational relationship", *ACTIVE)
    check_date(cmd.issued_on, cmd.today, "issued_on", not_before=transfer.requested_on, earlier="the request")
    return TransferLetterIssued(
        member_id=state.member_id, transfer_id=transfer.transfer_id, letter_number=_letter_number(state,
                                                                                                cmd.letter_number),
        channel=cmd.channel, issued_on=cmd.issued_on,
        valid_until=cmd.issued_on + timedelta(days=policy.letter_validity_days),
        dues_paid_up_to=_dues_month(cmd.dues_paid_up_to), from_org_id=transfer.from_org_id,
        to_org_id=transfer.to_org_id, to_external=transfer.to_external, actor=cmd.actor.label,
        approving_org_id=approving_org, policy_version=policy.version,
    )


def _receive(state: Member, cmd: ReceiveTransfer) -> TransferReceived:
    existing(state, cmd.member_id)
    if cmd.letter_number in state.received_letters:
        last = state.last_received
        when = f" on {last.received_on} by {last.to_org_id}" if last and last.letter_number == cmd.letter_number else ""
        raise StateConflict(f"this letter was already received{when}; a letter is received once")
    transfer = _in_progress(state, cmd.transfer_id)
    receiving_org = _receiving_side(cmd.actor, transfer.to_org_id, external=transfer.to_external is not None,
                                    action="receive this transfer")
    letter = transfer.letter
    if letter is None:
        raise StateConflict("no letter has been issued yet; the sending committee approves the transfer out first")
    if cmd.letter_number in transfer.void_letters:
        raise StateConflict(f"that letter is void; it was re-issued as {letter.number}")
    if cmd.letter_number != letter.number:
        raise StateConflict(f"the letter number does not match the letter issued for transfer {transfer.transfer_id}")
    check_date(cmd.received_on, cmd.today, "received_on", not_before=letter.issued_on, earlier="the letter's issue")
    # The receipt date decides: a letter received on its last valid day is accepted even if the
    # deadline engine has meanwhile marked it expired; the day after it is refused.
    if cmd.received_on > letter.valid_until:
        raise DomainError(
            f"letter {letter.number} was valid until {letter.valid_until}; it expired the day after — ask the sending "
            "organisation to re-issue it"
        )
    return TransferReceived(
        member_id=state.member_id, transfer_id=transfer.transfer_id, letter_number=letter.number,
        received_on=cmd.received_on, from_org_id=transfer.from_org_id, to_org_id=transfer.to_org_id,
        to_external=transfer.to_external, certificate_closed=state.certificate.number if state.certificate else None,
        actor=cmd.actor.label, receiving_org_id=receiving_org,
    )


def _return_receipt(state: Member, cmd: ReturnReceipt) -> ReceiptReturned:
    existing(state, cmd.member_id)
    last = state.last_received
    if last is None or last.transfer_id != cmd.transfer_id:
        raise StateConflict(f"transfer {cmd.transfer_id} has not been received; the receipt follows the receipt of "
                            "the member")
    if last.receipt_returned_on is not None:
        raise StateConflict(f"the receipt of transfer {last.transfer_id} was already returned on "
                            f"{last.receipt_returned_on}")
    # B3: only the final receiving (base) committee returns the receipt; it is now the formal organisation.
    returning_org = _receiving_side(cmd.actor, last.to_org_id, external=state.external_org is not None,
                                    action="return the receipt (回执)", committees_only=True)
    check_date(cmd.returned_on, cmd.today, "returned_on", not_before=last.received_on, earlier="the receipt")
    return ReceiptReturned(
        member_id=state.member_id, transfer_id=last.transfer_id, letter_number=last.letter_number,
        returned_on=cmd.returned_on, from_org_id=last.from_org_id, to_org_id=last.to_org_id, actor=cmd.actor.label,
        returning_org_id=returning_org,
    )


def _reissue(state: Member, cmd: ReissueLetter, policy: MobilityPolicy) -> TransferLetterReissued:
    existing(state, cmd.member_id)
    reissuing_org = _sending_committee(cmd.actor, state, "re-issue transfer letters")
    transfer = _in_progress(state, cmd.transfer_id)
    old = transfer.letter
    if old is None:
        raise StateConflict("no letter has been issued yet; approve the transfer out instead")
    check_date(cmd.issued_on, cmd.today, "issued_on", not_before=old.issued_on, earlier="the lost letter's issue")
    return TransferLetterReissued(
        member_id=state.member_id, transfer_id=transfer.transfer_id, void_letter_number=old.number,
        letter_number=_letter_number(state, cmd.letter_number), channel=cmd.channel or old.channel,
        issued_on=cmd.issued_on, valid_until=cmd.issued_on + timedelta(days=policy.letter_validity_days),
        dues_paid_up_to=_dues_month(cmd.dues_paid_up_to), reason=reason_text(cmd.reason, "why the letter is re-issued"),
        actor=cmd.actor.label, reissuing_org_id=reissuing_org, policy_version=policy.version,
    )


def _expire(state: Member, cmd: ExpireLetter) -> TransferExpired:
    existing(state, cmd.member_id)
    if cmd.actor.role not in _COMMITTEES:
        raise Forbidden("letters are expired by the deadline engine or a committee")
    transfer = _in_progress(state, cmd.transfer_id)
    letter = transfer.letter
    if letter is None or letter.number != cmd.letter_number:
        raise StateConflict(f"{cmd.letter_number} is not the current letter of transfer {transfer.transfer_id}")
    if letter.expired_on is not None:
        raise StateConflict(f"letter {letter.number} already expired on {letter.expired_on}")
    if cmd.today <= letter.valid_until:
        raise DomainError(f"letter {letter.number} is valid until {letter.valid_until}; it expires from the day after")
    return TransferExpired(member_id=state.member_id, transfer_id=transfer.transfer_id, letter_number=letter.number,
                           valid_until=letter.valid_until, expired_on=cmd.today, actor=cmd.actor.label)


def _cancel(state: Member, cmd: CancelTransfer) -> TransferCancelled:
    existing(state, cmd.member_id)
    transfer = _in_progress(state, cmd.transfer_id)
    if transfer.letter is None:
        cancelling_org = self_or_scope(cmd.actor, state, "cancel transfer requests", state.formal_org_id)
    else:
        # A letter is out: only the committee that issued it can make it void.
        cancelling_org = _sending_committee(cmd.actor, state, "cancel a transfer whose letter is issued")
    check_date(cmd.cancelled_on, cmd.today, "cancelled_on", not_before=transfer.requested_on, earlier="the request")
    return TransferCancelled(
        member_id=state.member_id, transfer_id=transfer.transfer_id, cancelled_on=cmd.cancelled_on,
        void_letter_number=transfer.letter.number if transfer.letter else None,
        reason=reason_text(cmd.reason, "why the transfer is cancelled"), actor=cmd.actor.label,
        cancelling_org_id=cancelling_org,
    )
