"""The problem+json answers in the OpenAPI document: every operation declares the errors it can give.

FastAPI documents a 422 of its own shape (``HTTPValidationError``, application/json) that this API
never sends; every error here is problem+json, so each operation's error responses are declared with
that media type and schema — which lets a fuzzer check the answers against them.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"

#: The problem+json schema every error answer follows (RFC 9457 and our extensions).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details: `detail` says what to fix; `instance` is the path you called.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"},
            "position": {"type": "integer"},
            "limits": {"type": "object", "description": "The rule's numbers, e.g. `{\"min_length\": 5}`",
                       "additionalProperties": {"type": ["string", "number"]}}}}},
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
#: The error answers any operation may give, besides those it declares itself.
COMMON_PROBLEMS: dict[str, str] = {
    "422": "A parameter or the body is not valid: `errors` names each field and what is wrong",
    "500": "An unexpected error on our side: quote the `correlation_id` (nothing internal is shown)",
    "503": "PostgreSQL, Kafka or a service is unavailable: retry after `Retry-After` seconds",
}
AUTHENTICATED_PROBLEMS: dict[str, str] = {
    "401": "No or invalid bearer token",
    "403": "Your role or organisation may not do this",
    "429": "Too many failed authentications from this client, or (where the operation says so) asked too often: "
           "retry after `Retry-After` seconds",
}
BODY_PROBLEMS: dict[str, str] = {
    "400": "The body cannot be read (not UTF-8 JSON)",
    "413": "Body too large",
}


def document_problems(app: FastAPI) -> None:
    """Declare in the OpenAPI schema the problem+json answers every operation can give."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, servers=app.servers)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Problem"] = PROBLEM_SCHEMA
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                _declare_problems(operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_problems(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted = dict(COMMON_PROBLEMS)
    if operation.get("security"):
        wanted.update(AUTHENTICATED_PROBLEMS)
    if "requestBody" in operation:
        wanted.update(BODY_PROBLEMS)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        wanted["404"] = "A record named in the path does not exist"
    for status, description in wanted.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[0] not in "45":
            continue
        if "content" in response and not _is_validation(response):
            continue  # an operation that documents its own error body (the readiness report)
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        if status in ("429", "503"):
            response["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                   "schema": {"type": "integer"}}}


def _is_validation(response: dict[str, Any]) -> bool:
    return "HTTPValidationError" in orjson.dumps(response).decode()
