"""Membership's policies by name, as the county publishes changes to them (services/pure/policy_data.py).

The dues scale is published on its own stream (``POST /v1/dues/scales``), a whole scale at a time; these
four carry every other county number of membership: ``membership`` the recording rule's two numbers (its
national minimum age stays in code), then each area's. The code versions are the documented initial defaults.
"""

from __future__ import annotations

from services.membership.policy import DEFAULT_POLICIES
from services.membership.policy.development import DEFAULT_DEVELOPMENT_POLICIES
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICIES
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICIES
from services.pure.policy_data import PolicyBook

#: 党章 art. 1: a national rule, not the county's to change.
NATIONAL = "national (党章 art. 1), not a county setting"

POLICY_BOOK = PolicyBook(
    code={
        "membership": DEFAULT_POLICIES,
        "mobility": DEFAULT_MOBILITY_POLICIES,
        "organisation": DEFAULT_ORGANISATION_POLICIES,
        "development": DEFAULT_DEVELOPMENT_POLICIES,
    },
    code_only={"minimum_age": NATIONAL},
)
