"""The county's published changes of membership settings: one shared definition (services/pure/policy_data.py)."""

from __future__ import annotations

from services.pure.policy_data import PolicyChangePublished

EVENTS: dict[str, type] = {"gb.membership.policy_published.v1": PolicyChangePublished}
