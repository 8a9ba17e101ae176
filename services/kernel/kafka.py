"""Kafka client settings in one place: authentication, the idempotent producer and raw-bytes consumers.

Every client authenticates with SASL/SCRAM-SHA-512 as the process's own principal (Settings
``kafka_username`` / ``kafka_password``); the broker refuses unauthenticated clients and authorises each
principal by its ACLs (infra/acls.py). A client built without credentials is refused here, naming the
variables, rather than hanging on a broker that will not answer it.

Two administrative requests aiokafka 0.14 has no admin method for live here too, so the runner
(infra/acls.py) and any service that administers its own part of the cluster send them the same
way: CreateAcls (``create_acls``, from ``Grant`` rows) and AlterUserScramCredentials
(``upsert_scram_credential``, ``delete_scram_credential``). Both need ALTER on the cluster.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import CompactArray, CompactBytes, CompactString, Int8, Int16, Int32, Schema, TaggedFields

from services.kernel.settings import Settings

log = logging.getLogger("kafka")

SECURITY_PROTOCOL = "SASL_PLAINTEXT"
SASL_MECHANISM = "SCRAM-SHA-512"


class KafkaCredentialsMissing(RuntimeError):
    """The process has no Kafka principal of its own, so it may not open a Kafka client."""


def connection_options(settings: Settings) -> dict[str, Any]:
    """Bootstrap address and SASL/SCRAM credentials: what every aiokafka client of ours starts from."""
    if not settings.kafka_username or not settings.kafka_password:
        raise KafkaCredentialsMissing(
            "GB_KAFKA_USERNAME and GB_KAFKA_PASSWORD must name this process's Kafka principal; the broker "
            "refuses clients without credentials (in development, ./gb run or python -m infra.local infra-up "
            "generates them under <GB_DATA_DIR>/secrets)")
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": SECURITY_PROTOCOL,
        "sasl_mechanism": SASL_MECHANISM,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": settings.kafka_password,
    }


def admin_client(settings: Settings, client_id: str, **overrides: Any) -> AIOKafkaAdminClient:
    options = {**connection_options(settings), "client_id": client_id, **overrides}
    return AIOKafkaAdminClient(**options)


def event_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    # aiokafka defaults to acks=1 without idempotence; an event log needs both.
    return AIOKafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=1_048_576,
        request_timeout_ms=30_000,
        compression_type=None,
    )


#: For a consumer nobody waits on event by event (the audit log, the funds-credit policy, webhook delivery): the
#: broker answers its fetch once 64 KiB have come or 100 ms have passed, rather than at the first record. Under
#: load each fetch then carries a run of events instead of one, and the broker, the consumer and its transaction
#: are paid per run (issue 14: Kafka's CPU per command); an event waits at most 100 ms more.
UNHURRIED: dict[str, Any] = {"fetch_min_bytes": 65_536, "fetch_max_wait_ms": 100}


def event_consumer(settings: Settings, client_id: str, **overrides: Any) -> AIOKafkaConsumer:
    """A consumer with no group unless ``group_id`` is given: callers assign partitions (or, sharing them with
    other instances, subscribe with a CheckpointSeeker) and seek to their own checkpoints."""
    options: dict[str, Any] = {
        **connection_options(settings),
        "client_id": client_id,
        "group_id": None,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_partition_fetch_bytes": 4 * 1_048_576,
        "fetch_max_bytes": 16 * 1_048_576,
    }
    options.update(overrides)
    return AIOKafkaConsumer(**options)


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str, timeout: float = 10.0) -> list[TopicPartition]:
    """Partitions of ``topic``; a group-less consumer knows none until it asks the broker."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ids = consumer.partitions_for_topic(topic)
        if ids:
            return [TopicPartition(topic, p) for p in sorted(ids)]
        if loop.time() > deadline:
            raise RuntimeError(f"topic {topic} does not exist; create topics first (python -m infra.topics)")
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.05)


async def assign_from_checkpoints(consumer: AIOKafkaConsumer, topics: Iterable[str],
                                  stored: Mapping[tuple[str, int], int]) -> list[TopicPartition]:
    """Assign every partition of ``topics`` and seek each to its stored next offset (the beginning when none is
    stored): for group-less consumers that keep their checkpoints with what they write. All plain seeks happen
    before the next await — a fetch started in between would read a partition from its default position and move
    the checkpoint backwards (measured, docs/decisions/projector-runtime.md)."""
    partitions: list[TopicPartition] = []
    for topic in topics:
        partitions.extend(await topic_partitions(consumer, topic))
    consumer.assign(partitions)
    await seek_to_checkpoints(consumer, partitions, stored)
    return partitions


#: Stored checkpoints: (topic, partition) → the next offset to apply.
Checkpoints = Mapping[tuple[str, int], int]


class CheckpointSeeker(ConsumerRebalanceListener):  # type: ignore[misc]
    """Instances that share partitions through a consumer group, with their checkpoints in their own database.

    On every assignment it seeks each partition it got to its stored checkpoint (the beginning when none is
    stored): Kafka's committed offsets are never used. Before partitions are revoked it waits for the batch in
    flight (``held``, the lock the consumer's owner holds while it applies one), so the batch is committed
    before another instance can be given its partition. aiokafka runs both in its group coordinator's task and
    awaits them before the rebalance goes on (aiokafka/consumer/group_coordinator.py: _on_join_prepare,
    _on_join_complete). A consumer that lost its partitions without being asked (its session expired) is
    guarded by its owner's conditional checkpoint write (services/kernel/projection_runner.py)."""

    def __init__(self, consumer: AIOKafkaConsumer, load: Callable[[], Awaitable[Checkpoints]],
                 held: asyncio.Lock) -> None:
        self.consumer = consumer
        self.load = load
        self.held = held

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        async with self.held:  # the batch in flight is committed (or abandoned) first
            pass

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        partitions = sorted(assigned)
        stored = await self.load()
        await seek_to_checkpoints(self.consumer, partitions, stored)
        log.info("assigned %d partitions, each at its stored checkpoint: %s", len(partitions),
                 ", ".join(f"{tp.topic}[{tp.partition}]@{stored.get((tp.topic, tp.partition), 0)}"
                           for tp in partitions))


async def seek_to_checkpoints(consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition],
                              stored: Checkpoints) -> None:
    """Seek each of ``partitions`` to its stored next offset, the beginning when none is stored. All plain seeks
    happen before the next await — a fetch started in between would read a partition from its default position
    (measured, docs/decisions/projector-runtime.md)."""
    fresh = []
    for tp in partitions:
        offset = stored.get((tp.topic, tp.partition))
        if offset is None:
            fresh.append(tp)
        else:
            consumer.seek(tp, offset)
    if fresh:
        await consumer.seek_to_beginning(*fresh)


# --------------------------------------------------------------------------- ACLs (CreateAcls)

# The Kafka protocol's enums (org.apache.kafka.common.resource / acl).
RESOURCE_TYPES = {"topic": 2, "group": 3, "cluster": 4, "transactional_id": 5}
PATTERN_TYPES = {"literal": 3, "prefixed": 4}
OPERATIONS = {"ALL": 2, "READ": 3, "WRITE": 4, "CREATE": 5, "DELETE": 6, "ALTER": 7, "DESCRIBE": 8,
              "CLUSTER_ACTION": 9, "DESCRIBE_CONFIGS": 10, "ALTER_CONFIGS": 11, "IDEMPOTENT_WRITE": 12}
ALLOW = 3
ANY_HOST = "*"
#: The one name the cluster resource has in an ACL.
CLUSTER = "kafka-cluster"

#: A CreateAcls v1 creation: (resource type, name, pattern type, principal, host, operation, permission).
AclRow = tuple[int, str, int, str, str, int, int]


@dataclass(frozen=True)
class Grant:
    """Allow ``operations`` on one resource (or every resource whose name starts with ``name``)."""

    resource: str
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"


def acl_rows(table: Mapping[str, Iterable[Grant]]) -> list[AclRow]:
    """The CreateAcls creations that allow each principal (``User:<name>``) its grants, from any host."""
    rows: list[AclRow] = []
    for principal, grants in table.items():
        for g in grants:
            for op in g.operations:
                rows.append((RESOURCE_TYPES[g.resource], g.name, PATTERN_TYPES[g.pattern], f"User:{principal}",
                             ANY_HOST, OPERATIONS[op], ALLOW))
    return rows


async def create_acls(admin: AIOKafkaAdminClient, table: Mapping[str, Iterable[Grant]]) -> int:
    """Create every ACL of ``table`` (principal -> grants); returns how many were sent.

    Creating an ACL that exists changes nothing, so this is idempotent. aiokafka's request carries one
    creation, hence one round trip per ACL — a few dozen at most."""
    rows = acl_rows(table)
    for row in rows:
        response: Any = await admin._send_to_controller(CreateAclsRequest(*row))
        for code, message in response.creation_responses:
            if code != 0:
                raise RuntimeError(f"creating ACL {row} failed: {message or for_code(code).__name__}")
    return len(rows)


# --------------------------------------------------------------------------- SCRAM (AlterUserScramCredentials)
# The wire format of clients/src/main/resources/common/message/AlterUserScramCredentials{Request,Response}.json:
# API key 51, only version 0, flexible from version 0 (compact strings, bytes and arrays, tagged fields).
# aiokafka ships no type information, so its base classes are Any to mypy (hence the ignores below).

#: org.apache.kafka.clients.admin.ScramMechanism: each mechanism's type on the wire and the hash its keys use. A
#: user's credential is per mechanism: one set for SCRAM-SHA-256 does not log in with SCRAM-SHA-512, or the reverse.
SCRAM_MECHANISMS: dict[str, tuple[int, str]] = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}
#: The broker refuses fewer iterations than 4096 and more than 16384 (ScramMechanism, ScramControlManager).
SCRAM_MIN_ITERATIONS = 4096
SCRAM_MAX_ITERATIONS = 16384


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(
            ("user", CompactString("utf-8")),
            ("error_code", Int16),
            ("error_message", CompactString("utf-8")),  # nullable: None when the user's change succeeded
            ("tags", TaggedFields),
        )),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(
            ("name", CompactString("utf-8")),
            ("mechanism", Int8),
            ("tags", TaggedFields),
        )),
        ("upsertions", CompactArray(
            ("name", CompactString("utf-8")),
            ("mechanism", Int8),
            ("iterations", Int32),
            ("salt", CompactBytes),
            ("salted_password", CompactBytes),
            ("tags", TaggedFields),
        )),
        ("tags", TaggedFields),
    )


#: (name, mechanism, iterations, salt, salted password, tagged fields)
ScramUpsertion = tuple[str, int, int, bytes, bytes, dict[int, bytes]]
#: (name, mechanism, tagged fields)
ScramDeletion = tuple[str, int, dict[int, bytes]]


class AlterUserScramCredentialsRequest(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, upsertions: list[ScramUpsertion], deletions: list[ScramDeletion] | None = None) -> None:
        self._upsertions = upsertions
        self._deletions = deletions or []

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        return request_struct_class(self._deletions, self._upsertions, {})


def scram_salted_password(password: str, salt: bytes, iterations: int, digest: str = "sha512") -> bytes:
    """SCRAM's Hi(password, salt, i) (RFC 5802): PBKDF2-HMAC with the mechanism's hash and its digest's length,
    the password as UTF-8 without SASLprep — what Kafka's ScramFormatter.saltedPassword computes."""
    return hashlib.pbkdf2_hmac(digest, password.encode("utf-8"), salt, iterations)


async def upsert_scram_credential(admin: AIOKafkaAdminClient, user: str, password: str,
                                  iterations: int = SCRAM_MIN_ITERATIONS, mechanism: str = SASL_MECHANISM) -> None:
    """Create or replace ``user``'s credential for ``mechanism`` (SCRAM-SHA-512 unless told) so that ``password``
    logs in with it.

    Like Kafka's own admin client, this side picks a random salt and sends the salted password, from
    which the controller derives and keeps the stored and server keys. The salted password is as good
    as the password for logging in, so the request is as secret as the password itself. Each call
    writes a new salt: the credential record changes, the password that opens it does not."""
    if not SCRAM_MIN_ITERATIONS <= iterations <= SCRAM_MAX_ITERATIONS:
        raise ValueError(f"SCRAM iterations must be {SCRAM_MIN_ITERATIONS}..{SCRAM_MAX_ITERATIONS}, not {iterations}")
    salt = secrets.token_bytes(32)
    kind, digest = SCRAM_MECHANISMS[mechanism]
    upsertion: ScramUpsertion = (user, kind, iterations, salt,
                                 scram_salted_password(password, salt, iterations, digest), {})
    response: Any = await admin._send_to_controller(AlterUserScramCredentialsRequest([upsertion]))
    code, message = _scram_result(response, user)
    if code != 0:
        raise RuntimeError(f"setting the SCRAM credential of {user} failed: "
                           f"{message or for_code(code).__name__} (error {code})")


#: org.apache.kafka.common.protocol.Errors.RESOURCE_NOT_FOUND (aiokafka does not know it): the controller's answer
#: to deleting a credential that does not exist (ScramControlManager).
RESOURCE_NOT_FOUND = 91


async def delete_scram_credential(admin: AIOKafkaAdminClient, user: str, mechanism: str = SASL_MECHANISM) -> bool:
    """Delete ``user``'s credential for ``mechanism`` (SCRAM-SHA-512 unless told), so that no password logs in as
    ``user`` with it any more; True when there was one. Idempotent: a credential already gone is what was asked.
    Connections that logged in before stay open until they close or re-authenticate (the broker's
    ``connections.max.reauth.ms``); what they may still do is what the principal's ACLs allow."""
    deletion: ScramDeletion = (user, SCRAM_MECHANISMS[mechanism][0], {})
    response: Any = await admin._send_to_controller(AlterUserScramCredentialsRequest([], [deletion]))
    code, message = _scram_result(response, user)
    if code not in (0, RESOURCE_NOT_FOUND):
        raise RuntimeError(f"deleting the SCRAM credential of {user} failed: "
                           f"{message or for_code(code).__name__} (error {code})")
    return code == 0


def _scram_result(response: Any, user: str) -> tuple[int, str | None]:
    results = {name: (code, message) for name, code, message, _tags in response.results}
    if user not in results:
        raise RuntimeError(f"the broker did not answer for the SCRAM credential of {user}: {response!r}")
    return results[user]
