"""Typed errors shared by every service; one exception handler maps them to problem+json."""

from __future__ import annotations

from typing import Any, ClassVar


class Problem(Exception):
    """An error a client can act on: RFC 9457 problem details with a stable type URI."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://golden-bridge.example/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class DomainError(Problem):
    """A business rule refused the command (the request was well-formed)."""

    status = 422
    slug = "rule-violated"
    title = "A rule of the Golden Bridge Project refuses this command"


class StateConflict(DomainError):
    """The command contradicts the record's current state (e.g. already away, already received)."""

    status = 409
    slug = "state-conflict"
    title = "The record's current state does not allow this"


class NoPolicyInForce(DomainError, LookupError):
    """A command names a day before the first version of a county policy took effect."""

    slug = "no-policy-in-force"
    title = "No policy of the Golden Bridge Project is in force on that day"


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"


class AlreadyExists(Problem):
    status = 409
    slug = "already-exists"
    title = "Already exists"


class ConcurrencyConflict(Problem):
    """Another command changed the stream first; reload and retry."""

    status = 409
    slug = "concurrency-conflict"
    title = "The record was changed by another request"


class IdempotencyKeyReused(Problem):
    """The same Idempotency-Key arrived with a different request body."""

    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key already used for a different request"


class InvalidIdempotencyKey(Problem):
    """The Idempotency-Key header is not a key this API keeps: empty, too long, or not printable ASCII."""

    status = 400
    slug = "invalid-idempotency-key"
    title = "Idempotency-Key is not valid"


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Not allowed for your role"


class TooManyRequests(Problem):
    """A limit on how often a caller may ask for something costly was reached; ``retry_after_seconds`` (in
    ``extra``) says when it may ask again, and becomes the answer's ``Retry-After``."""

    status = 429
    slug = "too-many-requests"
    title = "Asked too often"


class Unavailable(Problem):
    status = 503
    slug = "unavailable"
    title = "A dependency is unavailable"
