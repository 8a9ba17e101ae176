"""What provisioning grants, as data: a partner reads its own topic and groups only; the partners
service's processes get what infra/acls.py lists. The broker itself is in
tests/integration/test_partner_kafka_access.py."""

from __future__ import annotations

import pytest

from infra import acls
from services import system
from services.kernel.topics import event_log_topics
from services.partners.contract.kafka import (
    PARTNER_PREFIX,
    ROUTER_APP_ID,
    partner_group_prefix,
    partner_principal,
    partner_topic,
    partner_topic_spec,
)
from services.partners.provisioning import partner_grants


def test_a_partner_has_one_topic_its_group_prefix_and_its_principal() -> None:
    assert partner_topic("host-ningbo") == "gb.partner.host-ningbo.events"
    assert partner_group_prefix("host-ningbo") == "gb.partner.host-ningbo."
    assert partner_principal("host-ningbo") == "partner-host-ningbo"


def test_a_partner_topic_has_one_partition_and_is_kept_like_an_event_log() -> None:
    spec = partner_topic_spec("host-ningbo")
    (event_log,) = event_log_topics(["x"])
    assert (spec.name, spec.partitions) == ("gb.partner.host-ningbo.events", 1)
    assert spec.replication_factor == event_log.replication_factor
    assert spec.config["cleanup.policy"] == "delete" and spec.config["retention.ms"] == "-1"


def test_a_partner_reads_its_own_topic_and_its_own_groups_and_nothing_else() -> None:
    rows = {(r[0], r[1], r[2], r[5]) for r in acls.bindings({partner_principal("bank"): partner_grants("bank")})}
    topic, group, literal, prefixed, read, describe = 2, 3, 3, 4, 3, 8
    own = "gb.partner.bank.events"
    assert rows == {(topic, own, literal, read), (topic, own, literal, describe),
                    (group, "gb.partner.bank.", prefixed, read)}


def test_one_partners_group_prefix_never_covers_another_partners_groups() -> None:
    # Ids have no dot, so "gb.partner.a." is never a prefix of "gb.partner.a-b.<group>".
    assert not partner_group_prefix("a-b").startswith(partner_group_prefix("a"))


@pytest.mark.parametrize("partner_id", ["", "Bank", "a.b", "-a", "a" * 41, "a/b", "a*"])
def test_no_name_is_made_from_something_that_is_not_a_partner_id(partner_id: str) -> None:
    for name in (partner_topic, partner_group_prefix, partner_principal, partner_grants):
        with pytest.raises(ValueError, match="partner id"):
            name(partner_id)


def test_the_partners_processes_get_what_the_acl_table_says() -> None:
    table = acls.grants()
    ops = {p: {(g.resource, g.name, g.pattern, op) for g in table[p] for op in g.operations}
           for p in (acls.PARTNERS, acls.PARTNERS_ROUTER, acls.PARTNERS_WEBHOOKS)}
    assert ops[acls.PARTNERS] == {
        ("cluster", "kafka-cluster", "literal", "ALTER"), ("topic", PARTNER_PREFIX, "prefixed", "CREATE"),
        ("topic", PARTNER_PREFIX, "prefixed", "DESCRIBE"), ("group", PARTNER_PREFIX, "prefixed", "DESCRIBE")}
    assert ops[acls.PARTNERS_WEBHOOKS] == {("topic", PARTNER_PREFIX, "prefixed", "READ"),
                                           ("topic", PARTNER_PREFIX, "prefixed", "DESCRIBE")}
    router = ops[acls.PARTNERS_ROUTER]
    assert {n for (r, n, _, op) in router if r == "topic" and op == "READ"} == set(system.topics())
    assert {(r, n, p, op) for (r, n, p, op) in router if n.startswith((PARTNER_PREFIX, ROUTER_APP_ID))} == {
        ("topic", PARTNER_PREFIX, "prefixed", "WRITE"), ("topic", PARTNER_PREFIX, "prefixed", "DESCRIBE"),
        ("group", ROUTER_APP_ID, "prefixed", "READ"), ("topic", f"{ROUTER_APP_ID}-", "prefixed", "ALL")}
    # Only the provisioner administers; each of the three gets a SCRAM credential at format time.
    assert not any(g.resource == "cluster" for p, gs in table.items() if p != acls.PARTNERS for g in gs)
    assert {acls.PARTNERS, acls.PARTNERS_ROUTER, acls.PARTNERS_WEBHOOKS} <= set(acls.principals())
