"""Events of outstation branches and other Party organisations: the tree, committees, secretaries and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.membership.contract.events.common import BuildMode, FoundingBasis
from services.pure.dates import RecordedLate


class OrgKind(StrEnum):
    """D1: the kinds of Party organisation in the tree."""

    COUNTY_COMMITTEE = "county_committee"
    TOWNSHIP_COMMITTEE = "township_committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    TEMPORARY_BRANCH = "temporary_branch"
    PARTY_GROUP = "party_group"
    #: A: the host-locality Party organisation that guides an outstation branch (双重指导) and takes mobile members
    #: into its organisational life. Outside the county's tree: registered, never established, by the county.
    HOST_ORGANISATION = "host_organisation"


class CommitteeDuty(StrEnum):
    """B1: the portfolios of a branch committee; a seat may hold several (e.g. organisation and discipline)."""

    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    ORGANISATION = "organisation"
    PROPAGANDA = "propaganda"
    DISCIPLINE = "discipline"


@dataclass(frozen=True, kw_only=True)
class CommitteeSeat:
    member_id: str
    duties: tuple[CommitteeDuty, ...] = ()
    #: A: a member-entrepreneur (successful native, 能人) elected after due procedure.
    entrepreneur: bool = False
    # A seconded cadre's seat (A: a cadre out on secondment may serve in an outstation branch, 外出锻炼): a full
    # member of another organisation, whose organisational relationship stays at home. Added later (optional,
    # so older events still read).
    #: This seat is a seconded cadre's: ``cadre_id`` and ``secondment_id`` name the cadre record linked to the
    #: member and their secondment in progress placed at this branch on the election day. The gateway checks
    #: both against the secondment records (membership cannot read them) before the election is forwarded.
    seconded_cadre: bool = False
    cadre_id: str | None = None
    secondment_id: str | None = None
    #: The organisation the member's relationship stays with: their formal organisation on the election day,
    #: filled in by membership from its own records (whatever a client sends here is replaced).
    home_org_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class BranchEstablished(RecordedLate):
    """An outstation branch (驻外党支部) was set up by its home organisation."""

    branch_id: str
    name: str
    founding_basis: FoundingBasis
    build_mode: BuildMode
    home_org_id: str
    host_guidance_org: str
    destination: str
    industry: str
    established_on: date
    covered_units: tuple[str, ...] = ()
    # Added later (optional, so older events still read): the place in the tree and the rules applied.
    kind: OrgKind = OrgKind.BRANCH
    parent_id: str | None = None
    village_or_community: bool = False
    founding_full_members: int | None = None
    actor: str | None = None
    policy_version: str | None = None
    #: The registered host organisation that guides it (``host_guidance_org`` is then its name). Older events
    #: name the host in ``host_guidance_org`` only, a label; a later ``HostGuidanceLinked`` links them.
    host_org_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class HostOrganisationRegistered(RecordedLate):
    """A: a host-locality Party organisation (e.g. a street or park Party committee where migrant members work)
    is on record, so branches can be linked to it for guidance and it can record the organisational life it
    holds for mobile members. Outside the county's tree: it has no parent and belongs to no township."""

    org_id: str
    name: str
    locality: str
    registered_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class HostGuidanceLinked(RecordedLate):
    """A (dual guidance, 双重指导): an outstation branch is guided by a registered host organisation from now on;
    the host's scope reaches the branch and its members through this link."""

    org_id: str
    host_org_id: str
    host_name: str
    linked_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class OrganisationEstablished(RecordedLate):
    """A Party organisation other than an outstation branch joined the tree."""

    org_id: str
    name: str
    kind: OrgKind
    parent_id: str | None
    approval_authority: bool
    established_on: date
    actor: str
    #: The organisation that approved it: the parent (a base committee for a temporary branch).
    approving_org_id: str | None
    policy_version: str
    build_mode: BuildMode = BuildMode.STANDALONE
    covered_units: tuple[str, ...] = ()
    village_or_community: bool = False
    founding_members: int | None = None


@dataclass(frozen=True, kw_only=True)
class FriendlyCommitteeLinked(RecordedLate):
    """A: a township- or institution-based branch co-builds a friendly Party committee (友好党委) with the host."""

    org_id: str
    host_committee: str
    linked_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class CommitteeElected(RecordedLate):
    """B1: an organisation of ≥7 full members elected its committee; the secretary awaits higher approval."""

    org_id: str
    elected_on: date
    seats: tuple[CommitteeSeat, ...]
    secretary_id: str
    deputy_secretary_id: str | None
    full_members: int
    term_started_on: date
    term_due_on: date
    actor: str
    policy_version: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SecretaryElected(RecordedLate):
    """B1: an organisation of <7 full members elected a secretary (and maybe a deputy), no committee."""

    org_id: str
    elected_on: date
    secretary_id: str
    deputy_secretary_id: str | None
    secretary_entrepreneur: bool
    deputy_entrepreneur: bool
    full_members: int
    term_started_on: date
    term_due_on: date
    actor: str
    policy_version: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SecretaryApproved(RecordedLate):
    """B1: the higher organisation approved the elected secretary."""

    org_id: str
    secretary_id: str
    approved_on: date
    approving_org_id: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class ElectionPostponed(RecordedLate):
    """B1: the next election was postponed (≤1 year after the regular due date), with higher approval."""

    org_id: str
    regular_due_on: date
    previous_due_on: date
    new_due_on: date
    approved_on: date
    approving_org_id: str
    reason: str
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ElectionAdvanced(RecordedLate):
    """B1: the next election was brought forward (≤1 year before the regular due date), with higher approval."""

    org_id: str
    regular_due_on: date
    previous_due_on: date
    new_due_on: date
    approved_on: date
    approving_org_id: str
    reason: str
    actor: str
    policy_version: str


EVENTS: dict[str, type] = {
    "gb.membership.branch_established.v1": BranchEstablished,
    "gb.membership.organisation_established.v1": OrganisationEstablished,
    "gb.membership.friendly_committee_linked.v1": FriendlyCommitteeLinked,
    "gb.membership.committee_elected.v1": CommitteeElected,
    "gb.membership.secretary_elected.v1": SecretaryElected,
    "gb.membership.secretary_approved.v1": SecretaryApproved,
    "gb.membership.election_postponed.v1": ElectionPostponed,
    "gb.membership.election_advanced.v1": ElectionAdvanced,
    "gb.membership.host_organisation_registered.v1": HostOrganisationRegistered,
    "gb.membership.host_guidance_linked.v1": HostGuidanceLinked,
}
