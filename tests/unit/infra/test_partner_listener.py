"""The partners' Kafka listener, PARTNER: its ports, its session lifetime (KIP-368), and that the internal
listener, CLIENT, gets none (its aiokafka clients cannot re-authenticate). No I/O.

Where the ports are checked against each other: every test slot (``./gb test``, GB_TEST_SLOT shifts every port by
10) and the second systems the end-to-end tests start beside a session's (test_one_clock: 7 ports away,
test_cluster: 300, test_supervision: 500; each puts its PostgreSQL beside its Kafka ports), in cluster mode.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from infra import kafka_config
from services.kernel.settings import PARTNER_REAUTH_MS, Settings

SLOTS = range(10)
#: The second systems' port offsets and their PostgreSQL ports beside the session's Kafka port.
SECOND_SYSTEMS = {0: None, 7: 5, 300: 307, 500: 503}


def kafka_ports(settings: Settings, brokers: int = 3) -> set[int]:
    return {port(n) for n in range(1, brokers + 1) for port in (
        settings.kafka_node_port, settings.kafka_node_partner_port, settings.kafka_node_controller_port)}


def test_each_node_has_a_partner_listener_beside_its_client_listener(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kafka_port=19092, kafka_controller_port=19093, kafka_brokers=3)
    assert [settings.kafka_node_partner_port(n) for n in (1, 2, 3)] == [20092, 20094, 20096]
    assert settings.partner_bootstrap_servers == "127.0.0.1:20092,127.0.0.1:20094,127.0.0.1:20096"
    props = kafka_config.server_properties(settings, node=2)
    assert props["listeners"] == "CLIENT://127.0.0.1:19094,PARTNER://127.0.0.1:20094,CONTROLLER://127.0.0.1:19095"
    assert props["advertised.listeners"] == "CLIENT://127.0.0.1:19094,PARTNER://127.0.0.1:20094"
    assert props["inter.broker.listener.name"] == "CLIENT"
    # Each listener its own mechanism: a SCRAM credential belongs to one, so a partner's (SHA-256) does not log in
    # on CLIENT and an internal principal's (SHA-512) not on PARTNER.
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["listener.name.partner.sasl.enabled.mechanisms"] == "SCRAM-SHA-256"
    assert not any(k.startswith("listener.name.client.") and "mechanisms" in k for k in props)
    assert "password" not in props["listener.name.partner.scram-sha-256.sasl.jaas.config"]
    assert "listener.name.partner.scram-sha-512.sasl.jaas.config" not in props


def test_only_the_partner_listener_ends_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GB_KAFKA_PARTNER_REAUTH_MS", raising=False)  # ./gb test shortens it
    props = kafka_config.server_properties(Settings(data_dir=tmp_path))
    assert props["listener.name.partner.connections.max.reauth.ms"] == str(PARTNER_REAUTH_MS) == "60000"
    others = [k for k in props
              if k.endswith("connections.max.reauth.ms") and not k.startswith("listener.name.partner.")]
    assert others == [], "the internal clients (aiokafka) would be disconnected every interval"
    short = kafka_config.server_properties(Settings(data_dir=tmp_path, kafka_partner_reauth_ms=10_000))
    assert short["listener.name.partner.connections.max.reauth.ms"] == "10000"


def test_a_session_lifetime_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GB_KAFKA_PARTNER_REAUTH_MS", "0")
    with pytest.raises(ValueError, match="GB_KAFKA_PARTNER_REAUTH_MS"):
        Settings()


def test_the_partner_listener_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GB_KAFKA_PARTNER_PORT", "9400")
    monkeypatch.setenv("GB_KAFKA_PARTNER_REAUTH_MS", "120000")
    settings = Settings()
    assert (settings.kafka_node_partner_port(1), settings.kafka_partner_reauth_ms) == (9400, 120_000)
    assert "kafka_partner" not in settings.service_ports  # GB_KAFKA_PARTNER_PORT names no service


def test_an_external_cluster_hands_partners_only_its_partner_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GB_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.delenv("GB_KAFKA_PARTNER_BOOTSTRAP", raising=False)
    assert Settings().partner_bootstrap_servers == ""  # never CLIENT's address: the query says it is not set
    monkeypatch.setenv("GB_KAFKA_PARTNER_BOOTSTRAP", "kafka:10092")
    assert Settings().partner_bootstrap_servers == "kafka:10092"


def test_the_legacy_start_has_no_partner_listener(tmp_path: Path) -> None:
    props = kafka_config.legacy_properties(Settings(data_dir=tmp_path, kafka_port=19092, kafka_controller_port=19093))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert not any(k.startswith("listener.name.") for k in props)


def test_partner_ports_clash_with_no_other_kafka_or_postgres_port_of_any_slot_or_second_system() -> None:
    taken: dict[tuple[int, int], set[int]] = {}
    for slot, (offset, pg) in itertools.product(SLOTS, SECOND_SYSTEMS.items()):
        session = 19092 + 10 * slot
        settings = Settings(kafka_port=session + offset, kafka_controller_port=session + 1 + offset)
        taken[(slot, offset)] = kafka_ports(settings) | ({session + pg} if pg is not None else set())
    for (a, ports_a), (b, ports_b) in itertools.combinations(taken.items(), 2):
        partners_a = {Settings(kafka_port=19092 + 10 * a[0] + a[1]).kafka_node_partner_port(n) for n in (1, 2, 3)}
        partners_b = {Settings(kafka_port=19092 + 10 * b[0] + b[1]).kafka_node_partner_port(n) for n in (1, 2, 3)}
        assert not (partners_a & ports_b or partners_b & ports_a), (a, b)
