"""County settings as data: a published change overlays the policy written in code from its effective day on.

Every service keeps its numbers in frozen, keyword-only policy dataclasses whose defaults are the documented
initial version (docs/policies.md). The county changes a number by publishing ``PolicyChangePublished`` on the
service's ``policy`` stream; the policy in force on a day D is the code version in force on D overlaid with
every published change of that policy whose ``effective_from`` is on or before D, in the order of
``effective_from`` and then of publication. Nothing here does I/O; each service's handlers load the stream.

A change never takes effect on or before the day it is published. Facts dated in the future are refused
(services/pure/dates.py), so every fact already recorded is dated today or earlier; a change from tomorrow on
therefore never alters the policy a recorded fact was decided by, and deciding a record again (a replay, a
read as of a day) gives the same answer. A county that finds a number wrong in the past records corrections
of the facts, not a retroactive policy.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from fractions import Fraction
from typing import Any, Protocol, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from services.pure.dates import RecordedLate
from services.pure.errors import DomainError, Forbidden, NoPolicyInForce
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal

#: The stream of a service's published policy changes (one per service store).
POLICY_STREAM = "policy"

#: The largest whole number a setting takes: a century in days. Every whole-number setting counts days, months,
#: people or meetings; a larger one would overflow calendar arithmetic when a decision applies it (a 500 later).
MAX_WHOLE = 36_500
#: Exact numbers as plain decimals or shares: no exponent, at most 18 digits before the point and 12 after (an
#: exponent like 1e999999999 would make a share of it an integer of a billion digits).
_PLAIN = re.compile(r"-?\d{1,18}(\.\d{1,12})?")
_SHARE = re.compile(r"-?\d{1,18}/\d{1,18}")

#: Fields that identify a policy version rather than set a number; never changed by a publication.
_IDENTITY = ("version", "effective_from")


class Policy(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def effective_from(self) -> date: ...


P = TypeVar("P", bound=Policy)

#: The longest a policy's count of months may be (a term, an interval, a window): ten years, far past anything the
#: county means — a bound on typos, not a rule of any decision.
MOST_MONTHS = 120


@dataclass(frozen=True, kw_only=True)
class PublishPolicyChange:
    """Publish a change of county settings from ``effective_from`` on (after today: never retroactive).

    ``policy`` names one of the service's policies; ``changes`` maps its setting names to the new values in
    JSON form (numbers of money and shares as strings, days as ``YYYY-MM-DD``).
    """

    actor: Actor
    today: date
    policy: str
    effective_from: date
    changes: dict[str, Any]
    reason: str


@dataclass(frozen=True, kw_only=True)
class PolicyChangePublished(RecordedLate):
    """The county published a change of settings; it applies to facts dated ``effective_from`` or later."""

    policy: str
    #: ``<policy>.<n>``: the n-th change published for this policy; recorded as part of the version applied.
    change_id: str
    effective_from: date
    #: The changed settings, validated against the policy's fields, in JSON form.
    changes: dict[str, Any]
    reason: str
    published_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class PolicyBook:
    """A service's policies: each name with its code versions (the initial, documented defaults).

    ``code_only`` names settings that stay in code for now, each with why (docs/policies.md lists them).
    """

    code: Mapping[str, tuple[Any, ...]]
    code_only: Mapping[str, str] = field(default_factory=dict)

    def versions(self, name: str) -> tuple[Any, ...]:
        try:
            return self.code[name]
        except KeyError:
            raise DomainError(f"there is no policy named {name!r}; known: {', '.join(sorted(self.code))}",
                              field="policy") from None


def code_version_on(versions: Sequence[P], day: date) -> P:
    """The code version in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in versions if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no policy is in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)


def in_force(versions: Sequence[P], published: Sequence[PolicyChangePublished], name: str, day: date) -> P:
    """The policy ``name`` in force on ``day``: its code version overlaid with the changes effective by then.

    The version recorded on decisions is the code version's, followed by the id of the last change applied.
    """
    base = code_version_on(versions, day)
    applied = sorted((c for c in published if c.policy == name and c.effective_from <= day),
                     key=lambda c: c.effective_from)  # sorted() is stable: publication order within a day
    if not applied:
        return base
    values: dict[str, Any] = {}
    for change in applied:
        values.update(coerce_changes(type(base), change.changes))
    last = applied[-1]
    return cast(P, replace(cast(Any, base), **values, version=f"{base.version}+{last.change_id}",
                   effective_from=max(base.effective_from, last.effective_from)))


def history(published: Sequence[PolicyChangePublished], name: str | None = None) -> list[PolicyChangePublished]:
    """The published changes (of one policy, or all) in the order they apply."""
    return sorted((c for c in published if name is None or c.policy == name), key=lambda c: c.effective_from)


def decide_publish(
    published: Sequence[PolicyChangePublished], command: PublishPolicyChange, book: PolicyBook
) -> list[PolicyChangePublished]:
    """Only the county organisation department configures policy (D6); a change starts after today, names
    settings the policy has, with values of their types, and leaves every version it reaches valid."""
    if command.actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden("only the county organisation department publishes policy")
    versions = book.versions(command.policy)
    if command.effective_from <= command.today:
        raise DomainError(
            f"effective_from {command.effective_from} must be after today ({command.today}): facts of today and "
            "earlier were decided by the policy then in force, and a published change never alters them",
            field="effective_from")
    if not command.reason.strip():
        raise DomainError("a policy change needs a reason", field="reason")
    not_personal(command.reason, "reason", instead=in_words("why the setting changes"))
    if not command.changes:
        raise DomainError("a policy change names at least one setting", field="changes")
    for name in command.changes:
        if name in book.code_only:
            raise DomainError(f"{name!r} cannot be published yet: {book.code_only[name]}", field=name)
    policy_type = type(versions[0])
    normal = normalise_changes(policy_type, command.changes)
    number = sum(1 for c in published if c.policy == command.policy) + 1
    event = PolicyChangePublished(
        policy=command.policy, change_id=f"{command.policy}.{number}", effective_from=command.effective_from,
        changes=normal, reason=command.reason.strip(), published_on=command.today, actor=command.actor.label)
    after = [*published, event]
    # Every day from the change on where the policy in force may differ: the change's own day and each later
    # start of a code version or another change. Each must still be a valid policy (its own checks run).
    starts = {command.effective_from} | {p.effective_from for p in versions} | {c.effective_from for c in after
                                                                                  if c.policy == command.policy}
    for day in sorted(d for d in starts if d >= command.effective_from):
        try:
            in_force(versions, after, command.policy, day)
        except (ValueError, TypeError) as exc:
            raise DomainError(f"the {command.policy} policy in force on {day} would be invalid: {exc}",
                              field="changes") from None
    return [event]


#: No change published: every policy is its code version.
NONE_PUBLISHED: tuple[PolicyChangePublished, ...] = ()


def evolve_published(
    state: tuple[PolicyChangePublished, ...], event: PolicyChangePublished
) -> tuple[PolicyChangePublished, ...]:
    return (*state, event)


# --- validation: JSON values against the policy dataclass's own field types --------------------------------------


def settable_fields(policy_type: type) -> dict[str, Any]:
    """The settings a publication may change, with their types."""
    hints = get_type_hints(policy_type)
    return {f.name: hints[f.name] for f in fields(policy_type) if f.name not in _IDENTITY}


def normalise_changes(policy_type: type, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes checked field by field (an unknown name or a wrong type is a 422 naming it), in JSON form."""
    coerced = coerce_changes(policy_type, changes)
    return {name: _to_json(value) for name, value in coerced.items()}


def coerce_changes(policy_type: type, changes: Mapping[str, Any]) -> dict[str, Any]:
    """JSON values as the policy's field types."""
    settable = settable_fields(policy_type)
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in settable:
            raise DomainError(f"{name!r} is not a setting of this policy; settable: {', '.join(sorted(settable))}",
                              field=name)
        out[name] = _coerce(settable[name], value, name)
    return out


def _coerce(kind: Any, value: Any, where: str) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        [inner] = [o for o in options if o is not type(None)]
        return _coerce(inner, value, where)
    if origin is tuple:
        item = get_args(kind)[0]
        if not isinstance(value, list | tuple):
            raise _wrong(where, "a list", value)
        return tuple(_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        key_type, value_type = get_args(kind)
        if not isinstance(value, dict):
            raise _wrong(where, "an object", value)
        return {_coerce(key_type, k, f"{where} key"): _coerce(value_type, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(kind, type) and issubclass(kind, Enum):
        known = [m.value for m in kind]
        if value not in known:
            raise _wrong(where, f"one of {', '.join(map(str, known))}", value)
        return kind(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise _wrong(where, "true or false", value)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(where, "a whole number", value)
        if abs(value) > MAX_WHOLE:
            raise _wrong(where, f"a whole number of at most {MAX_WHOLE}", value)
        return value
    if kind is str:
        if not isinstance(value, str):
            raise _wrong(where, "a string", value)
        return value
    if kind is Decimal:
        return _number(Decimal, value, where)
    if kind is Fraction:
        return _number(Fraction, value, where)
    if kind is date:
        if not isinstance(value, str):
            raise _wrong(where, "a day as YYYY-MM-DD", value)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _wrong(where, "a day as YYYY-MM-DD", value) from None
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(value, dict):
            raise _wrong(where, "an object", value)
        hints = get_type_hints(kind)
        names = {f.name for f in fields(kind)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise DomainError(f"{where}: unknown field {unknown[0]!r}", field=where)
        try:
            return kind(**{n: _coerce(hints[n], v, f"{where}.{n}") for n, v in value.items()})
        except TypeError as exc:  # a missing field
            raise DomainError(f"{where}: {exc}", field=where) from None
    raise DomainError(f"{where} cannot be published (its type {kind!r} is not supported)", field=where)


def _number(kind: type[Decimal] | type[Fraction], value: Any, where: str) -> Decimal | Fraction:
    # Exact numbers come as strings ("0.05", "1/2") or whole numbers, never floats: a float is not exact.
    example = '"6.5" or "2/3"' if kind is Fraction else '"6.5"'
    expected = f"an exact number as a string ({example}) or a whole number"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _wrong(where, expected, value)
    text = str(value)
    if not (_PLAIN.fullmatch(text) or (kind is Fraction and _SHARE.fullmatch(text))):
        raise _wrong(where, expected, value)
    try:
        return kind(text)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise _wrong(where, expected, value) from None


def _wrong(where: str, expected: str, value: Any) -> DomainError:
    return DomainError(f"{where} must be {expected}, not {value!r}", field=where)


def settings_json(policy: Any) -> dict[str, Any]:
    """A policy's settings in JSON form (what a publication would send), without its version and start."""
    return {f.name: _to_json(getattr(policy, f.name)) for f in fields(policy) if f.name not in _IDENTITY}


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {_to_json(k): _to_json(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in fields(value)}
    raise TypeError(f"cannot publish {type(value).__name__}")
