"""The streams membership keeps under names of its own, beside the records' own streams (named by their ids).

tests/unit/membership/test_own_streams.py holds every name the service derives to this list.
"""

from __future__ import annotations

from services.pure.policy_data import POLICY_STREAM
from services.pure.record_ids import OwnStreams

#: The published policy and dues scales; a member's dues account (``dues-<member>``) and an organisation's dues
#: ledger (``dues-ledger-<org>``), a record's deadlines, a member's training in a year.
OWN_STREAMS = OwnStreams(names=frozenset({POLICY_STREAM, "dues-policy"}),
                         prefixes=("dues-", "deadlines-", "training-"))
