"""docker-compose.yml describes the same system as the local runner (infra/*.py).

No Docker needed: the compose file is read as YAML and compared with the runner's own data
(infra/processes.py, infra/kafka.py NODE_PROPERTIES, infra/acls.py, infra/topics.py, infra/postgres.py).
Compose's ``${VAR:?…}`` / ``${VAR:-default}`` are interpolated as docker compose would, with a
distinct 48-character stand-in for every required variable.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

import infra.topics
from infra import acls, kafka, kafka_config, postgres
from infra.processes import app_processes
from services import system
from services.kernel.kafka import SASL_MECHANISM
from services.kernel.settings import KAFKA_OPERATOR, REPO_ROOT, Settings

COMPOSE_TEXT = (REPO_ROOT / "docker-compose.yml").read_text()
#: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
#: Variables that hold a secret, by name.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN")


def stand_in(name: str) -> str:
    """What a required variable is set to in these tests: distinct per name, over 32 bytes."""
    return f"{name.lower()}-{'x' * 48}"


def interpolate(text: str) -> str:
    def value(match: re.Match[str]) -> str:
        op, arg = match["op"], match["arg"]
        if op and op.endswith("-"):
            return arg
        return stand_in(match["name"])
    return VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


COMPOSE: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_TEXT))
ALL_SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
#: The services compose starts by default: those of no profile.
SERVICES: dict[str, dict[str, Any]] = {n: s for n, s in ALL_SERVICES.items() if not s.get("profiles")}
#: The cluster profile's additions (docs/cluster.md).
CLUSTER_SERVICES: dict[str, dict[str, Any]] = {n: s for n, s in ALL_SERVICES.items() if s.get("profiles")}
INFRA_SERVICES = {"kafka-format", "kafka", "postgres", "topics"}
CLUSTER_INFRA_SERVICES = {"kafka-2-format", "kafka-2", "kafka-3-format", "kafka-3"}
PROCESS_NAMES = [p.name for p in app_processes(Settings())]
CLUSTER_ENV_FILE = REPO_ROOT / "infra" / "compose-cluster.env"
#: Properties that name addresses, which necessarily differ between the host and containers.
ADDRESS_PROPERTIES = {"listeners", "advertised.listeners", "controller.quorum.voters", "log.dirs"}


def compose_settings(service: str, monkeypatch: pytest.MonkeyPatch,
                     compose: dict[str, dict[str, Any]] | None = None) -> Settings:
    """The Settings a process sees inside the compose service (its GB_* environment only)."""
    for name in list(os.environ):
        if name.startswith("GB_"):
            monkeypatch.delenv(name)
    # Compose sets no GB_KAFKA_* for a process without a principal; the runner sets them empty.
    monkeypatch.setenv("GB_KAFKA_USERNAME", "")
    for name, value in ((compose or SERVICES)[service].get("environment") or {}).items():
        monkeypatch.setenv(name, str(value))
    return Settings()


def cluster_env() -> dict[str, str]:
    """The variables infra/compose-cluster.env sets."""
    lines = [ln.strip() for ln in CLUSTER_ENV_FILE.read_text().splitlines()]
    return dict(ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))


def cluster_compose() -> dict[str, dict[str, Any]]:
    """Every service of compose, interpolated with infra/compose-cluster.env (as `--env-file` does)."""
    values = cluster_env()

    def value(match: re.Match[str]) -> str:
        if match["name"] in values:
            return values[match["name"]]
        return match["arg"] if match["op"] and match["op"].endswith("-") else stand_in(match["name"])
    text = VARIABLE.sub(value, COMPOSE_TEXT.replace("$$", "\0")).replace("\0", "$")
    services: dict[str, dict[str, Any]] = yaml.safe_load(text)["services"]
    return services


def depends_on(service: str) -> set[str]:
    deps = SERVICES[service].get("depends_on") or {}
    return set(deps)


def test_compose_has_the_infrastructure_services() -> None:
    assert set(SERVICES) >= INFRA_SERVICES


def test_app_services_are_exactly_the_runner_processes() -> None:
    assert set(SERVICES) - INFRA_SERVICES == set(PROCESS_NAMES)


def test_app_services_start_in_the_runner_order() -> None:
    for before, after in itertools.pairwise(PROCESS_NAMES):
        assert before in depends_on(after), f"{after} must depend on {before} (start order of infra/processes.py)"
    for name in PROCESS_NAMES:
        assert {"postgres", "topics"} <= depends_on(name)
        assert SERVICES[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_app_command_is_the_runner_argv(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = compose_settings(name, monkeypatch)
    (process,) = [p for p in app_processes(settings, host="0.0.0.0", python="python") if p.name == name]
    assert SERVICES[name]["command"] == list(process.argv)


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_app_ports_env_and_healthchecks_agree(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = compose_settings(name, monkeypatch)
    (process,) = [p for p in app_processes(settings) if p.name == name]
    service = SERVICES[name]
    env = service.get("environment") or {}
    # Extra settings the runner hands this process are set in compose too.
    assert set(process.env) <= set(env)
    if "--port" in process.argv:
        port = process.argv[process.argv.index("--port") + 1]
        assert process.ready_url is not None
        assert f":{port}/" in process.ready_url
        health = " ".join(service["healthcheck"]["test"])
        assert process.ready_url in health, "compose healthcheck must probe the runner's readiness URL"
    else:
        assert process.ready_url is None
        assert "ports" not in service


def test_gateway_port_is_published_on_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = compose_settings("gateway", monkeypatch)
    assert SERVICES["gateway"]["ports"] == [f"127.0.0.1:{settings.gateway_port}:{settings.gateway_port}"]
    assert settings.gateway_port == 8000


def test_no_port_is_published_on_all_interfaces_by_default() -> None:
    for name, service in ALL_SERVICES.items():
        for port in service.get("ports") or []:
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}:"
            host = spec.rsplit(":", 2)[0] if spec.count(":") >= 2 else ""
            assert host == "127.0.0.1", f"{name} publishes {port!r} beyond 127.0.0.1 by default"


def test_no_secret_has_a_default() -> None:
    for match in VARIABLE.finditer(COMPOSE_TEXT):
        if SECRET_NAME.search(match["name"]):
            assert match["op"] == ":?", f"${{{match['name']}}} must be required (${{VAR:?message}}), with no default"
    raw: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            # A JAAS entry with a password (the broker's logins) carries a secret; PARTNER's names none.
            if SECRET_NAME.search(key) or ("JAAS" in key and "password=" in str(value)):
                assert "${" in str(value), f"{name}: {key} is written in the file instead of required"


def test_every_process_and_the_services_get_the_required_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*PROCESS_NAMES, "topics"]:
        env = SERVICES[name]["environment"]
        for var in ("GB_ADMIN_TOKEN", "GB_TOKEN_SECRET", "GB_INTERNAL_SECRET", "GB_PG_PASSWORD"):
            assert env.get(var) == stand_in(var), f"{name} must get {var}"
        assert env["GB_ENV"] == "production"
        compose_settings(name, monkeypatch)  # accepted: no default and no short secret


def test_each_process_gets_only_its_own_kafka_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    for process in app_processes(Settings()):
        settings = compose_settings(process.name, monkeypatch)
        principal = process.kafka_principal
        assert settings.kafka_username == (principal or "")
        expected = stand_in(f"GB_KAFKA_{principal.upper().replace('-', '_')}_PASSWORD") if principal else ""
        assert settings.kafka_password == expected, process.name
    topics = compose_settings("topics", monkeypatch)
    assert (topics.kafka_username, topics.kafka_password) == (KAFKA_OPERATOR, stand_in("GB_KAFKA_OPERATOR_PASSWORD"))


def test_kafka_is_formatted_with_every_principal() -> None:
    job = SERVICES["kafka-format"]
    assert job["image"] == SERVICES["kafka"]["image"]
    assert job["environment"]["CLUSTER_ID"] == SERVICES["kafka"]["environment"]["CLUSTER_ID"]
    assert job["environment"]["GB_KAFKA_PRINCIPALS"].split() == acls.principals()
    for principal in acls.principals():
        var = f"GB_KAFKA_{principal.upper().replace('-', '_')}_PASSWORD"
        assert job["environment"][var] == stand_in(var)
    script = "".join(job["command"])
    assert "kafka-storage.sh format --ignore-formatted" in script and f"{SASL_MECHANISM}=[name=" in script
    assert SERVICES["kafka"]["depends_on"]["kafka-format"]["condition"] == "service_completed_successfully"


def test_apps_reach_the_compose_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    pg_password = SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert pg_password == stand_in("GB_PG_PASSWORD")
    assert SERVICES["postgres"]["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    advertised = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    partner_port = re.search(r"PARTNER://[^,:]*:(\d+)", SERVICES["kafka"]["environment"]["KAFKA_LISTENERS"])
    assert partner_port is not None
    for name in PROCESS_NAMES:
        settings = compose_settings(name, monkeypatch)
        # The processes on CLIENT; partners are handed PARTNER (GET …/kafka-credentials).
        assert f"CLIENT://{settings.bootstrap_servers},PARTNER://{settings.partner_bootstrap_servers}" == advertised
        assert settings.partner_bootstrap_servers == f"kafka:{partner_port.group(1)}"
        dsn = urlsplit(settings.dsn("membership"))
        assert (dsn.hostname, dsn.port, dsn.password) == ("postgres", 5432, pg_password)
        for service in system.SERVICES:
            assert service.base_url(settings) == f"http://{service.name}:{service.port(settings)}"


def test_topics_service_runs_the_runner_topic_module() -> None:
    topics = SERVICES["topics"]
    assert topics["command"] == ["python", "-m", "infra.topics"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    # infra.topics creates exactly one event-log topic per service, and is runnable.
    assert [t.name for t in infra.topics.all_topics()] == system.topics()
    assert callable(infra.topics.main)
    source = (REPO_ROOT / "infra" / "topics.py").read_text()
    assert 'if __name__ == "__main__":' in source


def test_kafka_node_settings_match_the_runner() -> None:
    kafka_service = SERVICES["kafka"]
    env = {k: str(v) for k, v in kafka_service["environment"].items()}
    assert kafka_service["image"] == f"apache/kafka:{kafka.KAFKA_VERSION}"
    for prop, value in kafka_config.NODE_PROPERTIES.items():
        assert env.get(kafka_config.compose_env_name(prop)) == value, prop
    # The broker's own logins, with its password required from the environment.
    for prop, value in kafka_config.secret_properties(stand_in("GB_KAFKA_BROKER_PASSWORD")).items():
        assert env.get(kafka_config.compose_env_name(prop)) == value, prop
    # Nothing set in compose that the runner does not set, and vice versa.
    runner_props = set(kafka_config.server_properties(Settings())) | set(kafka_config.SECRET_PROPERTIES)
    assert runner_props == set(kafka_config.NODE_PROPERTIES) | ADDRESS_PROPERTIES | set(kafka_config.SECRET_PROPERTIES)
    compose_props = {kafka_config.compose_env_name(p) for p in runner_props}
    assert {k for k in env if k.startswith("KAFKA_") and k != "KAFKA_HEAP_OPTS"} == compose_props
    # Static single-voter quorum on the controller listener, as in the runner.
    controller_port = re.search(r"CONTROLLER://[^,:]*:(\d+)", env["KAFKA_LISTENERS"]).group(1)  # type: ignore[union-attr]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka.NODE_ID}@kafka:{controller_port}"
    assert f"-Xmx{kafka.HEAP}" in env["KAFKA_HEAP_OPTS"].split()
    assert env["CLUSTER_ID"]


def test_postgres_init_creates_the_runner_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    init = REPO_ROOT / "infra" / "postgres" / "init.sql"
    mount = f"./{init.relative_to(REPO_ROOT)}:/docker-entrypoint-initdb.d/"
    assert any(str(v).startswith(mount) for v in SERVICES["postgres"]["volumes"])
    created = set(re.findall(r"(?im)^\s*CREATE\s+DATABASE\s+\"?(\w+)\"?\s*;", init.read_text()))
    settings = compose_settings(PROCESS_NAMES[0], monkeypatch)
    assert created == set(postgres.database_names(settings).values())


def test_postgres_server_settings_match_the_runner() -> None:
    command = SERVICES["postgres"]["command"]
    assert SERVICES["postgres"]["image"] == "postgres:15"
    settings = dict(command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "-c")
    for key, value in settings.items():
        assert postgres.SERVER_SETTINGS[key].strip("'") == value, key
    assert {"max_connections", "shared_buffers"} <= set(settings)


def test_processes_without_an_http_port_get_their_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for process in app_processes(Settings()):
        settings = compose_settings(process.name, monkeypatch)
        (runner,) = [p for p in app_processes(settings) if p.name == process.name]
        env = SERVICES[process.name].get("environment") or {}
        if runner.ready_url is None:
            assert runner.metrics_port is not None
            assert env.get("GB_METRICS_PORT") == str(runner.metrics_port) == runner.env["GB_METRICS_PORT"]
        else:
            assert runner.metrics_port is None and "GB_METRICS_PORT" not in env, process.name


def test_metrics_ports_are_distinct_and_move_with_the_test_slot() -> None:
    def ports(slot: int, offset: int = 0) -> set[int]:
        shift = 10 * slot + offset
        s = Settings(gateway_port=18000 + shift, kafka_port=19092 + shift, kafka_controller_port=19093 + shift,
                     service_ports={n: p + 10000 + shift for n, p in system.default_ports().items()})
        found = [p.metrics_port for p in app_processes(s) if p.metrics_port is not None]
        assert len(found) == len(set(found)) == len([p for p in app_processes(s) if p.ready_url is None])
        kafka_ports = {port(n) for n in (1, 2, 3) for port in (s.kafka_node_port, s.kafka_node_partner_port,
                                                               s.kafka_node_controller_port)}
        return {*found, s.gateway_port, *kafka_ports, *s.service_ports.values()}

    every = [ports(slot) for slot in range(10)]
    for a, b in itertools.combinations(every, 2):
        assert not a & b, "two test slots share a port"
    for slot in range(10):
        # The second systems of test_one_clock (7 ports away) and test_supervision (500) beside the session's.
        for offset in (7, 500):
            assert not ports(slot) & ports(slot, offset)


CLUSTER_RUNNER = Settings(kafka_brokers=3, instances=2)


def test_the_cluster_profile_adds_the_runner_s_cluster_processes_and_two_kafka_nodes() -> None:
    added = {p.name for p in app_processes(CLUSTER_RUNNER)} - set(PROCESS_NAMES)
    assert added and set(CLUSTER_SERVICES) == added | CLUSTER_INFRA_SERVICES
    assert all(s["profiles"] == ["cluster"] for s in CLUSTER_SERVICES.values())


@pytest.mark.parametrize("name", sorted({p.name for p in app_processes(CLUSTER_RUNNER)} - set(PROCESS_NAMES)))
def test_a_second_instance_has_the_runner_s_command_and_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = cluster_compose()
    settings = compose_settings(name, monkeypatch, compose)
    assert (settings.kafka_brokers, settings.bootstrap_servers) == (3, "kafka:9092,kafka-2:9092,kafka-3:9092")
    runner = dataclasses.replace(settings, instances=2)
    (process,) = [p for p in app_processes(runner, host="0.0.0.0", python="python") if p.name == name]
    assert compose[name]["command"] == list(process.argv)
    env = compose[name].get("environment") or {}
    assert env.get("GB_METRICS_PORT") == (str(process.metrics_port) if process.metrics_port else None)
    assert settings.kafka_username == (process.kafka_principal or "")
    first = name.rsplit("-", 1)[0]
    assert first in compose[name]["depends_on"]
    assert {k: v for k, v in env.items() if k != "GB_METRICS_PORT"} == {
        k: v for k, v in compose[first]["environment"].items() if k != "GB_METRICS_PORT"}


def test_the_cluster_profile_runs_three_voters_with_the_runner_s_replication(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = cluster_compose()
    runner = kafka_config.replication_properties(CLUSTER_RUNNER)
    voters = "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093"
    for n, name in enumerate(("kafka", "kafka-2", "kafka-3"), start=1):
        env = {k: str(v) for k, v in compose[name]["environment"].items()}
        assert env["KAFKA_NODE_ID"] == str(n)
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"CLIENT://{name}:9092,PARTNER://{name}:10092"
        for prop, value in runner.items():
            assert env[kafka_config.compose_env_name(prop)] == value, (name, prop)
        others = {k: v for k, v in env.items() if k not in ("KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS")}
        assert others == {k: str(v) for k, v in compose["kafka"]["environment"].items()
                          if k not in ("KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS")}
        job = compose[f"{name}-format"]["environment"]
        assert (job["GB_KAFKA_NODE_ID"], job["GB_KAFKA_VOTERS"]) == (str(n), voters)
    # The apps reach every broker and replicate as the runner's cluster does; the gateway every instance.
    settings = compose_settings("gateway", monkeypatch, compose)
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)
    assert settings.partner_bootstrap_servers == "kafka:10092,kafka-2:10092,kafka-3:10092"
    for service in system.SERVICES:
        port = service.default_port
        assert service.base_url(settings) == f"http://{service.name}:{port},http://{service.name}-2:{port + 100}"
