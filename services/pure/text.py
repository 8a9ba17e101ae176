"""Checks on text and on the facts a handler must supply."""

from __future__ import annotations

import re
from typing import TypeVar

from services.pure.errors import DomainError

T = TypeVar("T")

#: The control characters (Unicode category Cc: U+0000-U+001F and U+007F-U+009F) that no text field takes: every
#: one but tab, line feed and carriage return. NUL cannot be stored in a PostgreSQL text column at all (the event
#: store's ``json`` keeps ``\u0000``, the read models refuse it: a poison event); the others are never typed, only
#: pasted or injected (an ESC sequence in a name rewrites the screen of whoever reads it in a log or a terminal).
#: Tab, line feed and carriage return stay: a note, a reason or an address pasted from a letter holds them, and
#: every store and every reader takes them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: What the refusal says is taken, so the message says what to fix.
TEXT_RULE = "text may hold tabs and line breaks but no other control character"


def require_text(value: str, what: str, *, hint: str = "") -> str:
    """A required text field: not blank. Returns it without surrounding spaces; ``hint`` says what to write."""
    text = value.strip()
    if not text:
        raise DomainError(f"{what} is required" + (f"; {hint}" if hint else ""))
    return text


def needed(value: T | None, name: str, step: str) -> T:
    """A fact from another record that the handler must pass in; its absence is a wiring bug, not bad input."""
    if value is None:
        raise TypeError(f"{step} needs the fact {name}")
    return value


def control_character(value: str) -> str | None:
    """Why ``value`` cannot be stored as text: the first control character it holds that no text field takes and
    where (``"the control character U+0000 at position 3"``, counting from 1), or None when it holds none."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return f"the control character U+{ord(found.group()):04X} at position {found.start() + 1}"
