"""How long a text a secondment command brings may be: the limits of services/pure/text_lengths.py, checked field by
field. A departure copies the placement it is sent and the cadre's post, rank and pay into one event, so without
them two near-1 MB bodies made an event the relay could not publish."""

from __future__ import annotations

from typing import Any

from services.pure import text_lengths

#: What to write in an id field instead of a number that looks personal.
ID_INSTEAD = "the id the county or the system assigned (a unit's official code, a township's or branch's id)"


def bounded(command: Any) -> None:
    """Every text of ``command`` within the limits of services/pure/text_lengths.py; else a 422 naming the field."""
    text_lengths.bounded(command, id_instead=ID_INSTEAD)
