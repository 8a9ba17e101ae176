"""Read models of the investment service (being written)."""

from __future__ import annotations

from typing import Any

from services.kernel.events import Envelope
from services.kernel.projection import Op

DDL = ""


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    return []
