"""A query parameter the operation does not take, or one given twice, is refused (422), never ignored.

Ignored, a misspelt filter (``GET /v1/members?branch_id=…`` where the list takes ``formal_org_id``) answers 200
with every record in the caller's scope, and a count built on it is wrong without a sign. So each operation takes
the query parameters its OpenAPI document lists, and no other: the documented contract is the accepted one, by
construction. None of them takes a list, so a name given twice (``?formal_org_id=a&formal_org_id=b``) would have
one of its values silently dropped: it is refused too, naming the parameter. The check runs with the role check
(services/gateway/commands.py ``role_check``), after it: a caller whose role may not call the operation learns
that first, as with a body.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

#: A name worth repeating in the answer; any other (it may be anything a client typed) is not echoed.
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")

Operation = tuple[str, str]


def taken(app: FastAPI) -> dict[Operation, tuple[str, ...]]:
    """The query parameters of every operation of ``app``'s OpenAPI document, in its order, by (path template,
    METHOD); read once per application."""
    known: dict[Operation, tuple[str, ...]] | None = getattr(app.state, "query_names", None)
    if known is None:
        known = {(path, method.upper()): tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
                 for path, operations in app.openapi()["paths"].items() for method, op in operations.items()}
        app.state.query_names = known
    return known


def refuse_unclear(request: Request) -> None:
    """Raise 422 (the usual problem+json, one item per parameter) when the query names one the operation does not
    take, or names one more than once; an operation outside the document (none under /v1) is left alone."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    known = taken(request.app).get((route.path_format, request.method))
    if known is None:
        return
    given = Counter(name for name, _ in request.query_params.multi_items())
    errors = [_unknown(name, known) for name in sorted(set(given) - set(known))]
    errors += [_repeated(name, given[name]) for name in sorted(set(given) & set(known)) if given[name] > 1]
    if errors:
        raise RequestValidationError(errors)


def _where(name: str) -> tuple[str, str]:
    return ("query", name) if _PLAIN_NAME.match(name) else ("query", "(a parameter)")


def _unknown(name: str, known: tuple[str, ...]) -> dict[str, Any]:
    takes = ", ".join(known) if known else "no query parameters"
    return {"type": "extra_forbidden", "loc": _where(name),
            "msg": f"this operation does not take this query parameter; it takes: {takes}"}


def _repeated(name: str, times: int) -> dict[str, Any]:
    return {"type": "repeated_parameter", "loc": _where(name),
            "msg": f"give this query parameter once: it came {times} times, and only one value can apply"}
