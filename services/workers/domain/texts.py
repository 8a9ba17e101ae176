"""How long a text of the register, a case or a group may be.

The generated bodies bound only the whole request (1 MB), so a village, a skill or a note of 900,000 characters was
recorded: in the event, on ``gb.workers.events``, in the read model and in every answer and partner step that shows
it. No one writes such a village or deed number; the bounds below are far above any real one and keep a paste or a
script's garbage out of the record, with a 422 that says the limit.
"""

from __future__ import annotations

from services.pure.errors import DomainError
from services.pure.text_lengths import ID as ID
from services.pure.text_lengths import NAME as NAME
from services.pure.text_lengths import WORDS as WORDS

#: A paper's or decision's number.
NUMBER = 100
#: Skills one worker is recorded with.
SKILLS = 50


def bounded(text: str, what: str, most: int) -> str:
    """``text`` unchanged, or a 422 naming ``what`` and its limit (the text itself is not repeated)."""
    if len(text) > most:
        raise DomainError(f"{what} is {len(text)} characters long; it takes at most {most}")
    return text
