"""A Kafka node's storage and its SCRAM users: formatting with a credential for every principal (KIP-900), adding
the principals that came later, and the one-off migration of a cluster formatted before authentication existed.

The credentials live in KRaft's metadata log, so the first ones must exist before anyone can log in: each node's
storage is formatted with ``--add-scram`` for every principal of infra/acls.py (a cluster's nodes with the same
ones). Principals added later get theirs through ``kafka-configs`` as the operator (``add_scram_users``).
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from infra import acls, kafka, kafka_config, secrets, supervisor
from infra.aio import run_sync
from services.kernel.kafka import SASL_MECHANISM, SECURITY_PROTOCOL
from services.kernel.settings import Settings

log = logging.getLogger("infra")

#: Written once SCRAM credentials exist for every principal listed in it (one per line).
SCRAM_MARKER = "scram-users"


def _marker(settings: Settings) -> Path:
    return kafka.kafka_dir(settings) / SCRAM_MARKER


def scram_users(settings: Settings) -> set[str]:
    """The principals whose SCRAM credentials the cluster holds (as recorded when they were added)."""
    try:
        return {line.strip() for line in _marker(settings).read_text().splitlines() if line.strip()}
    except FileNotFoundError:
        return set()


def _record_scram_users(settings: Settings, users: set[str]) -> None:
    secrets.write_private(_marker(settings), "".join(f"{u}\n" for u in sorted(users | scram_users(settings))).encode())


def _scram(settings: Settings, principal: str) -> str:
    return f"{SASL_MECHANISM}=[name={principal},password={secrets.kafka_password(settings, principal)}]"


def format_storage(settings: Settings, libs: Path, props: Path, node: int = 1) -> bool:
    """Format a node's log directory once, with a SCRAM credential for every principal (KIP-900); every node
    of a cluster is formatted with the same cluster id and credentials (its bootstrap metadata).

    Skipped without a JVM start when already formatted; returns True when it formatted."""
    if (kafka.log_dirs(settings, node) / "meta.properties").exists():
        return False
    started = time.monotonic()
    users = acls.principals()
    argv = [kafka._java(), "-Xmx256m", *kafka._jvm_logging(settings, node), "-cp", f"{libs}/*",
            "kafka.tools.StorageTool"]
    argv += ["format", "-t", kafka_config.cluster_id(settings), "-c", str(props), "--ignore-formatted"]
    for user in users:
        argv += ["--add-scram", _scram(settings, user)]
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise kafka.KafkaError(f"kafka-storage format failed (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
    secrets.restrict_dir(kafka.log_dirs(settings, node))
    if node == kafka.NODE_ID:
        _record_scram_users(settings, set(users))
    log.info("formatted Kafka storage in %s with %d SCRAM users (%.1f s)", kafka.log_dirs(settings, node), len(users),
             time.monotonic() - started)
    return True


def add_scram_users(settings: Settings, libs: Path, users: list[str], *, authenticated: bool = True) -> None:
    """Add SCRAM credentials at run time with ``kafka-configs`` (kafka.admin.ConfigCommand), as the
    operator — or, for a cluster from before authentication (``authenticated=False``), over its old
    PLAINTEXT listener on loopback."""
    started = time.monotonic()
    command = kafka.kafka_dir(settings) / "operator.properties"
    if authenticated:
        jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{acls.OPERATOR}" '
                f'password="{secrets.kafka_password(settings, acls.OPERATOR)}";')
        secrets.write_private(command, (f"security.protocol={SECURITY_PROTOCOL}\nsasl.mechanism={SASL_MECHANISM}\n"
                                        f"sasl.jaas.config={jaas}\n").encode())
    else:
        secrets.write_private(command, b"security.protocol=PLAINTEXT\n")
    try:
        for user in users:
            config = f"{SASL_MECHANISM}=[password={secrets.kafka_password(settings, user)}]"
            argv = [kafka._java(), "-Xmx256m", *kafka._jvm_logging(settings), "-cp", f"{libs}/*",
                    "kafka.admin.ConfigCommand",
                    "--bootstrap-server", settings.bootstrap_servers, "--command-config", str(command),
                    "--alter", "--add-config", config, "--entity-type", "users", "--entity-name", user]
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise kafka.KafkaError(f"kafka-configs could not add the SCRAM user {user} "
                                       f"(exit {result.returncode}):\n{result.stdout}{result.stderr}")
            _record_scram_users(settings, {user})
    finally:
        command.unlink(missing_ok=True)
    log.info("added Kafka SCRAM users %s (%.1f s)", ", ".join(users), time.monotonic() - started)


def ensure_scram_users(settings: Settings) -> list[str]:
    """Add the SCRAM credential of every principal the cluster does not have yet (a new service or
    partner since the storage was formatted), as the operator; returns those added."""
    missing = [p for p in acls.principals() if p not in scram_users(settings)]
    if missing:
        add_scram_users(settings, kafka.ensure_jars(), missing)
    return missing


def migrate_unauthenticated(settings: Settings, libs: Path) -> None:
    """A cluster formatted before authentication existed: start it once as it was (loopback only),
    give every principal its SCRAM credential, stop it. Its data stays as it is."""
    log.warning("Kafka storage in %s predates authentication: adding SCRAM users once (migration)",
                kafka.log_dirs(settings))
    props = kafka_config.write_properties(settings, kafka_config.legacy_properties(settings),
                                          "server-migrate.properties")
    argv = [kafka._java(), *kafka.JVM_OPTIONS, *kafka._jvm_logging(settings), "-cp", f"{libs}/*", "kafka.Kafka",
            str(props)]
    pid = supervisor.start_detached(argv, log_path=kafka.logs_dir(settings) / "kafka.out",
                                    pid_path=kafka.pid_file(settings))
    try:
        deadline = time.monotonic() + kafka.START_TIMEOUT
        while not run_sync(kafka._probe(settings, authenticated=False)):
            if not supervisor.is_alive(pid) or time.monotonic() > deadline:
                raise kafka.KafkaError(f"the pre-authentication Kafka did not start for its migration; see "
                                 f"{kafka.logs_dir(settings) / 'server.log'}")
            time.sleep(0.5)
        add_scram_users(settings, libs, acls.principals(), authenticated=False)
    finally:
        supervisor.stop_pid(pid, name="kafka (migration)", timeout=kafka.STOP_TIMEOUT)
        kafka.pid_file(settings).unlink(missing_ok=True)
        props.unlink(missing_ok=True)
