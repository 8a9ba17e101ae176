"""How long a text an investment command brings may be: the limits of services/pure/text_lengths.py, checked field
by field. A registration records the investor and project again in its match key, so without them one near-1 MB body
made an event the relay could not publish."""

from __future__ import annotations

from typing import Any

from services.pure import text_lengths

#: What to write in an id field instead of a number that looks personal.
ID_INSTEAD = "the id the county or the system assigned (a branch's, a township's, a member's or a cadre's id)"


def bounded(command: Any) -> None:
    """Every text of ``command`` within the limits of services/pure/text_lengths.py; else a 422 naming the field."""
    text_lengths.bounded(command, id_instead=ID_INSTEAD)
