"""Who may do what on Kafka, which secrets each process gets, and where they live. No I/O but tmp_path."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from infra import acls, kafka_config, secrets, supervisor
from infra.processes import app_processes
from services import system
from services.kernel.kafka import KafkaCredentialsMissing, connection_options
from services.kernel.settings import Settings, redact

STRONG = "s" * 40


def test_each_relay_writes_its_own_topic_and_nothing_else() -> None:
    table = acls.grants()
    for service in system.SERVICES:
        (grant,) = table[acls.relay_principal(service.name)]
        assert (grant.resource, grant.name, grant.operations, grant.pattern) == (
            "topic", service.topic, ("WRITE",), "literal")


def test_only_relays_and_the_partner_router_write_and_only_the_provisioner_administers() -> None:
    for principal, grants in acls.grants().items():
        ops = {op for g in grants for op in g.operations}
        if principal == acls.PARTNERS:
            # Provisioning partners: CreateAcls and AlterUserScramCredentials need ALTER on the cluster.
            assert {(g.resource, g.operations) for g in grants if g.resource == "cluster"} == {("cluster", ("ALTER",))}
            assert all(g.name.startswith("gb.partner.") for g in grants if g.resource != "cluster")
            continue
        if principal == acls.PARTNERS_ROUTER:
            # Its writes go to partner topics only; ALL only on faust's own topics.
            assert all(g.name.startswith(("gb.partner.", "gb-partners-router")) for g in grants
                       if {"WRITE", "ALL"} & set(g.operations))
            continue
        assert ops <= {"READ", "WRITE", "DESCRIBE"}, principal
        if "WRITE" in ops:
            assert principal.startswith("relay-")
        assert all(g.resource in ("topic", "group") for g in grants), principal


def test_the_audit_log_reads_every_other_services_topic_and_writes_none() -> None:
    grants = acls.grants()[acls.AUDITLOG]
    assert {g.name for g in grants} == set(system.topics()) - {"gb.auditlog.events"}
    assert all(g.operations == ("READ",) and g.resource == "topic" for g in grants)


def test_the_projector_reads_every_event_topic_and_the_policy_only_investment() -> None:
    table = acls.grants()
    assert {g.name for g in table[acls.PROJECTOR] if g.resource == "topic"} == set(system.topics())
    assert {g.name for g in table[acls.FUNDS_CREDIT] if g.resource == "topic"} == {"gb.investment.events"}
    assert all(g.operations == ("DESCRIBE",) for g in table[acls.GATEWAY])


def test_every_process_that_uses_kafka_has_a_principal_with_grants() -> None:
    principals = {p.name: p.kafka_principal for p in app_processes(Settings())}
    for service in system.names():
        # Command APIs never touch Kafka, but the partners service provisions partners on it and the audit log
        # reads every other service's topic.
        assert principals[service] == {"partners": acls.PARTNERS, "auditlog": acls.AUDITLOG}.get(service)
    used = {p for p in principals.values() if p is not None}
    assert used == set(acls.grants())
    assert acls.principals()[:2] == ["broker", "operator"]


def test_the_broker_password_is_only_in_the_secret_properties() -> None:
    props = kafka_config.secret_properties("pw-123")
    assert set(props) == set(kafka_config.SECRET_PROPERTIES)
    assert all('password="pw-123"' in v for v in props.values())
    assert 'user_broker="pw-123"' in props["listener.name.controller.plain.sasl.jaas.config"]


def test_the_legacy_properties_serve_plaintext_without_an_authorizer(tmp_path: Path) -> None:
    props = kafka_config.legacy_properties(Settings(data_dir=tmp_path))
    assert props["listeners"].startswith("PLAINTEXT://127.0.0.1:")
    assert "authorizer.class.name" not in props and not any(k.startswith("sasl.") for k in props)


def test_secrets_are_generated_once_into_a_private_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = secrets.kafka_password(settings, "projector")
    assert secrets.kafka_password(settings, "projector") == first
    assert len(first.encode()) >= 32 and secrets.pg_password(settings) != first
    folder = secrets.secrets_dir(settings)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "kafka" / "projector").stat().st_mode) == 0o600


def test_a_process_gets_only_its_own_kafka_password(tmp_path: Path) -> None:
    settings = secrets.local_settings(Settings(data_dir=tmp_path))
    assert settings.kafka_username == "operator"
    by_name = {p.name: p for p in app_processes(settings)}
    env = supervisor.kafka_credentials_env(settings, by_name["projector"])
    assert env == {"GB_KAFKA_USERNAME": "projector", "GB_KAFKA_PASSWORD": secrets.kafka_password(settings, "projector")}
    assert supervisor.kafka_credentials_env(settings, by_name["membership"]) == {
        "GB_KAFKA_USERNAME": "", "GB_KAFKA_PASSWORD": ""}


def test_in_development_the_tools_are_the_operator_unless_told_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GB_KAFKA_USERNAME", "GB_KAFKA_PASSWORD", "GB_PG_PASSWORD", "GB_PG_DSN"):
        monkeypatch.delenv(var, raising=False)
    secrets.local_settings(Settings(data_dir=tmp_path))
    tool = Settings(data_dir=tmp_path)
    assert tool.kafka_username == "operator" and tool.pg_password == secrets.pg_password(tool)
    assert f":{tool.pg_password}@" in tool.dsn("membership")
    assert redact(tool.dsn("membership")) == f"postgresql://postgres:***@127.0.0.1:{tool.pg_port}/gb_membership"
    monkeypatch.setenv("GB_KAFKA_USERNAME", "")  # the runner's way of saying "no principal"
    service = Settings(data_dir=tmp_path)
    assert service.kafka_username == ""
    with pytest.raises(KafkaCredentialsMissing, match="GB_KAFKA_USERNAME"):
        connection_options(service)


def test_clients_authenticate_with_scram() -> None:
    options = connection_options(Settings(kafka_username="projector", kafka_password="pw"))
    assert options["security_protocol"] == "SASL_PLAINTEXT" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("projector", "pw")


def _production(**overrides: object) -> Settings:
    values = {"admin_token": STRONG, "token_secret": STRONG + "t", "internal_secret": STRONG + "i",
              "pg_password": STRONG + "p", "environment": "production", **overrides}
    return Settings(**values)  # type: ignore[arg-type]


def test_outside_development_the_database_password_is_required_and_long() -> None:
    assert _production().pg_password
    with pytest.raises(ValueError, match="GB_PG_PASSWORD must be set"):
        _production(pg_password="")
    with pytest.raises(ValueError, match="GB_PG_PASSWORD is shorter"):
        _production(pg_password="short")
    with pytest.raises(ValueError, match="password in GB_PG_DSN is shorter"):
        _production(pg_password="", pg_dsn="postgresql://postgres:short@db:5432/postgres")
    dsn = _production(pg_password="", pg_dsn=f"postgresql://postgres:{STRONG}@db:5432/postgres").dsn("gateway")
    assert dsn == f"postgresql://postgres:{STRONG}@db:5432/gb_gateway"


def test_outside_development_a_kafka_password_must_be_long_and_is_never_read_from_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GB_KAFKA_USERNAME", raising=False)
    monkeypatch.delenv("GB_KAFKA_PASSWORD", raising=False)
    secrets.kafka_password(Settings(data_dir=tmp_path), "operator")
    assert _production(data_dir=tmp_path).kafka_username == ""
    with pytest.raises(ValueError, match="GB_KAFKA_PASSWORD is shorter"):
        _production(kafka_username="projector", kafka_password="short")
    with pytest.raises(ValueError, match="GB_KAFKA_PASSWORD must be set"):
        _production(kafka_username="projector")
