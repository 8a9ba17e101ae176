"""What a Kafka node of the local runner is told and where it keeps it: its properties (the ones docker-compose.yml
mirrors, the secret ones, those of a cluster from before authentication), its folders and the cluster id.

Pure of processes: infra/kafka.py starts and stops the nodes with what this module writes.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from infra import acls, secrets
from services.kernel.kafka import SASL_MECHANISM
from services.kernel.settings import PARTNER_REAUTH_MS, Settings
from services.partners.contract.kafka import PARTNER_SASL_MECHANISM

NODE_ID = 1
#: The partners' listener's session lifetime (KIP-368), listener-prefixed: Kafka reads a SASL listener's
#: ``connections.max.reauth.ms`` as listener.name.<listener>[.<mechanism>].connections.max.reauth.ms, then unprefixed.
PARTNER_REAUTH_PROPERTY = "listener.name.partner.connections.max.reauth.ms"

#: Node and replication settings shared by the local runner and docker-compose.yml. Addresses
#: (listeners, quorum voters, log.dirs) are added per environment by server_properties().
NODE_PROPERTIES: dict[str, str] = {
    "process.roles": "broker,controller",
    "node.id": str(NODE_ID),
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "CLIENT",
    # CLIENT: the internal processes and the brokers themselves. PARTNER: partner systems only (same SCRAM
    # credentials), whose sessions end (below). CONTROLLER: the KRaft quorum.
    "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,PARTNER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
    # Clients and the broker itself: SCRAM. The controller listener: PLAIN (see the module docstring).
    "sasl.enabled.mechanisms": SASL_MECHANISM,
    # KIP-368 on PARTNER alone: a session lasts this long, then the client must log in again (or, like aiokafka,
    # which cannot, is disconnected and logs in anew) — so a rotated or revoked password stops reading within it.
    # Not on CLIENT: the internal aiokafka clients would all be disconnected every interval. The default here;
    # server_properties() sets Settings.kafka_partner_reauth_ms (GB_KAFKA_PARTNER_REAUTH_MS).
    PARTNER_REAUTH_PROPERTY: str(PARTNER_REAUTH_MS),
    # PARTNER takes the partners' mechanism alone, CLIENT (the unprefixed setting above) the internal one alone: a
    # SCRAM credential belongs to one mechanism, so a partner's password does not log in on CLIENT, where sessions
    # never end, and an internal principal's does not log in on PARTNER (services/partners/contract/kafka.py).
    "listener.name.partner.sasl.enabled.mechanisms": PARTNER_SASL_MECHANISM,
    # Kafka wants a JAAS entry for each mechanism of each SASL listener. The broker never logs in on PARTNER (it is
    # not the inter-broker listener): no username or password; the server side checks the SCRAM credentials.
    f"listener.name.partner.{PARTNER_SASL_MECHANISM.lower()}.sasl.jaas.config":
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    "sasl.mechanism.inter.broker.protocol": SASL_MECHANISM,
    "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
    "sasl.mechanism.controller.protocol": "PLAIN",
    # Nothing is allowed that an ACL (infra/acls.py) does not grant, except to the super users.
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
    "super.users": ";".join(f"User:{p}" for p in acls.SUPER_USERS),
    # One node: every internal topic has one replica.
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    # Topics exist only as declared in services/kernel/topics.py.
    "auto.create.topics.enable": "false",
    # Consumer groups form at once instead of waiting 3 s for more members.
    "group.initial.rebalance.delay.ms": "0",
}

#: Properties that carry the broker's password, written by secret_properties().
SECRET_PROPERTIES = (
    "listener.name.client.scram-sha-512.sasl.jaas.config",
    "listener.name.controller.plain.sasl.jaas.config",
)


# --------------------------------------------------------------------------- paths


def nodes(settings: Settings) -> range:
    """The node ids of the local cluster (1…GB_KAFKA_BROKERS)."""
    return range(1, settings.kafka_brokers + 1)


def node_name(settings: Settings, node: int = NODE_ID) -> str:
    """The runner's name of a node: ``kafka`` alone, ``kafka-<n>`` in a cluster (pid, log and data names)."""
    return "kafka" if settings.kafka_brokers == 1 else f"kafka-{node}"


def node_names(settings: Settings) -> list[str]:
    return [node_name(settings, n) for n in nodes(settings)]


def node_of(settings: Settings, name: str) -> int:
    """The node id the runner's ``name`` stands for (``kafka`` → 1, ``kafka-3`` → 3)."""
    if name not in node_names(settings):
        raise KeyError(f"no Kafka node {name!r}; known: {', '.join(node_names(settings))}")
    return NODE_ID if name == "kafka" else int(name.rsplit("-", 1)[1])


def kafka_dir(settings: Settings, node: int = NODE_ID) -> Path:
    return settings.data_dir / node_name(settings, node)


def log_dirs(settings: Settings, node: int = NODE_ID) -> Path:
    return kafka_dir(settings, node) / "data"


def properties_file(settings: Settings, node: int = NODE_ID) -> Path:
    return kafka_dir(settings, node) / "server.properties"


# --------------------------------------------------------------------------- configuration


def replication_properties(settings: Settings) -> dict[str, str]:
    """Replication of the internal topics (consumer offsets, transactions, share groups) and the defaults of
    any other topic: three replicas with two in sync on a three-node cluster, one on a single node."""
    factor, in_sync = str(settings.kafka_replication_factor), str(settings.kafka_min_insync_replicas)
    return {
        "offsets.topic.replication.factor": factor,
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": in_sync,
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": in_sync,
        "default.replication.factor": factor,
        "min.insync.replicas": in_sync,
    }


def server_properties(settings: Settings, node: int = NODE_ID) -> dict[str, str]:
    """Every property of node ``node`` but the secret ones (secret_properties)."""
    props = dict(NODE_PROPERTIES)
    client, controller = settings.kafka_node_port(node), settings.kafka_node_controller_port(node)
    partner = settings.kafka_node_partner_port(node)
    voters = ",".join(f"{n}@127.0.0.1:{settings.kafka_node_controller_port(n)}" for n in nodes(settings))
    props.update(replication_properties(settings))
    props.update(
        {
            "node.id": str(node),
            "listeners": (f"CLIENT://127.0.0.1:{client},PARTNER://127.0.0.1:{partner},"
                          f"CONTROLLER://127.0.0.1:{controller}"),
            "advertised.listeners": f"CLIENT://127.0.0.1:{client},PARTNER://127.0.0.1:{partner}",
            PARTNER_REAUTH_PROPERTY: str(settings.kafka_partner_reauth_ms),
            # A static quorum: every node is a voter, so a three-node cluster elects its active controller
            # among three and keeps one while any two run.
            "controller.quorum.voters": voters,
            "log.dirs": str(log_dirs(settings, node)),
        }
    )
    return props


def secret_properties(broker_password: str) -> dict[str, str]:
    """The broker's own logins: SCRAM on the client listener, PLAIN (one static user) on the controller's."""
    user, pw = acls.BROKER, broker_password
    return {
        "listener.name.client.scram-sha-512.sasl.jaas.config": (
            f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{pw}";'
        ),
        "listener.name.controller.plain.sasl.jaas.config": (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{user}" password="{pw}" user_{user}="{pw}";'
        ),
    }


def legacy_properties(settings: Settings) -> dict[str, str]:
    """The properties of a cluster from before authentication: used once, on loopback, to add its users."""
    props = {k: v for k, v in server_properties(settings).items() if not k.startswith(("sasl.", "listener.name."))}
    for key in ("authorizer.class.name", "allow.everyone.if.no.acl.found", "super.users"):
        props.pop(key)
    # No PARTNER listener: no partner exists before authentication, and PLAINTEXT must not serve its port.
    client, controller = settings.kafka_node_port(NODE_ID), settings.kafka_node_controller_port(NODE_ID)
    props["listeners"] = f"PLAINTEXT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller}"
    props["advertised.listeners"] = f"PLAINTEXT://127.0.0.1:{client}"
    props["inter.broker.listener.name"] = "PLAINTEXT"
    props["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    return props


def compose_env_name(prop: str) -> str:
    """The apache/kafka image's environment variable for a broker property."""
    return "KAFKA_" + prop.replace("_", "__").replace("-", "___").replace(".", "_").upper()


def write_properties(settings: Settings, props: dict[str, str] | None = None, name: str = "server.properties",
                     node: int = NODE_ID) -> Path:
    secrets.restrict_dir(kafka_dir(settings, node))
    path = kafka_dir(settings, node) / name
    if props is None:
        props = {**server_properties(settings, node),
                 **secret_properties(secrets.kafka_password(settings, acls.BROKER))}
    lines = ["# Generated by infra/kafka_config.py from services/kernel/settings.py; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in props.items()]
    secrets.write_private(path, ("\n".join(lines) + "\n").encode())
    return path


def new_cluster_id() -> str:
    """Same as Kafka's Uuid.randomUuid().toString(): URL-safe base64, no padding, no leading '-'."""
    reserved = (bytes(16), (1).to_bytes(16, "big"))
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if raw not in reserved and not text.startswith("-"):
            return text


def cluster_id(settings: Settings) -> str:
    """The cluster's id, made once (kept beside node 1: every node is formatted with it)."""
    path = kafka_dir(settings, NODE_ID) / "cluster.id"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = new_cluster_id()
    path.write_text(value + "\n")
    return value
