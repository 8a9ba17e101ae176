"""The county's published policy changes, read once per command: the policy of each area in force on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.kernel import policy_stream
from services.kernel.store import AppendResult, CommandMeta
from services.membership.handlers.records import Store
from services.membership.policy.book import POLICY_BOOK
from services.membership.policy.development import DEFAULT_DEVELOPMENT_POLICIES, DevelopmentPolicy
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICIES, MobilityPolicy
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICIES, OrganisationPolicy
from services.pure.policy_data import PolicyChangePublished, PublishPolicyChange, in_force


@dataclass(frozen=True, kw_only=True)
class Policies:
    """Every published change: each area's policy on a day is its code version overlaid with those in force."""

    published: tuple[PolicyChangePublished, ...]

    def mobility(self, day: date) -> MobilityPolicy:
        return in_force(DEFAULT_MOBILITY_POLICIES, self.published, "mobility", day)

    def organisation(self, day: date) -> OrganisationPolicy:
        return in_force(DEFAULT_ORGANISATION_POLICIES, self.published, "organisation", day)

    def development(self, day: date) -> DevelopmentPolicy:
        return in_force(DEFAULT_DEVELOPMENT_POLICIES, self.published, "development", day)


async def policies(store: Store) -> Policies:
    """The published changes (a tiny stream). Read before the command's own stream: a change published
    meanwhile starts after today, so it never concerns a fact this command records."""
    return Policies(published=await policy_stream.published_changes(store))


async def publish_policy_change(store: Store, cmd: PublishPolicyChange, meta: CommandMeta) -> AppendResult:
    """A county setting changed from a day after today: one event on the service's policy stream."""
    return await policy_stream.publish_policy_change(store, cmd, meta, POLICY_BOOK)
