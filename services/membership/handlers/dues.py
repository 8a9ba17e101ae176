"""Handlers of dues: the county's scales, each member's dues account and each branch's remittances."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta
from services.membership import directory, event_indexes
from services.membership.contract.commands.dues import (
    ApproveExemption,
    ApproveReduction,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    OpenAccount,
    PublishDuesScale,
    RecordPayment,
    RecordValidReason,
    RemitUpward,
)
from services.membership.contract.events.dues import DuesAccountEvent, DuesPaid, DuesRemitted
from services.membership.domain import dues, dues_ledger, dues_policy
from services.membership.domain.dues import DuesAccount
from services.membership.domain.dues_account import dues_keepers
from services.membership.domain.dues_policy import DuesPolicy
from services.membership.handlers.records import Store, organisation, person_of, recorded

_evolve_dues = cast(Callable[[DuesAccount, Any], DuesAccount], dues.evolve)
_evolve_dues_policy = cast(Callable[[DuesPolicy, Any], DuesPolicy], dues_policy.evolve)
_evolve_ledger = cast(Callable[[dues_ledger.BranchLedger, Any], dues_ledger.BranchLedger], dues_ledger.evolve_ledger)

#: Steps on a dues account whose rules need no facts about other records beyond the published scales.
DuesStep = OpenAccount | DeclareIncome | RecordValidReason


async def publish_dues_scale(store: Store, cmd: PublishDuesScale, meta: CommandMeta) -> AppendResult:
    """Publishing a dues scale: the county's one dues-policy stream."""
    return await execute(
        store, stream_id=dues_policy.STREAM_ID, stream_type="dues-policy", evolve=_evolve_dues_policy,
        initial=dues_policy.INITIAL, decide=lambda state: dues_policy.decide(state, cmd), meta=meta,
    )


async def dues_policy_state(store: Store) -> DuesPolicy:
    """Every published scale (the shipped 2008 scale when none was published): each month's is chosen by date."""
    return state_of(await store.load(dues_policy.STREAM_ID), _evolve_dues_policy, dues_policy.INITIAL,
                    kind="dues-policy")


async def dues_account(store: Store, member_id: str) -> DuesAccount:
    return state_of(await store.load(dues.stream_id(member_id)), _evolve_dues, dues.INITIAL, kind="dues")


async def _on_account(
    store: Store, cmd: Any, member_id: str, meta: CommandMeta, decide: Callable[[DuesAccount], Any]
) -> AppendResult:
    return await execute(store, stream_id=dues.stream_id(member_id), stream_type="dues", evolve=_evolve_dues,
                         initial=dues.INITIAL, decide=recorded(store, cmd, decide), meta=meta)


async def dues_step(store: Store, cmd: DuesStep, meta: CommandMeta) -> AppendResult:
    """An account is opened only for a member on record, by the organisation that keeps their dues."""

    async def decide(account: DuesAccount) -> list[DuesAccountEvent]:
        keepers = None
        if isinstance(cmd, OpenAccount):
            member = (await person_of(store, cmd.member_id)).member
            keepers = dues_keepers(member)
        return dues.decide(account, cmd, policy=await dues_policy_state(store), keepers=keepers)

    return await _on_account(store, cmd, cmd.member_id, meta, decide)


async def continue_after_transfer(store: Store, cmd: ContinueAfterTransfer, meta: CommandMeta) -> AppendResult:
    """Dues continue on a letter the member's own record shows as received, by the organisation it names."""

    async def decide(account: DuesAccount) -> list[DuesAccountEvent]:
        member = (await person_of(store, cmd.member_id)).member
        received = member.last_received  # the transfer whose dues are being taken over
        received_by = received.to_org_id if received is not None and received.letter_number == cmd.letter_number \
            else None
        return dues.decide(account, cmd, policy=await dues_policy_state(store), letter_received_by=received_by)

    return await _on_account(store, cmd, cmd.member_id, meta, decide)


async def assess_month(
    store: Store, cmd: AssessMonth, meta: CommandMeta, *, policy: DuesPolicy | None = None
) -> AppendResult:
    """An assessment needs no facts about other records. ``policy`` lets a run over many accounts read the
    published scales once."""

    async def decide(account: DuesAccount) -> list[DuesAccountEvent]:
        return dues.decide(account, cmd, policy=policy if policy is not None else await dues_policy_state(store))

    return await _on_account(store, cmd, cmd.member_id, meta, decide)


async def approve_relief(store: Store, cmd: ApproveReduction | ApproveExemption, meta: CommandMeta) -> AppendResult:
    """A reduction or exemption is approved by the committee next above the member's branch."""

    async def decide(account: DuesAccount) -> list[DuesAccountEvent]:
        member = (await person_of(store, cmd.member_id)).member
        branch = await organisation(store, member.formal_org_id if member.exists else None)
        return dues.decide(account, cmd, policy=await dues_policy_state(store),
                           next_higher_org_id=branch.parent_id or branch.home_org_id or None)

    return await _on_account(store, cmd, cmd.member_id, meta, decide)


async def record_payment(store: Store, cmd: RecordPayment, meta: CommandMeta) -> AppendResult:
    """A host organisation records payments of members holding its activity certificate."""

    async def decide(account: DuesAccount) -> list[DuesAccountEvent]:
        return dues.decide(account, cmd, policy=await dues_policy_state(store),
                           certificate_host_org_id=await directory.certificate_host_of(store.pool, cmd.member_id))

    return await _on_account(store, cmd, cmd.member_id, meta, decide)


async def remit_upward(store: Store, cmd: RemitUpward, meta: CommandMeta) -> AppendResult:
    """Passing collected dues upward: the amount must equal what the branch collected in the period."""

    async def decide(ledger: dues_ledger.BranchLedger) -> list[DuesRemitted]:
        policy = await dues_policy_state(store)
        rows = await store.pool.fetch(event_indexes.DUES_PAID_AT, cmd.org_id)
        paid = [r.event for r in await store.read_positions([row["position"] for row in rows])
                if isinstance(r.event, DuesPaid)]
        try:  # the same period bounds the rule will use: the frequency in force on the period's 1 January
            scale = policy.scale_on(date(int(cmd.period[:4]), 1, 1))
            start, end = dues_ledger.period_bounds(cmd.period, scale.remittance_frequency)
        except (ValueError, KeyError):
            start = end = date.min  # a malformed period: the rule refuses it with a message
        collected = dues_ledger.collections(paid, cmd.org_id, start, end)
        return dues_ledger.decide_ledger(ledger, cmd, collected=collected, policy=policy)

    return await execute(
        store, stream_id=dues_ledger.ledger_stream_id(cmd.org_id), stream_type="dues-ledger", evolve=_evolve_ledger,
        initial=dues_ledger.LEDGER_INITIAL, decide=recorded(store, cmd, decide), meta=meta,
    )
