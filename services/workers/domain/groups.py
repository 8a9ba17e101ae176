"""Labour-export groups (劳务输出, seed 二.3): one stream per group a township organises to a destination.

Every worker in it is on the register with consent to labour export on the day it is organised, and none
twice. The group names the outstation branch at the destination (驻外党支部), as given: this service does
not read membership's store, so the link is joined with the branch directory where it is read (the gateway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.pure.dates import not_future
from services.pure.errors import AlreadyExists, DomainError, NotFound
from services.pure.personal_text import not_personal
from services.pure.text import require_text
from services.workers.contract.commands import OrganiseExportGroup
from services.workers.contract.events import ConsentScope, ExportGroupOrganised, GroupEvent
from services.workers.domain import texts
from services.workers.domain.texts import bounded
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
    township = not_personal(bounded(require_text(c.township_id, "township_id"), "township_id", texts.ID),
                            "township_id",
                            instead="the township's organisation id")
    destination = not_personal(bounded(require_text(c.destination, "destination"), "destination", texts.NAME),
                               "destination",
                               instead="the city or site the group goes to, e.g. \"Dongguan, Guangdong\"")
    branch = not_personal(bounded(require_text(c.branch_id, "branch_id", hint="the outstation branch at the "
                                               "destination"), "branch_id", texts.ID),
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
        # The ids are typed by the committee: one shaped like a phone or ID number is refused before any answer
        # could repeat it.
        not_personal(bounded(worker_id, "worker_ids", texts.ID), "worker_ids",
                     instead="the ids the register assigned to the workers")
        worker = workers.get(worker_id, Worker())
        # Another township's worker is refused as one not on the register, before their consent is looked at:
        # the answer tells a committee nothing about other townships' workers (where they are, what they agreed).
        if not worker.exists or worker.township_id != township:
            raise NotFound(f"worker {worker_id} is not on the register of township {township}")
        require_consent(worker, ConsentScope.LABOUR_EXPORT, c.organised_on, worker_id)
    return [ExportGroupOrganised(group_id=c.group_id, township_id=township, destination=destination,
                                 branch_id=branch, worker_ids=ids, organised_on=c.organised_on,
                                 departs_on=c.departs_on, actor=c.actor.label)]


def evolve(state: Group, event: GroupEvent) -> Group:
    return Group(exists=True)
