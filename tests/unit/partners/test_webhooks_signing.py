"""What one webhook delivery sends: its body, its Standard Webhooks signature (checked with the
``standardwebhooks`` package, as a partner checks it), the retry schedule and the record header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from services.partners.signing import (
    CONTENT_TYPE,
    Backoff,
    Delivery,
    NotACloudEvent,
    delivery_of,
    outcome,
    selected_by,
    signed_headers,
)

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EVENT = {"specversion": "1.0", "id": "0b7e-event", "source": "/goldenbridge/membership",
         "type": "goldenbridge.member.registered.v1", "subject": "member-1", "time": "2026-03-01T08:00:00Z",
         "datacontenttype": "application/json", "partner": "host-ningbo", "data": {"name": "李*"}}


def test_the_body_is_the_cloudevent_with_its_position_as_a_string() -> None:
    delivery = delivery_of(orjson.dumps(EVENT), 41)
    assert delivery.event_id == "0b7e-event" and delivery.position == 41
    assert orjson.loads(delivery.body) == {**EVENT, "position": "41"}


@pytest.mark.parametrize("value", [b"", b"not json", b"[1, 2]", b'{"type": "x"}', b'{"id": ""}', None])
def test_a_record_that_is_no_cloudevent_is_refused(value: bytes | None) -> None:
    with pytest.raises(NotACloudEvent):
        delivery_of(value, 3)


def test_a_signature_verifies_with_the_standard_webhooks_library() -> None:
    delivery = delivery_of(orjson.dumps(EVENT), 7)
    headers = signed_headers(SECRET, delivery, int(time.time()))
    assert headers["content-type"] == CONTENT_TYPE == "application/cloudevents+json; charset=utf-8"
    assert headers["webhook-id"] == "0b7e-event"
    assert Webhook(SECRET).verify(delivery.body, headers) == {**EVENT, "position": "7"}


def test_the_signature_is_the_hmac_of_id_timestamp_and_body_under_the_decoded_secret() -> None:
    delivery = Delivery(event_id="e-1", position=0, body='{"id":"e-1","data":"宁波"}'.encode())
    headers = signed_headers(SECRET, delivery, 1_770_000_000)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, b"e-1.1770000000." + delivery.body, hashlib.sha256).digest()
    assert headers["webhook-timestamp"] == "1770000000"
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()


def test_a_changed_body_another_secret_or_an_old_timestamp_does_not_verify() -> None:
    delivery = delivery_of(orjson.dumps(EVENT), 7)
    now = int(time.time())
    headers = signed_headers(SECRET, delivery, now)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(delivery.body.replace(b"7", b"8"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()).verify(delivery.body,
                                                                                               headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(delivery.body, signed_headers(SECRET, delivery, now - 3600))


def test_each_attempt_keeps_the_webhook_id_and_signs_its_own_time() -> None:
    delivery = delivery_of(orjson.dumps(EVENT), 7)
    first, retry = signed_headers(SECRET, delivery, 1_770_000_000), signed_headers(SECRET, delivery, 1_770_000_030)
    assert first["webhook-id"] == retry["webhook-id"]
    assert first["webhook-signature"] != retry["webhook-signature"]


def test_the_backoff_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=60.0)
    assert [backoff.ceiling(n) for n in range(0, 10)] == [0.0, 0.5, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.ceiling(10_000) == 60.0


@given(failures=st.integers(min_value=1, max_value=5000), seed=st.integers(), base=st.floats(0.01, 5),
       cap=st.floats(0.01, 120))
def test_a_delay_is_full_jitter_between_zero_and_the_ceiling(failures: int, seed: int, base: float,
                                                               cap: float) -> None:
    backoff = Backoff(base=base, cap=cap)
    delay = backoff.delay(failures, random.Random(seed))
    assert 0.0 <= delay <= backoff.ceiling(failures) <= cap


def test_full_jitter_spreads_the_retries() -> None:
    rng = random.Random(1)
    delays = [Backoff(base=0.5, cap=60).delay(8, rng) for _ in range(2000)]
    assert min(delays) < 3 and max(delays) > 57
    assert 25 < sum(delays) / len(delays) < 35


@pytest.mark.parametrize(("headers", "expected"), [
    ([("gb-subscriptions", b"s-1,s-2")], {"s-1", "s-2"}),
    ([("gb-subscriptions", b" s-1 , ,s-2,")], {"s-1", "s-2"}),
    ([("GB-Subscriptions", b"s-1"), ("gb-subscriptions", b"s-3")], {"s-1", "s-3"}),
    ([("ce_id", b"s-1"), ("gb-subscriptions", None)], set()),
    ([], set()),
])
def test_the_record_header_names_the_subscriptions_that_selected_it(
        headers: list[tuple[str, bytes | None]], expected: set[str]) -> None:
    assert selected_by(headers) == expected


def test_a_subscription_id_is_matched_whole_never_as_a_prefix() -> None:
    assert "s-1" not in selected_by([("gb-subscriptions", b"s-10,s-11")])


def test_a_failure_is_told_by_its_status_or_its_error() -> None:
    assert outcome(503, None) == "HTTP 503"
    assert outcome(None, "ConnectError: refused") == "ConnectError: refused"
    assert outcome(None, None) == "no answer"
