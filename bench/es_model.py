"""The aggregate of the `eventsourcing` baseline, as in /work/shared/bench/es_bench.py.

A module of its own (imported only when the library is installed), so the library can name the
class by its import path.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event


class Account(Aggregate):
    @event("Opened")
    def __init__(self, account_id: int, owner: str, currency: str, amount: int, note: str):
        self.account_id = account_id
        self.owner = owner
        self.currency = currency
        self.balance = amount
        self.note = note
