"""Demo data, part zero: two partner systems, registered before anything else so that their feeds
carry the whole demo (a subscription covers what is recorded from its creation on).

- ``host-ningbo``: the Party committee of a host locality where Qiaotou's migrants work — arrivals,
  reports to a host and transfers about Qiaotou's organisations, masked, over Kafka.
- ``province-members``: the province's member-management system — registrations, status changes and
  transfers in the whole county, with no personal data, over Kafka.

Their Kafka logins: ``GET /v1/partners/<id>/kafka-credentials`` (examples/partner_kafka_consumer.py). A
contact names an office, never a phone number: the service refuses one (it would be kept in clear).
"""

from __future__ import annotations

from demo.client import DemoClient, gateway_client

TRANSFER = "goldenbridge.transfer.step.v1"
PARTNERS = (
    {"partner_id": "host-ningbo", "name": "宁波市江北区委组织部（流入地党委）", "kind": "host_committee",
     "contact": "江北区委组织部组织科", "personal_data": "masked",
     "scope": {"event_types": ["goldenbridge.member.arrived.v1", "goldenbridge.member.reported_to_host.v1", TRANSFER],
               "townships": ["township-qiaotou"]}},
    {"partner_id": "province-members", "name": "省党员信息管理系统", "kind": "province",
     "contact": "省委组织部组织二处", "personal_data": "none",
     "scope": {"event_types": ["goldenbridge.member.registered.v1", "goldenbridge.member.status_changed.v1",
                               TRANSFER]}},
)


async def load_partners(base_url: str, token: str) -> int:
    async with gateway_client(base_url, token) as http:
        client = DemoClient(http)
        for partner in PARTNERS:
            pid = partner["partner_id"]
            await client.post("/v1/partners", f"partner-{pid}", partner)
            await client.post("/v1/subscriptions", f"subscription-{pid}", {"partner_id": pid, "protocol": "KAFKA"})
        return len(PARTNERS)
