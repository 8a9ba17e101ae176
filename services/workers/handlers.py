"""Workers command handlers: load, fold, decide, append — and the register records a case or group reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from services.kernel import policy_stream
from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.policy_data import PublishPolicyChange, in_force
from services.workers.contract.commands import (
    CaseCommand,
    OrganiseExportGroup,
    ReferCase,
    RequestService,
    WorkerCommand,
)
from services.workers.domain import cases, groups, workers
from services.workers.policy import DEFAULT_WORKERS_POLICIES, POLICY_BOOK, WorkersPolicy

Store = EventStore[Any]

# One stream holds one record's events, so each record's evolve is used on the service-wide event type.
_evolve_worker = cast(Callable[[workers.Worker, Any], workers.Worker], workers.evolve)
_evolve_case = cast(Callable[[cases.Case, Any], cases.Case], cases.evolve)
_evolve_group = cast(Callable[[groups.Group, Any], groups.Group], groups.evolve)


def worker_stream(worker_id: str) -> str:
    return f"worker-{worker_id}"


def case_stream(case_id: str) -> str:
    return f"case-{case_id}"


def group_stream(group_id: str) -> str:
    return f"group-{group_id}"


async def worker_of(store: Store, worker_id: str) -> workers.Worker:
    return state_of(await store.load(worker_stream(worker_id)), _evolve_worker, workers.INITIAL, kind="worker")


async def policy_on(store: Store, day: date) -> WorkersPolicy:
    """The policy in force on ``day``: the code version with the county's published changes effective by then."""
    return in_force(DEFAULT_WORKERS_POLICIES, await policy_stream.published_changes(store), "workers", day)


async def publish_policy_change(store: Store, cmd: PublishPolicyChange, meta: CommandMeta) -> AppendResult:
    """A county setting of the migrant-worker services changed from a day after today."""
    return await policy_stream.publish_policy_change(store, cmd, meta, POLICY_BOOK)


async def case_of(store: Store, case_id: str) -> cases.Case:
    return state_of(await store.load(case_stream(case_id)), _evolve_case, cases.INITIAL, kind="case")


async def worker_step(store: Store, cmd: WorkerCommand, meta: CommandMeta) -> AppendResult:
    return await execute(store, stream_id=worker_stream(cmd.worker_id), stream_type="worker", evolve=_evolve_worker,
                         initial=workers.INITIAL, decide=lambda state: workers.decide(state, cmd), meta=meta)


async def case_step(store: Store, cmd: CaseCommand, meta: CommandMeta) -> AppendResult:
    """Any step on a case, with the policy in force on the command's day; a request and a referral read the
    worker's consent on the register."""
    policy = await policy_on(store, cmd.today)

    async def decide(state: cases.Case) -> list[Any]:
        worker = None
        if isinstance(cmd, RequestService):
            worker = await worker_of(store, cmd.worker_id)
        elif isinstance(cmd, ReferCase) and state.exists:
            worker = await worker_of(store, state.worker_id)
        return cases.decide(state, cmd, policy=policy, worker=worker)

    return await execute(store, stream_id=case_stream(cmd.case_id), stream_type="case", evolve=_evolve_case,
                         initial=cases.INITIAL, decide=decide, meta=meta)


async def organise_group(store: Store, cmd: OrganiseExportGroup, meta: CommandMeta) -> AppendResult:
    policy = await policy_on(store, cmd.today)

    async def decide(state: groups.Group) -> list[Any]:
        named = {w.strip(): await worker_of(store, w.strip()) for w in cmd.worker_ids[:policy.group_max_workers]}
        return groups.decide(state, cmd, workers=named, policy=policy)

    return await execute(store, stream_id=group_stream(cmd.group_id), stream_type="export_group", evolve=_evolve_group,
                         initial=groups.INITIAL, decide=decide, meta=meta)
