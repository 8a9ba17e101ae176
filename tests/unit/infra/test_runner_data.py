"""The runner's pure parts: settings → child environment, processes, Kafka properties. No I/O."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest

from infra import kafka_config, supervisor
from infra.processes import app_processes
from services import system
from services.kernel.settings import Settings


def test_every_setting_has_its_environment_variable() -> None:
    names = supervisor.settings_env_names()
    # The per-service maps are read from GB_<SERVICE>_PORT / GB_<SERVICE>_URL (Settings.service_env).
    assert set(names) | {"service_ports", "service_urls"} == {f.name for f in dataclasses.fields(Settings)}
    assert all(var.startswith("GB_") for var in names.values())
    expected = {"GB_MEMBERSHIP_PORT", "GB_SECONDMENT_PORT", "GB_INVESTMENT_PORT", "GB_PARTNERS_PORT",
                "GB_WORKERS_PORT", "GB_AUDITLOG_PORT"}
    assert set(Settings().service_env(system.default_ports())) == expected


def test_child_environment_reproduces_the_runner_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    custom = Settings(
        data_dir=Path("/tmp/gb-elsewhere"),
        pg_port=50001,
        kafka_port=50002,
        kafka_controller_port=50003,
        gateway_port=50004,
        service_ports={"membership": 50005, "secondment": 50006, "investment": 50007, "partners": 50008,
                       "workers": 50010, "auditlog": 50009},
        admin_token="t0ken",
    )
    env = supervisor.child_env(custom, {"EXTRA": "1"})
    for name in list(os.environ):
        if name.startswith("GB_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("GB_"):
            monkeypatch.setenv(name, value)
    assert Settings() == custom
    assert env["EXTRA"] == "1"


def test_processes_start_in_order_with_their_ports() -> None:
    ports = {"membership": 18101, "secondment": 18102, "investment": 18103, "partners": 18104, "workers": 18106,
             "auditlog": 18105}
    settings = Settings(gateway_port=18000, service_ports=ports)
    processes = app_processes(settings)
    assert [p.name for p in processes] == [
        "membership", "membership-relay", "secondment", "secondment-relay", "investment", "investment-relay",
        "partners", "partners-relay", "workers", "workers-relay", "auditlog", "auditlog-relay", "funds-credit",
        "partners-router", "partners-webhooks", "projector", "gateway"]
    assert all(p.argv[0] == sys.executable for p in processes)
    by_name = {p.name: p for p in processes}
    assert by_name["membership"].ready_url == "http://127.0.0.1:18101/healthz"
    assert by_name["investment"].ready_url == "http://127.0.0.1:18103/healthz"
    assert by_name["gateway"].env["GB_SECONDMENT_URL"] == "http://127.0.0.1:18102"
    assert by_name["gateway"].ready_url == "http://127.0.0.1:18000/healthz"
    gateway_argv = by_name["gateway"].argv
    assert gateway_argv[gateway_argv.index("--port") + 1] == "18000"
    assert by_name["membership-relay"].ready_url is None


def test_server_properties_single_combined_node(tmp_path: Path) -> None:
    props = kafka_config.server_properties(Settings(data_dir=tmp_path, kafka_port=19092, kafka_controller_port=19093))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "CLIENT://127.0.0.1:19092,PARTNER://127.0.0.1:20092,CONTROLLER://127.0.0.1:19093"
    assert props["listener.security.protocol.map"] == (
        "CLIENT:SASL_PLAINTEXT,PARTNER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert "password" not in "".join(props.values())
    assert props["log.dirs"] == str(tmp_path / "kafka" / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert all(props[k] == "1" for k in props if k.endswith(("replication.factor", "min.isr")))


def test_cluster_id_has_kafka_uuid_form() -> None:
    for _ in range(200):
        cid = kafka_config.new_cluster_id()
        assert len(cid) == 22 and not cid.startswith("-") and "=" not in cid


def test_compose_env_names_follow_the_apache_kafka_image() -> None:
    assert kafka_config.compose_env_name("node.id") == "KAFKA_NODE_ID"
    assert kafka_config.compose_env_name("a_b-c.d") == "KAFKA_A__B___C_D"
