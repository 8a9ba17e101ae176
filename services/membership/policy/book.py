"""Membership's policies by name, as the county publishes changes to them (services/pure/policy_data.py).

The dues scale is published on its own stream (``POST /v1/dues/scales``), a whole scale at a time; these
three carry every other county number of membership. ``MembershipPolicy`` (the national minimum age and the
recording rule's two numbers) stays in code: the rules read it on the recording day, before any stream.
The code versions are the documented initial defaults.
"""

from __future__ import annotations

from services.membership.policy.development import DEFAULT_DEVELOPMENT_POLICIES
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICIES
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICIES
from services.pure.policy_data import PolicyBook

#: The recording rule (services/pure/dates.py) reads these on the recording day in the wrapper every handler
#: shares, before any policy stream is loaded; publishing them needs that wrapper to read the stream first.
RECORDING_RULE = "the recording rule reads it from code on the recording day (docs/policies.md)"

POLICY_BOOK = PolicyBook(
    code={
        "mobility": DEFAULT_MOBILITY_POLICIES,
        "organisation": DEFAULT_ORGANISATION_POLICIES,
        "development": DEFAULT_DEVELOPMENT_POLICIES,
    },
    code_only={"backdating_limit_days": RECORDING_RULE, "records_kept_from": RECORDING_RULE},
)
