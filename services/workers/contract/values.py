"""Workers' values that others may read: the county's policy book (the gateway reads the settings in force)."""

from __future__ import annotations

from services.workers.policy import POLICY_BOOK

__all__ = ["POLICY_BOOK"]
