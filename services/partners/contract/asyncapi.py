"""The partners' AsyncAPI 3 documents, made from the outward catalogue: the county-wide one and one per partner.

``python -m services.partners.contract.asyncapi > docs/asyncapi.json`` writes the county-wide document (a test
keeps the committed file current); an independent AsyncAPI parser checks every document in the tests.

A document describes a partner's application: it receives the events of its own Kafka topic, or of its
webhook subscriptions. Payloads are in the AsyncAPI Schema format (JSON Schema draft-07 and a little more),
because that is what every AsyncAPI tool reads; the served ``/v1/schemas/<type>.json`` stay JSON Schema 2020-12.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from typing import Any

import orjson

from services.partners.contract.kafka import PARTNER_SASL_MECHANISM
from services.partners.contract.outward import SCHEMA_PATH, OutwardType, data_of
from services.partners.contract.outward.catalogue import CATALOGUE
from services.partners.contract.values import PartnerFeed, PersonalDataPolicy

ASYNCAPI = "3.0.0"
#: The document's own version: a new outward type or field raises the minor, as the types evolve.
VERSION = "1.0.0"
PARTNER_TOPIC = "gb.partner.{partner}.events"
CONTENT_TYPE = "application/cloudevents+json"
#: What the router writes in a record's content-type header (the Kafka binding's structured mode).
RECORD_CONTENT_TYPE = f"{CONTENT_TYPE}; charset=utf-8"
#: The county-wide document's examples are written for this partner.
SAMPLE_PARTNER = "host-ningbo"
SAMPLE_SUBSCRIPTIONS = "sub-1"
EXAMPLE_TIME = "2026-03-02T01:30:00Z"
PARTNER_ID: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 40}
#: The Kafka and HTTP binding versions whose schemas the AsyncAPI 3.0 parser knows.
KAFKA_BINDING = "0.5.0"
HTTP_BINDING = "0.3.0"

#: Where a partner connects by default: the partners' own Kafka listener (PARTNER) of a local broker; the
#: gateway fills in its own (GET /v1/partners/{id}/asyncapi.json).
DEFAULT_PARTNER_BOOTSTRAP = "localhost:10092"



def schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema of an outward type's CloudEvent ``data``, as served at ``/v1/schemas/<type>.json``.

    Raises KeyError for a type the catalogue does not publish."""
    kind = CATALOGUE.get(type_name)
    if kind is None:
        raise KeyError(f"no outward event type {type_name!r}")
    return kind.json_schema()


def document(
    feed: PartnerFeed | None = None,
    *,
    public_base_url: str = "http://localhost:8000",
    kafka_bootstrap: str = DEFAULT_PARTNER_BOOTSTRAP,
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of every outward type (``feed`` None), or of one partner's feed: its topic,
    only its types, its examples under its personal-data policy."""
    base = public_base_url.rstrip("/")
    kinds = _kinds(feed)
    policies = (feed.personal_data,) if feed else tuple(PersonalDataPolicy)
    partner = feed.partner_id if feed else None
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for kind in kinds:
        key = _key(kind.type)
        data, defs = _data_schema(kind, key)
        schemas.update(defs)
        schemas[f"{key}Data"] = data
        schemas[f"{key}Event"] = _envelope(kind, key, partner, base)
        examples = [_example(kind, policy, partner or SAMPLE_PARTNER, base) for policy in policies]
        messages[key] = _message(kind, key, "Kafka", examples, {
            "headers": {"$ref": "#/components/schemas/kafkaHeaders"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "The CloudEvent subject."},
                                   "bindingVersion": KAFKA_BINDING}},
        })
        messages[f"{key}Webhook"] = _message(kind, key, "webhook", [
            {k: v for k, v in e.items() if k != "headers"} for e in examples
        ], {
            "headers": {"$ref": "#/components/schemas/webhookHeaders"},
            "bindings": {"http": {"bindingVersion": HTTP_BINDING}},
        })
    schemas["kafkaHeaders"] = KAFKA_HEADERS
    schemas["webhookHeaders"] = WEBHOOK_HEADERS
    keys = [_key(k.type) for k in kinds]
    return {
        "asyncapi": ASYNCAPI,
        "info": _info(feed, base),
        "defaultContentType": CONTENT_TYPE,
        "servers": _servers(kafka_bootstrap),
        "channels": {
            "partnerEvents": _partner_channel(partner, keys),
            "webhook": {
                # Each HTTP subscription names its own sink: there is no address the document could know.
                "address": None,
                "title": "Webhook deliveries",
                "description": "Every HTTP subscription's `sink` URL receives the events it selects as POST "
                               "requests, in order, one event each (CloudEvents HTTP binding, structured mode).",
                "servers": [{"$ref": "#/servers/webhook"}],
                "messages": {f"{k}Webhook": {"$ref": f"#/components/messages/{k}Webhook"} for k in keys},
            },
        },
        "operations": _operations(partner, keys),
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {"scramSha256": _scram(partner, base)},
        },
    }


def render(
    feed: PartnerFeed | None = None,
    *,
    public_base_url: str = "http://localhost:8000",
    kafka_bootstrap: str = DEFAULT_PARTNER_BOOTSTRAP,
) -> str:
    """The document as the indented JSON committed in docs/asyncapi.json."""
    doc = document(feed, public_base_url=public_base_url, kafka_bootstrap=kafka_bootstrap)
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _kinds(feed: PartnerFeed | None) -> list[OutwardType[Any, Any]]:
    if feed is None:
        return list(CATALOGUE.values())
    unknown = sorted(set(feed.types) - CATALOGUE.keys())
    if unknown:
        raise ValueError(f"partner {feed.partner_id} names outward types that do not exist: {unknown}")
    # Catalogue order, so a document does not change when a partner's scope lists its types differently.
    return [kind for name, kind in CATALOGUE.items() if name in feed.types]


def _key(type_name: str) -> str:
    """goldenbridge.member.reported_to_host.v1 → memberReportedToHostV1 (a component name)."""
    words = re.split(r"[._]", type_name.removeprefix("goldenbridge."))
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _literal(text: str) -> str:
    """A pattern matching ``text`` (ids: letters, digits, ``-`` and ``.``). Not re.escape: its ``\\-`` is an
    invalid escape in the Unicode-mode ECMAScript regexes that JSON Schema tools compile patterns as."""
    return text.replace(".", r"\.")


def _title(type_name: str) -> str:
    *words, version = type_name.removeprefix("goldenbridge.").split(".")
    return f"{' '.join(words).replace('_', ' ').capitalize()} ({version})"


def _sources(kind: OutwardType[Any, Any]) -> list[str]:
    """The CloudEvent sources of a type: ``/golden-bridge/<service>`` of the service whose events it is made
    from (the catalogue knows them only as internal event classes, ``services.<service>.contract…``)."""
    return sorted({f"/golden-bridge/{source.__module__.split('.')[1]}" for source, _ in kind.sources})


def _data_schema(kind: OutwardType[Any, Any], key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The type's data schema for the document, and its definitions as component schemas.

    ``$defs`` and ``#/$defs/…`` would resolve against the whole document, where they do not exist: the
    definitions become ``<key>.<name>`` component schemas. ``$schema`` (2020-12) goes: payloads here are
    in the document's own schema format."""
    raw = kind.json_schema()
    defs = raw.pop("$defs", {})
    raw.pop("$schema", None)

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return {**node, "$ref": f"#/components/schemas/{key}.{ref.removeprefix('#/$defs/')}"}
            return {k: rewrite(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    return rewrite(raw), {f"{key}.{name}": rewrite(d) for name, d in defs.items()}


def _envelope(kind: OutwardType[Any, Any], key: str, partner: str | None, base: str) -> dict[str, Any]:
    sources = _sources(kind)
    subject = kind.subject(kind.example).split("/", 1)[0]
    return {
        "type": "object",
        "title": f"{kind.type} CloudEvent",
        "description": "A CloudEvent 1.0 in structured mode: the attributes and `data` in one JSON object.",
        "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
                     "partner", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "format": "uuid",
                   "description": "Assigned once, when the event was recorded: the same on every redelivery, "
                                  "so an id seen before is a duplicate."},
            "source": {"type": "string", "const": sources[0]} if len(sources) == 1
            else {"type": "string", "enum": sources},
            "type": {"type": "string", "const": kind.type},
            "subject": {"type": "string", "pattern": f"^{_literal(subject)}/.+$",
                        "description": "What the event is about; events of one subject arrive in order. "
                                       "Also the Kafka record key."},
            "time": {"type": "string", "format": "date-time", "description": "When it was recorded."},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "dataschema": {"type": "string", "format": "uri", "const": base + SCHEMA_PATH.format(type=kind.type)},
            "partner": {"type": "string", "const": partner, "description": "Your partner id."} if partner
            else {**PARTNER_ID, "description": "The receiving partner's id."},
            "data": {"$ref": f"#/components/schemas/{key}Data"},
        },
    }


def _example(kind: OutwardType[Any, Any], policy: PersonalDataPolicy, partner: str, base: str) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{partner}/{kind.type}")),
        "source": _sources(kind)[0],
        "type": kind.type,
        "subject": kind.subject(kind.example),
        "time": EXAMPLE_TIME,
        "datacontenttype": "application/json",
        "dataschema": base + SCHEMA_PATH.format(type=kind.type),
        "partner": partner,
        "data": data_of(kind.example, policy),
    }
    return {
        "name": f"personalData{policy.value.capitalize()}",
        "summary": f"As a partner whose personal-data policy is `{policy.value}` receives it.",
        "headers": {"content-type": RECORD_CONTENT_TYPE, "gb-subscriptions": SAMPLE_SUBSCRIPTIONS},
        "payload": event,
    }


def _message(
    kind: OutwardType[Any, Any], key: str, over: str, examples: list[dict[str, Any]], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": kind.type,
        "title": f"{_title(kind.type)} over {over}",
        "summary": kind.summary,
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": f"#/components/schemas/{key}Event"},
        **extra,
        "examples": examples,
    }


KAFKA_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["content-type", "gb-subscriptions"],
    "properties": {
        "content-type": {"type": "string", "const": RECORD_CONTENT_TYPE},
        "gb-subscriptions": {"type": "string", "pattern": "^[^,]+(,[^,]+)*$",
                             "description": "The ids of your subscriptions that selected the event, "
                                            "comma-separated."},
    },
}

WEBHOOK_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Signed per Standard Webhooks (standardwebhooks.com): check the signature and the timestamp "
                   "before trusting the body.",
    "required": ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"],
    "properties": {
        "content-type": {"type": "string", "pattern": "^application/cloudevents\\+json"},
        "webhook-id": {"type": "string", "description": "Identifies the delivery; the same on every retry."},
        "webhook-timestamp": {"type": "string", "pattern": "^[0-9]+$",
                              "description": "Unix seconds when this attempt was signed; reject one far from now."},
        "webhook-signature": {
            "type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$",
            "description": "`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under "
                           "the subscription's secret (GET /v1/subscriptions/{id}/secret); space-separated when "
                           "a secret is being rotated.",
        },
    },
}


def _info(feed: PartnerFeed | None, base: str) -> dict[str, Any]:
    audience = (f"{feed.name} (partner `{feed.partner_id}`), whose personal-data policy is "
                f"`{feed.personal_data.value}`") if feed else "partner systems"
    return {
        "title": f"Golden Bridge events for {feed.name}" if feed else "Golden Bridge events for partners",
        "version": VERSION,
        "description": (
            f"The events Golden Bridge publishes to {audience}, as CloudEvents 1.0 in structured mode, over "
            "Kafka (one topic per partner) or signed webhooks (one per HTTP subscription).\n\n"
            "Delivery is at least once: the CloudEvent `id` identifies a duplicate. Events of one `subject` "
            "arrive in order. Personal fields (marked `x-gb-personal`) are null under the `none` policy and "
            "masked under `masked`.\n\n"
            f"Each type's `data` schema is served at `{base}{SCHEMA_PATH}`. Types evolve by adding optional "
            "fields; a breaking change is a new type (`.v2`)."
        ),
    }


def _servers(kafka_bootstrap: str) -> dict[str, Any]:
    return {
        "kafka": {
            "host": "{bootstrap}",
            "protocol": "kafka",
            "title": "The county's Kafka",
            "description": f"SASL_PLAINTEXT with {PARTNER_SASL_MECHANISM}, on the partners' own listener: "
                           "each partner reads only its own topic and its own consumer groups, and a session "
                           "ends after a while (log in again with the current password).",
            "variables": {"bootstrap": {"default": kafka_bootstrap, "description": "The broker's host:port."}},
            "security": [{"$ref": "#/components/securitySchemes/scramSha256"}],
        },
        "webhook": {
            "host": "{host}",
            "protocol": "https",
            "title": "Your webhook endpoint",
            "description": "The host of an HTTP subscription's `sink`. Answer 2xx to acknowledge; any other "
                           "answer or none is retried with exponential backoff, in order, and repeated failures "
                           "pause the subscription until it is resumed.",
            "variables": {"host": {"description": "Your endpoint's host[:port].", "examples": ["partner.example.org"]}},
        },
    }


def _partner_channel(partner: str | None, keys: list[str]) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": PARTNER_TOPIC.format(partner=partner) if partner else PARTNER_TOPIC,
        "title": "Your partner topic",
        "description": "Everything your scope lets you receive, one partition: the offset is your delivery "
                       "position. Record key: the CloudEvent subject; value: the CloudEvent JSON.",
        "servers": [{"$ref": "#/servers/kafka"}],
        "messages": {k: {"$ref": f"#/components/messages/{k}"} for k in keys},
        "bindings": {"kafka": {"partitions": 1, "bindingVersion": KAFKA_BINDING}},
    }
    if partner is None:
        channel["parameters"] = {"partner": {"description": "The partner id the county registered.",
                                             "examples": [SAMPLE_PARTNER]}}
    return channel


def _operations(partner: str | None, keys: list[str]) -> dict[str, Any]:
    group = _literal(f"gb.partner.{partner}.") if partner else r"gb\.partner\.[a-z0-9][a-z0-9-]*\."
    return {
        "receiveEvents": {
            "action": "receive",
            "channel": {"$ref": "#/channels/partnerEvents"},
            "title": "Consume your partner topic",
            "summary": "Read your topic with a consumer group of your own, from any offset.",
            "messages": [{"$ref": f"#/channels/partnerEvents/messages/{k}"} for k in keys],
            "bindings": {"kafka": {"groupId": {"type": "string", "pattern": f"^{group}.+$"},
                                   "bindingVersion": KAFKA_BINDING}},
        },
        "receiveWebhooks": {
            "action": "receive",
            "channel": {"$ref": "#/channels/webhook"},
            "title": "Receive webhook deliveries",
            "summary": "POSTs to an HTTP subscription's sink, one event each, signed.",
            "messages": [{"$ref": f"#/channels/webhook/messages/{k}Webhook"} for k in keys],
            "bindings": {"http": {"method": "POST", "bindingVersion": HTTP_BINDING}},
        },
    }


def _scram(partner: str | None, base: str) -> dict[str, Any]:
    who = partner or "{partner}"
    return {
        "type": "scramSha256",
        "description": f"User `partner-{who}`; its password is at `{base}/v1/partners/{who}/kafka-credentials` "
                       "(derived from the partner id, never stored).",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the county-wide AsyncAPI document for partners.")
    parser.add_argument("--public-base-url", default="http://localhost:8000")
    parser.add_argument("--kafka-bootstrap", default=DEFAULT_PARTNER_BOOTSTRAP)
    args = parser.parse_args()
    sys.stdout.write(render(public_base_url=args.public_base_url, kafka_bootstrap=args.kafka_bootstrap))


if __name__ == "__main__":
    main()
