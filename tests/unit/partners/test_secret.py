"""Partner credentials are derived from GB_PARTNERS_SECRET exactly as docs/partners.md says, and the
secret itself is refused outside development when it is missing, the development value or short."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.partners import secret

STRONG = "k" * 40
PRODUCTION = {"GB_ENV": "production", "GB_PARTNERS_SECRET": STRONG}


def test_a_kafka_password_is_the_hmac_of_the_partner_id_in_url_safe_base64_without_padding() -> None:
    digest = hmac.new(STRONG.encode(), b"kafka:host-ningbo", hashlib.sha256).digest()
    password = secret.kafka_password("host-ningbo", PRODUCTION)
    assert password == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len(password) == 43 and "=" not in password


def test_a_webhook_secret_is_whsec_and_the_standard_base64_of_32_bytes() -> None:
    digest = hmac.new(STRONG.encode(), b"webhook:sub-1", hashlib.sha256).digest()
    value = secret.webhook_secret("sub-1", PRODUCTION)
    assert value == "whsec_" + base64.b64encode(digest).decode()
    assert value.endswith("=")  # 32 bytes: standard base64 with its padding


def test_the_reference_verifier_takes_the_webhook_secret_as_it_is() -> None:
    key = hmac.new(STRONG.encode(), b"webhook:sub-1", hashlib.sha256).digest()
    now, body = datetime.now(UTC), '{"a":1}'
    signature = Webhook(secret.webhook_secret("sub-1", PRODUCTION)).sign("msg-1", now, body)
    # The package signs with exactly the derived 32 bytes as the HMAC key …
    signed = f"msg-1.{int(now.timestamp())}.{body}".encode()
    assert signature == "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    headers = {"webhook-id": "msg-1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    # … a partner holding the secret verifies, one holding another subscription's secret does not.
    assert Webhook(secret.webhook_secret("sub-1", PRODUCTION)).verify(body, headers) == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret.webhook_secret("sub-2", PRODUCTION)).verify(body, headers)


def test_derived_values_are_stable_and_differ_by_id_by_purpose_and_by_secret() -> None:
    assert secret.kafka_password("pa", PRODUCTION) == secret.kafka_password("pa", PRODUCTION)
    assert secret.kafka_password("pa", PRODUCTION) != secret.kafka_password("pb", PRODUCTION)
    other = {**PRODUCTION, "GB_PARTNERS_SECRET": "j" * 40}
    assert secret.kafka_password("pa", PRODUCTION) != secret.kafka_password("pa", other)
    # The same id as a partner and as a subscription never gives the same key material.
    assert base64.urlsafe_b64decode(secret.kafka_password("x", PRODUCTION) + "=") != base64.b64decode(
        secret.webhook_secret("x", PRODUCTION).removeprefix("whsec_"))


def test_in_development_the_development_secret_serves_when_none_is_set() -> None:
    assert secret.partners_secret({}) == secret.DEV_SECRET.encode()
    assert secret.partners_secret({"GB_ENV": "development", "GB_PARTNERS_SECRET": "short"}) == b"short"


@pytest.mark.parametrize("value", ["", "   ", secret.DEV_SECRET, "s" * 31])
def test_outside_development_a_missing_development_or_short_secret_is_refused_by_name(value: str) -> None:
    env = {"GB_ENV": "production", "GB_PARTNERS_SECRET": value}
    with pytest.raises(ValueError, match="GB_PARTNERS_SECRET"):
        secret.partners_secret(env)
    with pytest.raises(ValueError, match="GB_PARTNERS_SECRET"):
        secret.kafka_password("host-ningbo", env)
    with pytest.raises(ValueError, match="GB_PARTNERS_SECRET"):
        secret.webhook_secret("sub-1", env)


def test_outside_development_an_unset_secret_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="GB_PARTNERS_SECRET"):
        secret.partners_secret({"GB_ENV": "staging"})


def test_thirty_two_bytes_are_enough() -> None:
    assert secret.partners_secret({"GB_ENV": "production", "GB_PARTNERS_SECRET": "s" * 32}) == b"s" * 32


@pytest.mark.parametrize("partner_id", ["", "Host", "host.ningbo", "-host", "a" * 41, "host ningbo"])
def test_no_password_is_derived_for_something_that_is_not_a_partner_id(partner_id: str) -> None:
    with pytest.raises(ValueError, match="partner id"):
        secret.kafka_password(partner_id, PRODUCTION)
