"""Which partner systems the county has deactivated: their API tokens are refused (403) while they stay so.

A partner system's token (role ``partner``, ``org_id`` = its partner id) is checked on every request
(services/gateway/auth.py), so the check reads memory, never the database: :class:`DeactivatedPartners` holds the
ids of the deactivated partners. It is filled before the gateway serves and read again every ``REFRESH_SECONDS``
by the token registry's one refresh loop (services/gateway/token_registry.py), next to the revocations — one loop,
one staleness bound for "this token may no longer be used", whichever gateway instance took the command.

Read from the gateway's own read model ``partners_view`` (``state``), not asked of the partners service: it is the
database the gateway needs to serve at all and the rows ``GET /v1/partners/{id}`` answers with, so the record and
the refusal agree, and a partners service that is down or restarting changes nothing here. The price is the
projector's lag (milliseconds when it runs) on top of the refresh.

Failures never open access and never make a request fail:
- the table cannot be read (the database is down): the refresh raises, the loop logs it and keeps what is known;
- the table does not exist (the projector has not made its schema yet, or a rebuild dropped it): nothing is
  learnt, what is known stays;
- the read model is being rebuilt from offset 0 or catches up after its DDL changed, and for a while shows a
  partner's row as it stood before its deactivation: each partner's row carries the store position of the last
  event applied to it, and a row older than the one already taken is passed over — a rebuild cannot bring back
  an earlier state, the partner stays refused until the read model reaches an event after its deactivation.
A gateway started while the read models are being rebuilt knows only what they show by then (it has nothing
earlier to keep); a deactivation the projector has not applied yet (stopped, or behind) takes effect once it has —
late, never lost, as on Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

#: Every row, every refresh: there are as many partner systems as the county has agreements (tens), and a full read
#: misses no change, where one "after the last position seen" would miss a partner whose events reach the read model
#: later than another's of a higher position (the projector follows the topic's partitions each at its own pace).
QUERY = "SELECT partner_id, state, position FROM public.partners_view"


class DeactivatedPartners:
    """The deactivated partners' ids, from the read model's rows, never going back to a row's earlier state."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[bool, int]] = {}
        self._deactivated: frozenset[str] = frozenset()

    def is_deactivated(self, partner_id: str | None) -> bool:
        return partner_id in self._deactivated

    def take(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Take ``(partner_id, state, position)`` rows: each a partner's state as of its store position. A row older
        than the one taken before it is passed over, a partner absent from ``rows`` keeps its known state, and any
        state but ``active`` is refused (a state added later is not taken for access)."""
        for partner_id, state, position in rows:
            known = self._known.get(partner_id)
            if known is None or position >= known[1]:
                self._known[partner_id] = (state != "active", position)
        self._deactivated = frozenset(p for p, (deactivated, _) in self._known.items() if deactivated)

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """Read the read model's partners again (an error other than a missing table goes to the caller)."""
        try:
            rows = await pool.fetch(QUERY)
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            return  # no read models yet, or a rebuild dropped them: keep what is known
        self.take((r["partner_id"], r["state"], r["position"]) for r in rows)
