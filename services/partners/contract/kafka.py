"""The Kafka names of partner delivery: each partner's topic, consumer groups and principal, and the
principals of the partners service's own processes (docs/partners.md).

Pure names: the domain, the gateway and infra/acls.py share them, so a topic, an ACL and a
credential can never disagree about what a partner is called on Kafka.
"""

from __future__ import annotations

import re

from services.kernel.topics import TopicSpec, event_log_topics

#: The partners service's API process: it provisions each partner (topic, SCRAM credential, ACLs).
PARTNERS_PRINCIPAL = "partners"
#: The faust router that writes every partner's topic.
ROUTER_PRINCIPAL = "partners-router"
#: The webhook deliverer that reads every partner's topic.
WEBHOOKS_PRINCIPAL = "partners-webhooks"
#: The router's faust app id: also its consumer group, and the prefix of faust's own topics
#: (``<app id>-__assignor-__leader``, ``<app id>-<table>-changelog``, repartition topics).
ROUTER_APP_ID = "gb-partners-router"

#: Every partner topic and partner consumer group starts with this: the router's and the deliverer's
#: ACLs are granted on it, so a new partner needs no change to theirs.
PARTNER_PREFIX = "gb.partner."
#: The partners' SASL mechanism. The partners' listener (PARTNER) takes only this one and the internal listener
#: (CLIENT) only SCRAM-SHA-512, the internal principals' (services/kernel/kafka.py). A SCRAM credential belongs to
#: one mechanism, and a partner's principal has a SCRAM-SHA-256 one alone: a partner's password logs in on PARTNER,
#: whose sessions end, and nowhere else; an internal principal's does not log in on PARTNER.
PARTNER_SASL_MECHANISM = "SCRAM-SHA-256"
#: One partition: one order per partner, and the offset is the delivery position.
PARTNER_TOPIC_PARTITIONS = 1

#: The API's partner ids (chosen by the county). No dot, so one partner's prefix never covers another's.
PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
PARTNER_ID_MAX = 40


def check_partner_id(partner_id: str) -> str:
    """``partner_id`` when it is a valid partner id; ValueError otherwise. The ids become ACL resources and
    principals, so a name built from anything else is refused here rather than granted on the broker."""
    if len(partner_id) > PARTNER_ID_MAX or not PARTNER_ID.fullmatch(partner_id):
        raise ValueError(f"not a partner id: {partner_id!r} (expected [a-z0-9][a-z0-9-]*, at most {PARTNER_ID_MAX})")
    return partner_id


def partner_topic(partner_id: str) -> str:
    """The partner's own topic, written by the router and read by the partner and the webhook deliverer."""
    return f"{PARTNER_PREFIX}{check_partner_id(partner_id)}.events"


def partner_group_prefix(partner_id: str) -> str:
    """Every consumer group the partner may use starts with this (``gb.partner.<id>.<anything>``)."""
    return f"{PARTNER_PREFIX}{check_partner_id(partner_id)}."


def partner_principal(partner_id: str) -> str:
    """The partner's Kafka user (SASL/SCRAM-SHA-256, on the partners' listener alone)."""
    return f"partner-{check_partner_id(partner_id)}"


def partner_topic_spec(partner_id: str) -> TopicSpec:
    """The partner's topic as created: one partition, and the event logs' replication factor and
    keep-forever config (services/kernel/topics.py) — a partner may replay from any position."""
    (event_log,) = event_log_topics([PARTNERS_PRINCIPAL])  # taken from the one place topics are defined
    return TopicSpec(partner_topic(partner_id), PARTNER_TOPIC_PARTITIONS, event_log.replication_factor,
                     dict(event_log.config))
