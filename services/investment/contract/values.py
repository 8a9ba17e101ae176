"""The value types, policies and pure report functions of investment that others may use."""

from __future__ import annotations

from services.investment.domain.lead_state import OPEN_STAGES, PIPELINE
from services.investment.policy import POLICY_BOOK, investment_policy_on

__all__ = ["OPEN_STAGES", "PIPELINE", "POLICY_BOOK", "investment_policy_on"]
