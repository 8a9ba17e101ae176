"""Dues policy aggregate (stream ``dues-policy``): the administrator publishes effective-dated dues scales.

Its state is ``DuesPolicy`` (every published scale); ``INITIAL`` already holds the shipped 2008
scale, so a system with an empty stream applies 中组发〔2008〕3号. Publishing is never retroactive:
a scale starts on the first day of the current month or later, so months already assessed keep the
amounts they were assessed at, and re-running history gives the same amounts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from services.membership.contract.commands.dues import PublishDuesScale
from services.membership.contract.events.dues import DuesScalePublished
from services.membership.domain.dues_scale import validate_scale
from services.membership.domain.rules import require_roles
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DuesPolicy, scale_on
from services.pure.errors import AlreadyExists, StateConflict
from services.pure.identity import Role

__all__ = ["INITIAL", "STREAM_ID", "DuesPolicy", "decide", "evolve", "scale_on"]

STREAM_ID = "dues-policy"
INITIAL = DEFAULT_DUES_POLICY


def decide(state: DuesPolicy, command: PublishDuesScale) -> list[DuesScalePublished]:
    """Only the county organisation department configures policy (D6)."""
    match command:
        case PublishDuesScale():
            require_roles(command.actor, "publish a dues scale", Role.COUNTY_ADMIN)
            scale = command.scale
            validate_scale(scale, command.today)
            if any(s.version == scale.version for s in state.scales):
                raise AlreadyExists(f"dues scale {scale.version} was already published; give the new one a new version")
            this_month = command.today.replace(day=1)
            if scale.effective_from == this_month and any(s.effective_from == this_month for s in state.scales):
                raise StateConflict(f"a scale already took effect on {this_month}; it may have been applied this month "
                                    "— publish the change from next month")
            return [DuesScalePublished(scale=scale, published_on=command.today, actor=command.actor.label,
                                       approving_org_id=command.actor.org_id or "county")]
        case _:
            assert_never(command)


def evolve(state: DuesPolicy, event: DuesScalePublished) -> DuesPolicy:
    return replace(state, scales=(*state.scales, event.scale))
