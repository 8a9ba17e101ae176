"""A long-running server's heap, settled once it has started."""

from __future__ import annotations

import gc

#: Allocations (less deallocations) between two collections of the youngest generation; CPython's default is 700.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Called once a server has started. What start-up built (modules, routes, pydantic schemas: ~90,000 objects in
    a service, ~180,000 in the gateway) lives until the process ends: frozen, the collector no longer goes over
    it. And the youngest generation is collected less often.

    Measured over 1,500 POST /v1/branches from 16 clients (gc.callbacks in every process): before, membership
    ran 110 collections (194 ms of CPU, one of them a full collection of 97 ms — a pause every request then
    queued behind) and the gateway 118 (120 ms); after, membership none and the gateway one (5 ms)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
