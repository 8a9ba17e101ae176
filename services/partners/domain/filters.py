"""CloudEvents Subscriptions API filters: checked when a subscription is made, evaluated per event.

A subscription's ``filters`` is a list of filter expressions that must all match. Each expression is
one object with one dialect key:

    {"exact":  {"type": "goldenbridge.transfer.step.v1"}}   every named attribute equals the value
    {"prefix": {"subject": "member/"}}                        … starts with it
    {"suffix": {"source": "/membership"}}                     … ends with it
    {"all": [expr, …]}   {"any": [expr, …]}   {"not": expr}

An attribute the event does not have does not match (CloudEvents Subscriptions API 1.0, 3.2.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.partners.contract.values import FILTER_ATTRIBUTES, FILTER_DIALECTS
from services.pure.errors import DomainError

#: Deep enough for any real filter; deeper is refused rather than recursed into.
MAX_DEPTH = 8
MAX_VALUE = 200
#: Expressions in all of a subscription's filters, nested ones included. The router evaluates every subscription's
#: filters for every event in its partner's scope, in the one process that routes for every partner: without a
#: bound, one subscription of 20,000 expressions (under the 1 MB body limit) slowed every partner's feed.
MAX_EXPRESSIONS = 100


class InvalidFilter(DomainError):
    title = "Invalid subscription filter"


def check(filters: Sequence[Any]) -> None:
    """Refuse (422) a filter list this system cannot evaluate exactly as written."""
    if len(filters) > 20:
        raise InvalidFilter("at most 20 filters")
    counted = [0]
    for i, expression in enumerate(filters):
        _check(expression, f"filters[{i}]", 0, counted)


def _check(expression: Any, where: str, depth: int, counted: list[int]) -> None:
    counted[0] += 1
    if counted[0] > MAX_EXPRESSIONS:
        raise InvalidFilter(f"{where}: at most {MAX_EXPRESSIONS} filter expressions in all, nested ones included; "
                            "split the subscription or use prefix and suffix")
    if depth > MAX_DEPTH:
        raise InvalidFilter(f"{where}: filters nest at most {MAX_DEPTH} deep")
    if not isinstance(expression, Mapping) or len(expression) != 1:
        raise InvalidFilter(f"{where}: a filter is one object with one dialect: {', '.join(FILTER_DIALECTS)}")
    ((dialect, argument),) = expression.items()
    if dialect not in FILTER_DIALECTS:
        raise InvalidFilter(f"{where}: unknown dialect {str(dialect)[:40]!r}; known: {', '.join(FILTER_DIALECTS)}")
    if dialect in ("exact", "prefix", "suffix"):
        if not isinstance(argument, Mapping) or not argument:
            raise InvalidFilter(f"{where}.{dialect}: an object of attribute → value")
        for attribute, value in argument.items():
            if attribute not in FILTER_ATTRIBUTES:
                raise InvalidFilter(f"{where}.{dialect}: attribute {str(attribute)[:40]!r} is not one of "
                                    f"{', '.join(FILTER_ATTRIBUTES)}")
            if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
                raise InvalidFilter(f"{where}.{dialect}.{attribute}: a non-empty string of at most {MAX_VALUE}")
    elif dialect in ("all", "any"):
        if not isinstance(argument, list) or not argument:
            raise InvalidFilter(f"{where}.{dialect}: a non-empty list of filters")
        for i, inner in enumerate(argument):
            _check(inner, f"{where}.{dialect}[{i}]", depth + 1, counted)
    else:
        _check(argument, f"{where}.not", depth + 1, counted)


def matches(filters: Sequence[Mapping[str, Any]], attributes: Mapping[str, str]) -> bool:
    """Whether an event with these CloudEvents ``attributes`` passes every filter (checked filters only)."""
    return all(_matches(f, attributes) for f in filters)


def _matches(expression: Mapping[str, Any], attributes: Mapping[str, str]) -> bool:
    ((dialect, argument),) = expression.items()
    if dialect == "exact":
        return all(attributes.get(k) == v for k, v in argument.items())
    if dialect == "prefix":
        return all(k in attributes and attributes[k].startswith(v) for k, v in argument.items())
    if dialect == "suffix":
        return all(k in attributes and attributes[k].endswith(v) for k, v in argument.items())
    if dialect == "all":
        return all(_matches(inner, attributes) for inner in argument)
    if dialect == "any":
        return any(_matches(inner, attributes) for inner in argument)
    return not _matches(argument, attributes)
