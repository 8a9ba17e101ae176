"""The value types, policies and pure report functions of membership that others may use."""

from __future__ import annotations

from services.membership.contract.events.personal import mask_national_id, mask_phone
from services.membership.domain.meetings import HeldMeeting, meeting_compliance
from services.membership.domain.mobility import branch_needed
from services.membership.domain.targets import OutstationBranchFacts, targets
from services.membership.policy.book import POLICY_BOOK
from services.membership.policy.mobility import MobilityPolicy

# The policy in force is read with the county's published changes (the gateway: readmodels.policies.policy_in_force),
# so the contract gives the book, not a picker of the code versions alone.
__all__ = [
    "POLICY_BOOK", "HeldMeeting", "MobilityPolicy", "OutstationBranchFacts", "branch_needed",
    "mask_national_id", "mask_phone", "meeting_compliance", "targets",
]
