"""How long a text a command brings may be, in the services whose commands are checked field by field
(the ``domain/texts.py`` of secondment, investment and membership).

The generated bodies bound only the whole request (1 MB), so a post, an investor or a note of several hundred
thousand characters was recorded — in the event, on Kafka, in the read models and in every answer that shows it —
and an event that copies such texts (a departure its placement and the cadre's post; a registration its investor
and project, again in its match key) grew past what the relay may publish (review of 2026-12-02). No one writes
such a name or note; the bounds below are far above any real one, keep a paste or a script's garbage out of the
record, with a 422 that names the field and its limit (never repeating the text).

An id in a body (``*_id``) is text the client chose too: it is also refused when it holds anything shaped like a
phone or ID number (services/pure/personal_text.py), as a path's id already is at the gateway.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from services.pure.errors import DomainError
from services.pure.personal_text import not_personal

#: An id a record or another service assigned (a township, a unit, a cadre, a member, a branch).
ID = 100
#: A name or title: a unit, a cadre, a post, a host, a locality, a reference.
NAME = 200
#: Words: a reason, a note, a check-in, a description.
WORDS = 2_000
#: The fields written in words; every other text is a name, or an id when its name ends in ``_id``.
WORD_FIELDS = frozenset({"reason", "backdating_reason", "thinking", "work", "description", "note", "summary",
                         "findings", "remarks", "special_reason", "transfer_impossible_reason"})


def limit(field: str) -> int:
    """The most characters ``field`` takes."""
    if field in WORD_FIELDS:
        return WORDS
    return ID if field.endswith("_id") else NAME


def bounded(command: Any, *, id_instead: str, prefix: str = "") -> None:
    """Every text of ``command`` (and of a value it holds, such as a placement) within its limit, and no id holding
    a phone or ID number (``id_instead`` says what to write there); else a 422 naming the first such field, never
    repeating its text."""
    for field in fields(command):
        if field.name == "actor":  # the caller, from a token the county issued: not the body's text
            continue
        value = getattr(command, field.name)
        name = f"{prefix}{field.name}"
        if isinstance(value, str) and len(value) > limit(field.name):
            raise DomainError(f"{name} is {len(value):,} characters long; it takes at most {limit(field.name):,}",
                              field=name)
        if isinstance(value, str) and limit(field.name) == ID:
            # An id is kept in clear like any text and, unlike a path's id, was never checked: a phone or ID number
            # pasted into one reached the store, Kafka and the logs.
            not_personal(value, name, instead=id_instead)
        if is_dataclass(value) and not isinstance(value, type):
            bounded(value, id_instead=id_instead, prefix=f"{name}.")
