"""Generates the AsyncAPI 3 document for partners from the event registries and topic specs.

`python -m services.system asyncapi > docs/asyncapi.json` — a test keeps the committed file current.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from services.kernel.events import EventRegistry, encode
from services.kernel.topics import EVENT_LOG_CONFIG, EVENT_LOG_PARTITIONS, event_topic

CE_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 Kafka binding, binary mode: attributes travel as ce_* headers.",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "Assigned once, when stored."},
        "ce_source": {"type": "string", "description": "/golden-bridge/<service>"},
        "ce_type": {"type": "string", "description": "Stable versioned wire name, gb.<service>.<event>.v<n>"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The record (stream) id; also the Kafka key."},
        "content-type": {"const": "application/json"},
        "ce_streamid": {"type": "string"},
        "ce_streamtype": {"type": "string"},
        "ce_streamversion": {"type": "string", "description": "1, 2, 3… per record; order and duplicates."},
        "ce_position": {"type": "string", "description": "Global position in the service's store."},
        "ce_actor": {"type": "string"},
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "ce_chainhash": {"type": "string", "description": "Hex SHA-256 link of the record's hash chain."},
    },
}


def document(registries: Mapping[str, EventRegistry[Any]]) -> dict[str, Any]:
    """The AsyncAPI 3 document of the given services' event topics (service name → its registry)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for service, registry in registries.items():
        names = registry.names()
        channel = f"{service}Events"
        channels[channel] = {
            "address": event_topic(service),
            "description": f"Every event of the {service} service, keyed by record id; kept forever.",
            "messages": {n.replace(".", "_"): {"$ref": f"#/components/messages/{n.replace('.', '_')}"} for n in names},
            "bindings": {"kafka": {"partitions": EVENT_LOG_PARTITIONS, "replicas": 1,
                                   "topicConfiguration": {"cleanup.policy": ["delete"],
                                                          "retention.ms": int(EVENT_LOG_CONFIG["retention.ms"])}}},
        }
        operations[f"receive{service.title()}Events"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"Partners subscribe to {event_topic(service)} (consumer group of their own).",
        }
        for name, schema in registry.json_schemas().items():
            messages[name.replace(".", "_")] = {
                "name": name, "contentType": "application/json", "headers": CE_HEADERS, "payload": schema,
                "bindings": {"kafka": {"key": {"type": "string", "description": "record (stream) id"}}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Golden Bridge events", "version": "1.0.0",
                 "description": "Domain events of the Golden Bridge services as CloudEvents on Kafka. "
                                "Schemas evolve by adding optional fields; breaking changes get a new .v<n> type."},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(registries: Mapping[str, EventRegistry[Any]]) -> str:
    """The document as the indented JSON committed in docs/asyncapi.json."""
    return orjson.dumps(orjson.loads(encode(document(registries))), option=orjson.OPT_INDENT_2).decode() + "\n"
