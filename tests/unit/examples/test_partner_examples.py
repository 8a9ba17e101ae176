"""The partner-side examples do what their README says: the webhook receiver takes only signed deliveries
(once per webhook-id), and the Kafka example reads a partner-topic record as a CloudEvent."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from examples.partner_kafka_consumer import to_cloudevent
from examples.webhook_receiver import receiver

EVENT_ID = "0b4b5b1e-0000-4000-8000-000000000001"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
EVENT: dict[str, Any] = {"specversion": "1.0", "id": EVENT_ID, "source": "/golden-bridge/membership",
         "type": "goldenbridge.member.registered.v1", "subject": "member/m-1", "time": "2026-03-01T08:00:00+00:00",
         "datacontenttype": "application/json", "partner": "host-ningbo", "position": "7",
         "data": {"member_id": "m-1", "name": "张**"}}


def _signed(body: bytes, secret: str = SECRET, msg_id: str = EVENT_ID) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
            "content-type": "application/cloudevents+json; charset=utf-8"}


def test_the_receiver_takes_a_signed_delivery_once_and_refuses_a_forged_one() -> None:
    handled: list[dict[str, Any]] = []
    client = TestClient(receiver(SECRET, handled.append))
    body = orjson.dumps(EVENT)
    assert client.post("/hook", content=body, headers=_signed(body)).status_code == 204
    assert client.post("/hook", content=body, headers=_signed(body)).status_code == 204  # a redelivery
    assert [e["id"] for e in handled] == [EVENT["id"]]
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    assert client.post("/hook", content=body, headers=_signed(body, other)).status_code == 401
    tampered = orjson.dumps({**EVENT, "data": {"member_id": "m-2"}})
    assert client.post("/hook", content=tampered, headers=_signed(body)).status_code == 401
    assert len(handled) == 1


def test_a_partner_topic_record_reads_as_a_cloudevent() -> None:
    headers = [("content-type", b"application/cloudevents+json; charset=utf-8"), ("gb-subscriptions", b"s-1")]
    event = to_cloudevent(headers, b"member/m-1", orjson.dumps(EVENT))
    assert (event["id"], event["type"], event["subject"]) == (EVENT["id"], EVENT["type"], "member/m-1")
    assert event.get_data() == EVENT["data"]
