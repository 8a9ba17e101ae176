"""How long a text a membership command brings may be: the limits of services/pure/text_lengths.py, for every command.

Only the bodies written out in contract/bodies.py (a branch, a member, an outflow) bounded their texts; every other
command's body is generated from its dataclass and bounds only the whole request (1 MB). A 100,000-character
assessment summary or a 5,000-character letter number was recorded (review of 2026-12-02) — in the event, on Kafka,
in the read models and in every problem that quotes it (a letter number is quoted back in a 409). The person's
sealed data (the ID number and the contact) is set aside here: its own rules check it (domain/rules.py,
contract/bodies.py) and it never reaches a read model in clear.
"""

from __future__ import annotations

from dataclasses import is_dataclass, replace
from typing import Any

from services.pure import text_lengths

#: What to write in an id field instead of a number that looks personal.
ID_INSTEAD = "the id the county or the system assigned (an organisation's official code, a member's or case's id)"
#: Sealed per person before they become events; checked by their own rules, not as clear text.
SEALED = ("national_id", "contact")


def bounded(command: Any) -> None:
    """Every clear text of ``command`` within the limits of services/pure/text_lengths.py; else a 422 naming the
    field and its limit, never repeating the text."""
    if not is_dataclass(command) or isinstance(command, type):
        return
    sealed = {name: None for name in SEALED if hasattr(command, name)}
    text_lengths.bounded(replace(command, **sealed) if sealed else command, id_instead=ID_INSTEAD)
