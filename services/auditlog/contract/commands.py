"""The one command of the audit log: sign a tree head now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class SignTreeHead:
    """Issue a signed tree head over everything logged so far (an auditor's fresh checkpoint)."""

    actor: Actor
    today: date
