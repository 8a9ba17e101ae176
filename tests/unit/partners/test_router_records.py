"""The router's records and options: what a partner-topic record holds, and which switches it accepts."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured_event
from pydantic import TypeAdapter, ValidationError

from services.kernel.settings import Settings
from services.partners.domain.routing import Delivery
from services.partners.router import describe, internal_topics, options_from_env, partner_record
from tests.unit.partners.builders import REGISTERED


def _settings(environment: str = "development") -> Settings:
    secret = "s" * 40
    return Settings(environment=environment, gateway_port=18000, data_dir=Path("/nonexistent"), pg_password=secret,
                    admin_token=secret, token_secret=secret + "t", internal_secret=secret + "i",
                    kafka_username="partners-router", kafka_password=secret)


def _delivery() -> Delivery:
    event = {"specversion": "1.0", "id": "0b9f6c9e-0000-4000-8000-000000000001", "source": "/golden-bridge/membership",
             "type": REGISTERED, "subject": "member/m-1", "time": "2026-03-02T08:00:00+00:00",
             "dataschema": f"https://gb.example/v1/schemas/{REGISTERED}.json", "datacontenttype": "application/json",
             "partner": "host-ningbo", "data": {"member_id": "m-1", "name": "张**"}}
    return Delivery(partner_id="host-ningbo", subscription_ids=("s-1", "s-2"), subject="member/m-1", cloudevent=event)


def test_a_delivery_becomes_a_structured_cloudevent_on_the_partners_topic_keyed_by_subject() -> None:
    record = partner_record(_delivery())
    assert record.topic == "gb.partner.host-ningbo.events"
    assert record.key == b"member/m-1"
    assert dict(record.headers) == {"content-type": b"application/cloudevents+json; charset=utf-8",
                                    "gb-subscriptions": b"s-1,s-2"}
    assert orjson.loads(record.value) == _delivery().cloudevent
    # An independent reader (the CloudEvents SDK's Kafka binding) takes it as a structured CloudEvent.
    event = from_structured_event(KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value))
    assert event.get_id() == "0b9f6c9e-0000-4000-8000-000000000001"
    assert event.get_type() == REGISTERED and event.get_subject() == "member/m-1"
    assert event.get_data() == {"member_id": "m-1", "name": "张**"}


def test_the_router_reads_every_internal_topic_but_the_partners_own() -> None:
    topics = internal_topics()
    assert "gb.partners.events" not in topics
    assert {"gb.membership.events", "gb.secondment.events", "gb.investment.events"} <= set(topics)


def test_the_public_base_url_defaults_to_the_gateway_and_loses_its_trailing_slash() -> None:
    assert options_from_env(_settings(), {}).public_base_url == "http://127.0.0.1:18000"
    options = options_from_env(_settings(), {"GB_PUBLIC_BASE_URL": "https://gb.example/"})
    assert options.public_base_url == "https://gb.example"
    assert options.raise_at is None and not options.unguarded


def test_the_fault_switches_are_read_in_development() -> None:
    options = options_from_env(_settings(), {"GB_FAULT_ROUTER_RAISE_AT": "150", "GB_ROUTER_UNGUARDED": "1"})
    assert options.raise_at == 150 and options.unguarded


@pytest.mark.parametrize("env", [{"GB_FAULT_ROUTER_RAISE_AT": "5"}, {"GB_ROUTER_UNGUARDED": "1"}])
def test_the_fault_switches_are_refused_outside_development(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="refused outside development"):
        options_from_env(_settings("production"), env)


@pytest.mark.parametrize("raw", ["0", "-3", "many"])
def test_a_fault_position_must_be_a_positive_whole_number(raw: str) -> None:
    with pytest.raises(ValueError, match="GB_FAULT_ROUTER_RAISE_AT"):
        options_from_env(_settings(), {"GB_FAULT_ROUTER_RAISE_AT": raw})


def test_an_error_in_the_log_never_quotes_the_values_a_validation_error_holds() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(int).validate_python("张三丰 440305199001011234")
    text = describe(caught.value)
    assert "张三丰" not in text and "440305" not in text and "ValidationError" in text
    assert describe(KeyError("ce_id")) == "KeyError: 'ce_id'"
