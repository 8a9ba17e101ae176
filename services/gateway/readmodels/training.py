"""Training read model (``training_view``): hours of training per member and year, summed as recorded."""

from __future__ import annotations

from typing import Any

from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.membership.contract.events.meetings import TrainingRecorded

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.training_view (
    member_id text NOT NULL,
    year int NOT NULL,
    hours numeric NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (member_id, year)
);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (TrainingRecorded,)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    match event:
        case TrainingRecorded():
            return [(
                f"INSERT INTO {q}.training_view (member_id, year, hours, position) VALUES ($1, $2, $3, $4)"
                f" ON CONFLICT (member_id, year) DO UPDATE SET hours = {q}.training_view.hours + EXCLUDED.hours,"
                " position = EXCLUDED.position",
                (event.member_id, event.trained_on.year, event.hours, env.position or 0),
            )]
        case _:
            return []
