"""Partner credentials derived from one server secret: each partner's Kafka password and each webhook
subscription's signing secret. Nothing here is stored; the same secret always gives the same values.

Why derive. A stored password would be one more secret per partner to keep, back up and leak; a
derived one exists only where it is used (the provisioner sets it on the broker, the API hands it
to the county or the partner, the deliverer signs with it) and changing ``GB_PARTNERS_SECRET``
changes every one of them at once. One partner's Kafka password changes alone with its credential
generation, a number in its events (``POST /v1/partners/{id}/credential-rotation``). The inputs are
prefixed (``kafka:`` / ``webhook:``) so a partner id and a subscription id that happen to be equal never
share a value.

``GB_PARTNERS_SECRET`` (at least 32 bytes) is read like membership's master key: outside
``GB_ENV=development`` a missing, short or development value is refused, naming the variable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from services.kernel.settings import service_secret
from services.partners.contract.kafka import check_partner_id

SECRET_VARIABLE = "GB_PARTNERS_SECRET"
#: Development only; refused whenever GB_ENV is not "development".
DEV_SECRET = "dev-partners-secret-change-me-outside-development"
#: Standard Webhooks' secret prefix (the ``standardwebhooks`` package strips it before decoding).
WEBHOOK_SECRET_PREFIX = "whsec_"


def partners_secret(environ: Mapping[str, str] = os.environ) -> bytes:
    """The server secret from ``GB_PARTNERS_SECRET``; outside development it must be set, not the
    development value, and at least 32 bytes."""
    return service_secret(SECRET_VARIABLE, DEV_SECRET, "every partner's Kafka password and webhook secret derive "
                          "from it", environ)


def _derive(message: bytes, environ: Mapping[str, str]) -> bytes:
    return hmac.new(partners_secret(environ), message, hashlib.sha256).digest()


def kafka_password(partner_id: str, environ: Mapping[str, str] = os.environ, *, generation: int = 0) -> str:
    """The partner principal's SCRAM password: HMAC-SHA256(secret, ``kafka:<partner id>:<generation>``), URL-safe
    base64 without padding (43 characters — safe in a JAAS line or a properties file unquoted).

    ``generation`` is the partner's credential generation (its events: one more at each rotation and each
    reactivation), so one partner's password changes without the server secret. Generation 0 is
    ``kafka:<partner id>`` with no suffix: the password every partner had before generations existed."""
    if generation < 0:
        raise ValueError(f"a credential generation is 0 or more, not {generation}")
    message = f"kafka:{check_partner_id(partner_id)}" + (f":{generation}" if generation else "")
    digest = _derive(message.encode(), environ)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def webhook_secret(subscription_id: str, environ: Mapping[str, str] = os.environ) -> str:
    """The subscription's Standard Webhooks secret: ``whsec_`` + standard base64 (with padding) of the
    32 bytes HMAC-SHA256(secret, ``webhook:<subscription id>``) — the form ``standardwebhooks.Webhook``
    takes as it is, so a partner pastes it into the reference verifier."""
    if not subscription_id:
        raise ValueError("a webhook secret needs a subscription id")
    digest = _derive(b"webhook:" + subscription_id.encode(), environ)
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(digest).decode()
