"""Commands on Party organisations and outstation branches: the tree, committees, secretaries and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.membership.contract.events.branches import CommitteeSeat, OrgKind
from services.membership.contract.events.common import BuildMode, FoundingBasis
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class EstablishBranch:
    """Set up an outstation branch (驻外党支部), managed by its home organisation, guided by the host."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("established_on",)
    branch_id: str
    name: str
    founding_basis: FoundingBasis
    build_mode: BuildMode
    home_org_id: str
    destination: str
    industry: str
    established_on: date
    covered_units: tuple[str, ...] = ()
    #: branch (default), general_branch or temporary_branch.
    kind: OrgKind = OrgKind.BRANCH
    #: Defaults to the home organisation.
    parent_id: str | None = None
    #: A village or community organisation serves 5-year terms; defaults to a village founding basis.
    village_or_community: bool | None = None
    #: Full members at founding, when known (a branch needs ≥3).
    founding_full_members: int | None = None
    #: The registered host organisation that guides the branch (its scope reaches the branch through this link).
    host_org_id: str | None = None
    #: The guiding host's name as a label only, for a host not registered (yet); link it later.
    host_guidance_org: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterHostOrganisation:
    """Put a host-locality Party organisation on record (its id is the client's to choose, e.g. its code)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("registered_on",)
    org_id: str
    name: str
    locality: str
    registered_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkHostGuidance:
    """Link an outstation branch to the registered host organisation that guides it (D2 ``LinkHostGuidance``)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("linked_on",)
    org_id: str
    host_org_id: str
    linked_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class EstablishOrganisation:
    """Add a Party organisation to the tree: a committee, general branch, branch, temporary branch or Party group."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("established_on",)
    org_id: str
    name: str
    kind: OrgKind
    #: The organisation above it; only a county committee has none.
    parent_id: str | None
    #: County and township (base) committees with delegated authority approve admissions.
    approval_authority: bool = False
    established_on: date
    build_mode: BuildMode = BuildMode.STANDALONE
    covered_units: tuple[str, ...] = ()
    village_or_community: bool = False
    #: Members at founding: a branch needs ≥3 full members, a temporary branch ≥3 members.
    founding_members: int | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkFriendlyCommittee:
    """Co-build a friendly Party committee (友好党委) with the host's Party committee."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("linked_on",)
    org_id: str
    host_committee: str
    linked_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ElectCommittee:
    """Record the election of a committee (≥7 full members): 3–5 seats, at most 7."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("elected_on",)
    org_id: str
    elected_on: date
    seats: tuple[CommitteeSeat, ...]
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ElectSecretary:
    """Record the election of a secretary (and optionally a deputy) where there are <7 full members."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("elected_on",)
    org_id: str
    elected_on: date
    secretary_id: str
    deputy_secretary_id: str | None = None
    secretary_entrepreneur: bool = False
    deputy_entrepreneur: bool = False
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveSecretary:
    """The higher organisation approves the elected secretary."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on",)
    org_id: str
    secretary_id: str
    approved_on: date
    approving_org_id: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostponeElection:
    """Move the next election later, at most 1 year after its regular due date, with higher approval."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on",)
    org_id: str
    new_due_on: date
    approved_on: date
    approving_org_id: str
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AdvanceElection:
    """Bring the next election forward, at most 1 year before its regular due date, with higher approval."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on",)
    org_id: str
    new_due_on: date
    approved_on: date
    approving_org_id: str
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None
