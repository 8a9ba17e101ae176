"""Handlers of transfers of the organisational relationship (B3), on the person's one stream."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services.kernel.store import AppendResult, CommandMeta
from services.membership import dues_reactions
from services.membership.contract.commands.transfers import (
    ApproveTransferOut,
    CancelTransfer,
    ExpireLetter,
    ReceiveTransfer,
    ReissueLetter,
    RequestTransfer,
    ReturnReceipt,
)
from services.membership.domain import transfers
from services.membership.domain.dues_arrears import dues_paid_up_to
from services.membership.domain.person import Person
from services.membership.domain.transfers import TransferEvent
from services.membership.handlers.dues import dues_account, dues_policy_state
from services.membership.handlers.policies import policies
from services.membership.handlers.records import Store, on_person, organisation
from services.pure.dates import effective_on

#: Transfer steps whose rules need no facts about other records.
TransferStep = ReceiveTransfer | ReturnReceipt | ExpireLetter | CancelTransfer


async def request_transfer(store: Store, cmd: RequestTransfer, meta: CommandMeta) -> AppendResult:
    """A transfer to an organisation here needs that organisation to exist; one outside the county must not be
    one of ours."""
    county = await policies(store)

    async def decide(person: Person) -> list[TransferEvent]:
        named = cmd.to_org_id or (cmd.to_external.org_id.strip() if cmd.to_external else None)
        receiving = await organisation(store, named) if named else None
        return transfers.decide(person.member, cmd, receiving_org=receiving,
                                policy=county.mobility(effective_on(cmd)))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def approve_transfer_out(store: Store, cmd: ApproveTransferOut, meta: CommandMeta) -> AppendResult:
    """The letter states the month dues are paid up to, from the member's dues account when there is one."""
    county = await policies(store)

    async def decide(person: Person) -> list[TransferEvent]:
        paid = await _paid_up_to(store, cmd.member_id, cmd.issued_on)
        letter = replace(cmd, dues_paid_up_to=paid) if paid else cmd
        return transfers.decide(person.member, letter, policy=county.mobility(cmd.issued_on))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def reissue_letter(store: Store, cmd: ReissueLetter, meta: CommandMeta) -> AppendResult:
    """A re-issued letter states the month dues are paid up to, like the first."""
    county = await policies(store)

    async def decide(person: Person) -> list[TransferEvent]:
        paid = await _paid_up_to(store, cmd.member_id, cmd.issued_on)
        letter = replace(cmd, dues_paid_up_to=paid) if paid else cmd
        return transfers.decide(person.member, letter, policy=county.mobility(cmd.issued_on))

    return await on_person(store, cmd, cmd.member_id, meta, decide)


async def transfer_step(store: Store, cmd: TransferStep, meta: CommandMeta) -> AppendResult:
    """Receiving, the receipt, expiry and cancellation: the member's stream alone decides."""
    county = await policies(store)
    return await on_person(store, cmd, cmd.member_id, meta,
                           lambda person: transfers.decide(person.member, cmd,
                                                           policy=county.mobility(effective_on(cmd))))


async def receive_transfer(store: Store, cmd: ReceiveTransfer, meta: CommandMeta) -> AppendResult:
    """The reception, then its reactions: the member's dues account moves to the receiving organisation, or closes
    when that organisation is outside the county (services/membership/dues_reactions.py says why that is a second
    append, made exactly once)."""
    result = await transfer_step(store, cmd, meta)
    await dues_reactions.follow_appended(store, result)
    return result


async def _paid_up_to(store: Store, member_id: str, on: date) -> str | None:
    """B3: taken from the member's dues account when there is one, so the receiving organisation continues
    from the next month without a gap; None leaves the month the sender wrote on the letter."""
    account = await dues_account(store, member_id)
    if not account.exists:
        return None
    return dues_paid_up_to(account, on, await dues_policy_state(store))
