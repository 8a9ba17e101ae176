"""The register of migrant workers: one stream per worker, their consent and its withdrawal.

A worker is on the register only with their consent to be on it (``register``), recorded with its day and
scope; what else they agreed to (services, sharing a case with the bureau, labour export) is checked where
it is used. Consent withdrawn ends every new use from that day; what was done before stands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from services.pure.dates import not_future
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.personal_text import not_personal
from services.pure.text import require_text
from services.workers.contract.commands import RegisterWorker, WithdrawConsent, WorkerCommand
from services.workers.contract.events import ConsentScope, ConsentWithdrawn, WorkerEvent, WorkerRegistered
from services.workers.domain import texts
from services.workers.domain.texts import bounded


@dataclass(frozen=True, kw_only=True)
class Worker:
    exists: bool = False
    worker_id: str = ""
    township_id: str = ""
    consent_scope: frozenset[ConsentScope] = frozenset()
    consent_on: date | None = None
    withdrawn_on: date | None = None

    def consents(self, scope: ConsentScope, on: date) -> bool:
        """They had agreed to ``scope`` on ``on``: given by then and not withdrawn by then."""
        return (self.exists and scope in self.consent_scope and self.consent_on is not None
                and self.consent_on <= on and (self.withdrawn_on is None or on < self.withdrawn_on))


INITIAL = Worker()


def require_consent(worker: Worker, scope: ConsentScope, on: date, worker_id: str) -> None:
    """``worker`` agreed to ``scope`` on ``on`` and has not withdrawn since. A withdrawal on record ends every new
    use, whatever day the new step names: a request, referral or group dated before the withdrawal but recorded
    after it would still open, share or send their case after they said no."""
    if not worker.exists:
        raise NotFound(f"worker {worker_id} is not on the register")
    if worker.withdrawn_on is not None:
        raise DomainError(f"worker {worker_id} withdrew their consent on {worker.withdrawn_on}: no new case, "
                          "referral or labour-export group takes them (what was done before stands)")
    if not worker.consents(scope, on):
        raise DomainError(f"worker {worker_id} has not consented to {scope.value} on {on}; record their consent "
                          "first")


def decide(state: Worker, command: WorkerCommand) -> list[WorkerEvent]:
    match command:
        case RegisterWorker():
            return [register(state, command)]
        case WithdrawConsent():
            return [withdraw(state, command)]
        case _:
            assert_never(command)


def register(state: Worker, c: RegisterWorker) -> WorkerRegistered:
    if state.exists:
        raise AlreadyExists(f"worker {c.worker_id} is already on the register")
    # The register takes no name, ID or phone: none may come in through its free text either.
    township = not_personal(bounded(require_text(c.township_id, "township_id"), "township_id", texts.ID),
                            "township_id", instead="the township's organisation id")
    village = not_personal(bounded(require_text(c.village, "village"), "village", texts.NAME), "village",
                           instead="the village's name, e.g. \"Dongcun\"")
    if ConsentScope.REGISTER not in c.consent_scope:
        raise DomainError("a worker is put on the register only with their consent to it (consent_scope must "
                          "include 'register')")
    not_future(c.consent_on, c.today, "the consent date")
    not_future(c.registered_on, c.today, "the registration date")
    if c.registered_on < c.consent_on:
        raise DomainError(f"consent ({c.consent_on}) comes before registration ({c.registered_on})")
    member = c.member_id.strip() if c.member_id else None
    if member:
        not_personal(bounded(member, "member_id", texts.ID), "member_id",
                     instead="the member id membership assigned, never the person's ID number")
    skills = tuple(dict.fromkeys(s.strip() for s in c.skills if s.strip()))
    if len(skills) > texts.SKILLS:
        raise DomainError(f"a worker is recorded with at most {texts.SKILLS} skills, not {len(skills)}")
    for skill in skills:
        not_personal(bounded(skill, "skills", texts.NAME), "skills", instead="each skill by name, e.g. \"masonry\"")
    return WorkerRegistered(worker_id=c.worker_id, township_id=township, village=village, member_id=member or None,
                            skills=skills, consent_scope=tuple(sorted(set(c.consent_scope))),
                            consent_on=c.consent_on, registered_on=c.registered_on, actor=c.actor.label)


def withdraw(state: Worker, c: WithdrawConsent) -> ConsentWithdrawn:
    if not state.exists:
        raise NotFound(f"worker {c.worker_id} is not on the register")
    if state.withdrawn_on is not None:
        raise StateConflict(f"worker {c.worker_id} withdrew their consent on {state.withdrawn_on}")
    not_future(c.withdrawn_on, c.today, "the withdrawal date")
    assert state.consent_on is not None
    if c.withdrawn_on < state.consent_on:
        raise DomainError(f"consent is withdrawn on or after it was given ({state.consent_on})")
    return ConsentWithdrawn(worker_id=c.worker_id, withdrawn_on=c.withdrawn_on, actor=c.actor.label)


def evolve(state: Worker, event: WorkerEvent) -> Worker:
    match event:
        case WorkerRegistered():
            return Worker(exists=True, worker_id=event.worker_id, township_id=event.township_id,
                          consent_scope=frozenset(event.consent_scope), consent_on=event.consent_on)
        case ConsentWithdrawn():
            return replace(state, withdrawn_on=event.withdrawn_on)
        case _:
            assert_never(event)
