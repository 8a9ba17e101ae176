"""The fault suite's short form (issue 15, item 7; the full run is ``./gb faults``): on a supervised system,
under a load from concurrent clients, a service instance, a relay and the projector are SIGKILLed in turn —
each comes back by itself, no accepted command is lost or doubled, and the read models equal a rebuild.

It runs bench/faults.py itself, on the supervised second system of tests/e2e/test_supervision.py (same folder
and ports: the two modules run one after the other and each clears what the other left)."""

from __future__ import annotations

from bench import faults
from services.kernel.settings import Settings
from tests.e2e.test_supervision import second_system  # noqa: F401  (the fixture)

SHORT = tuple(f for f in faults.FAULTS if f.target in ("membership", "membership-relay", "projector"))


async def test_killed_processes_under_load_lose_and_double_nothing(second_system: Settings) -> None:  # noqa: F811
    result = await faults.run_suite(second_system, SHORT, commands=3 * 150, clients=8)
    assert [f["fault"] for f in result["faults"]] == [f.label for f in SHORT]
    for row in result["faults"]:
        assert row["accepted"] == row["commands"] == 150, row
        assert row["recovery_s"] is not None, row
        assert (row["lost"], row["duplicated"]) == (0, 0), row
    assert result["read_models_differing_from_rebuild"] == []
