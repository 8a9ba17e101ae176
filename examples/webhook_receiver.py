"""A partner system receiving Golden Bridge webhooks, verifying each with the ``standardwebhooks`` package.

    GB_WEBHOOK_SECRET=whsec_… python -m uvicorn --factory examples.webhook_receiver:create_app --port 9000

The secret comes from GET /v1/subscriptions/{id}/secret. A request whose signature does not verify (or
whose timestamp is more than five minutes off) is refused with 401 and never handled. Deliveries are
at-least-once and in order per subject; ``webhook-id`` (the CloudEvent id) identifies a repeat. Answer
2xx only once the event is stored: any other answer is retried with backoff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[[dict[str, Any]], None]


def receiver(secret: str, handle: Handler) -> Starlette:
    """An app that verifies each delivery and hands the CloudEvent to ``handle`` once per webhook-id."""
    webhook = Webhook(secret)
    seen: set[str] = set()

    async def deliver(request: Request) -> Response:
        body = await request.body()
        try:
            webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            return Response(status_code=401)
        event = orjson.loads(body)
        if request.headers["webhook-id"] not in seen:
            handle(event)
            seen.add(request.headers["webhook-id"])
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", deliver, methods=["POST"])])


def _print(event: dict[str, Any]) -> None:
    print(event["type"], event["subject"], event["id"], event.get("position"))


def create_app() -> Starlette:
    return receiver(os.environ["GB_WEBHOOK_SECRET"], _print)
