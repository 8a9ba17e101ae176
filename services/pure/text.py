"""Checks on text and on the facts a handler must supply."""

from __future__ import annotations

from typing import TypeVar

from services.pure.errors import DomainError

T = TypeVar("T")


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
