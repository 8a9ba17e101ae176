"""The value types, policies and pure report functions of secondment that others may use."""

from __future__ import annotations

from services.secondment.domain.commendation import Tally, tally
from services.secondment.domain.secondment_state import Stage
from services.secondment.domain.targets import (
    SecondmentPeriod,
    StaffOut,
    staff_out,
    targets_of,
    year_end_measured,
)
from services.secondment.domain.units import Unit
from services.secondment.policy import POLICY_BOOK

# The policy in force is read with the county's published changes (the gateway: readmodels.policies.policy_in_force),
# so the contract gives the book, not a picker of the code versions alone.
__all__ = [
    "POLICY_BOOK", "SecondmentPeriod", "StaffOut", "Stage", "Tally", "Unit", "staff_out", "tally", "targets_of",
    "year_end_measured",
]
