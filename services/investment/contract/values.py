"""The value types, policies and pure report functions of investment that others may use."""

from __future__ import annotations

from services.investment.domain.lead_state import OPEN_STAGES, PIPELINE
from services.investment.policy import POLICY_BOOK

# The policy in force is read with the county's published changes (the gateway: readmodels.policies.policy_in_force),
# so the contract gives the book, not a picker of the code versions alone.
__all__ = ["OPEN_STAGES", "PIPELINE", "POLICY_BOOK"]
