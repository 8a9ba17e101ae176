"""Labour-export groups (劳务输出, seed 二.3): one stream per group a township organises to a destination.

Every worker in it is on the register with consent to labour export on the day it is organised, and none
twice. The group names the outstation branch at the destination (驻外党支部), as given: this service does
not read membership's store, so the link is joined with the branch directory where it is read (the gateway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.pure.dates import not_future
from services.pure.errors import AlreadyExists, DomainError
from services.pure.personal_text import not_personal
from services.pure.text import require_text
from services.workers.contract.commands import OrganiseExportGroup
from services.workers.contract.events import ConsentScope, ExportGroupOrganised, GroupEvent
from services.workers.domain.workers import Worker, require_consent
from services.workers.policy import DEFAULT_WORKERS_POLICY, WorkersPolicy


@dataclass(frozen=True, kw_only=True)
class Group:
    exists: bool = False


INITIAL = Group()


def decide(state: Group, c: OrganiseExportGroup, *, workers: Mapping[str, Worker],
           policy: WorkersPolicy = DEFAULT_WORKERS_POLICY) -> list[GroupEvent]:
    """``workers``: the register record of each worker named (missing ones are not on the register)."""
    if state.exists:
        raise AlreadyExists(f"export group {c.group_id} already exists; use a new group id")
    township = not_personal(require_text(c.township_id, "township_id"), "township_id",
                            instead="the township's organisation id")
    destination = not_personal(require_text(c.destination, "destination"), "destination",
                               instead="the city or site the group goes to, e.g. \"Dongguan, Guangdong\"")
    branch = not_personal(require_text(c.branch_id, "branch_id", hint="the outstation branch at the destination"),
                          "branch_id", instead="the id of the outstation branch at the destination")
    ids = tuple(w.strip() for w in c.worker_ids)
    if not ids or len(ids) > policy.group_max_workers:
        raise DomainError(f"a group has 1 to {policy.group_max_workers} workers (policy {policy.version})")
    if len(set(ids)) != len(ids):
        raise DomainError("a worker is named once in a group")
    not_future(c.organised_on, c.today, "the day the group is organised")
    if c.departs_on < c.organised_on:
        raise DomainError(f"the group departs ({c.departs_on}) on or after it is organised ({c.organised_on})")
    for worker_id in ids:
        worker = workers.get(worker_id, Worker())
        require_consent(worker, ConsentScope.LABOUR_EXPORT, c.organised_on, worker_id)
        if worker.township_id != township:
            raise DomainError(f"worker {worker_id} is registered in township {worker.township_id}, not {township}")
    return [ExportGroupOrganised(group_id=c.group_id, township_id=township, destination=destination,
                                 branch_id=branch, worker_ids=ids, organised_on=c.organised_on,
                                 departs_on=c.departs_on, actor=c.actor.label)]


def evolve(state: Group, event: GroupEvent) -> Group:
    return Group(exists=True)
