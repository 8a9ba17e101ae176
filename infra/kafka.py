"""Apache Kafka 4.3.1 (KRaft, combined broker+controller nodes) from Maven jars: one node by default, three with
GB_KAFKA_BROKERS=3 (``./gb run --cluster``: a three-voter controller quorum, docs/cluster.md).

Jars: fetched once with Maven into ``${GB_CACHE_DIR:-~/.cache/golden-bridge}/kafka-4.3.1/libs``.
Data: ``<data_dir>/kafka/{server.properties,cluster.id,data/}`` (folder 0700, properties 0600: they
hold the broker's password); logs: ``<data_dir>/logs/kafka/``. A cluster's node n lives in ``kafka-<n>/``,
logs in ``logs/kafka-<n>/``, pid file ``pids/kafka-<n>.pid``; its ports are Settings.kafka_node_port(n) and
kafka_node_controller_port(n); all nodes share node 1's cluster id and SCRAM credentials. The node settings live in
infra/kafka_config.py (NODE_PROPERTIES, which docker-compose.yml mirrors: see compose_env_name and
tests/integration/test_compose_matches_runner.py).

Authentication and authorisation
--------------------------------
Clients connect to the ``CLIENT`` listener with SASL/SCRAM-SHA-512, each as its own principal
(infra/acls.py), and the StandardAuthorizer allows only what an ACL grants. Partner systems connect to their
own listener, ``PARTNER`` (Settings.kafka_node_partner_port), the same way, but their sessions end after
Settings.kafka_partner_reauth_ms (KIP-368): a rotated or revoked password stops reading within that time.
SCRAM credentials live in KRaft's metadata log, so the first ones must exist before anyone can log in: the
storage is formatted with ``--add-scram`` for every principal (KIP-900; infra/kafka_storage.py). Principals added later,
and a cluster formatted before authentication existed, get theirs through ``kafka-configs`` (``add_scram_users``);
the old cluster is started once more, without authentication and on loopback only, for that.

The controller listener is not PLAINTEXT: with the StandardAuthorizer the controller authorises the
broker's own registration and heartbeats, and on PLAINTEXT that caller is ``User:ANONYMOUS``, which
would then have to be a super user — any local process could then create ACLs or users through
the controller port. SCRAM cannot serve that listener (its credentials are in the very metadata the
controller serves), so it uses SASL/PLAIN with one static user, ``broker``, on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infra import acls, kafka_storage, secrets, supervisor
from infra.aio import run_sync
from infra.kafka_config import NODE_ID as NODE_ID
from infra.kafka_config import cluster_id, write_properties
from infra.kafka_config import kafka_dir as kafka_dir
from infra.kafka_config import log_dirs as log_dirs
from infra.kafka_config import node_name as node_name
from infra.kafka_config import node_names as node_names
from infra.kafka_config import node_of as node_of
from infra.kafka_config import nodes as nodes
from infra.kafka_config import properties_file as properties_file
from services.kernel.kafka import admin_client
from services.kernel.settings import Settings

log = logging.getLogger("infra")

KAFKA_VERSION = "4.3.1"
KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
POM = KAFKA_DIR / "pom.xml"
LOG4J_CONFIG = KAFKA_DIR / "log4j2.properties"
HEAP = "512m"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

JVM_OPTIONS: tuple[str, ...] = (
    f"-Xms{HEAP}",
    f"-Xmx{HEAP}",
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)


class KafkaError(RuntimeError):
    pass


# --------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    configured = os.environ.get("GB_CACHE_DIR", "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "golden-bridge"


def libs_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"


def logs_dir(settings: Settings, node: int = NODE_ID) -> Path:
    return supervisor.log_dir(settings) / node_name(settings, node)


def pid_file(settings: Settings, node: int = NODE_ID) -> Path:
    return supervisor.pid_file(settings, node_name(settings, node))


# --------------------------------------------------------------------------- jars


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def ensure_jars() -> Path:
    """Fetch the broker's jars with Maven unless the cache already holds this pom's set."""
    libs = libs_dir()
    marker = libs / ".complete"
    digest = _pom_digest()
    if marker.exists() and marker.read_text().strip() == digest:
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaError("Maven (mvn) is needed to fetch the Kafka jars: apt-get install -y maven")
    started = time.monotonic()
    log.info("fetching Kafka %s jars from Maven Central (first run only)…", KAFKA_VERSION)
    partial = libs.with_name("libs.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={partial}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    jars = list(partial.glob("*.jar"))
    if result.returncode != 0 or not jars:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise KafkaError(f"mvn dependency:copy-dependencies failed (exit {result.returncode}):\n{output}")
    (partial / ".complete").write_text(digest + "\n")
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    log.info("fetched %d jars into %s in %.1f s", len(jars), libs, time.monotonic() - started)
    return libs


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaError("java (17 or newer) is needed to run Kafka: apt-get install -y openjdk-17-jre-headless")
    return java


def _jvm_logging(settings: Settings, node: int = NODE_ID) -> list[str]:
    secrets.restrict_dir(logs_dir(settings, node))
    return [f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", f"-Dkafka.logs.dir={logs_dir(settings, node)}"]


# --------------------------------------------------------------------------- run


def running_pid(settings: Settings, node: int = NODE_ID) -> int | None:
    return supervisor.read_pid(pid_file(settings, node))


async def _probe(settings: Settings, *, authenticated: bool = True, node: int | None = None) -> bool:
    """True when the cluster returns its metadata with an active controller — and, for ``node``, when that
    node is among its brokers (registered and caught up: a node restarted into a running cluster)."""
    from aiokafka.admin import AIOKafkaAdminClient

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    bootstrap = settings.bootstrap_servers if node is None else f"127.0.0.1:{settings.kafka_node_port(node)}"
    if authenticated:
        admin = admin_client(settings, "gb-probe", request_timeout_ms=5000, bootstrap_servers=bootstrap)
    else:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        brokers = {b["node_id"] for b in cluster.get("brokers") or []}
        return bool(brokers) and cluster.get("controller_id", -1) >= 0 and (node is None or node in brokers)
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
        quiet.setLevel(level)


def answers(settings: Settings, node: int | None = None) -> bool:
    """True when the cluster at Settings.bootstrap_servers returns metadata to our principal (with ``node``:
    that node among its brokers)."""
    return run_sync(_probe(settings, node=node))


def wait_ready(settings: Settings, pid: int | None, timeout: float = START_TIMEOUT, node: int = NODE_ID) -> None:
    """Wait until node ``node`` (started as ``pid``; None: an external cluster) serves the cluster."""
    server_log = logs_dir(settings, node) / "server.log"
    deadline = time.monotonic() + timeout
    name = node_name(settings, node)
    while True:
        if pid is not None and not supervisor.is_alive(pid):
            raise KafkaError(
                f"{name} exited during start-up; see {server_log} and {logs_dir(settings, node) / 'kafka.out'}:\n"
                f"{supervisor.tail(server_log)}\n{supervisor.tail(logs_dir(settings, node) / 'kafka.out', 10)}"
            )
        # The node's PARTNER listener too: partners are told its address (GET …/kafka-credentials).
        if answers(settings, None if pid is None else node) and (
                pid is None or supervisor.port_in_use(settings.kafka_node_partner_port(node))):
            return
        if time.monotonic() >= deadline:
            raise KafkaError(
                f"{name} did not answer on {settings.bootstrap_servers} within {timeout:.0f} s; see {server_log}"
            )
        time.sleep(0.5)


def launch(settings: Settings, node: int = NODE_ID) -> int | None:
    """Start node ``node`` unless it runs (reusing its data); do not wait for it.

    Returns its pid, or None with GB_KAFKA_BOOTSTRAP set (an external cluster is used then).
    """
    if settings.kafka_bootstrap:
        return None
    pid = running_pid(settings, node)
    if pid is not None:
        return pid
    for port in (settings.kafka_node_port(node), settings.kafka_node_partner_port(node),
                 settings.kafka_node_controller_port(node)):
        if supervisor.port_in_use(port):
            raise KafkaError(
                f"port {port} is already in use by another process; stop it or choose other "
                "ports with GB_KAFKA_PORT / GB_KAFKA_PARTNER_PORT / GB_KAFKA_CONTROLLER_PORT"
            )
    libs = ensure_jars()
    props = write_properties(settings, node=node)
    formatted = kafka_storage.format_storage(settings, libs, props, node)
    if not formatted and not kafka_storage.scram_users(settings) and settings.kafka_brokers == 1:
        kafka_storage.migrate_unauthenticated(settings, libs)
    argv = [_java(), *JVM_OPTIONS, *_jvm_logging(settings, node), "-cp", f"{libs}/*", "kafka.Kafka", str(props)]
    pid = supervisor.start_detached(argv, log_path=logs_dir(settings, node) / "kafka.out",
                                    pid_path=pid_file(settings, node))
    log.info("%s %s starting (pid %d), logs in %s", node_name(settings, node).capitalize(), KAFKA_VERSION, pid,
             logs_dir(settings, node))
    return pid


def launch_all(settings: Settings) -> dict[int, int | None]:
    """Start every node that does not run (a cluster's nodes together: none is ready before a quorum is). A new
    cluster's nodes are formatted at once, side by side: each format is a JVM start of its own."""
    if not settings.kafka_bootstrap and settings.kafka_brokers > 1:
        libs = ensure_jars()
        cluster_id(settings)  # made once, before the nodes are formatted with it
        for principal in acls.principals():  # generated once, before the formats read them side by side
            secrets.kafka_password(settings, principal)
        unformatted = [n for n in nodes(settings) if running_pid(settings, n) is None
                       and not (log_dirs(settings, n) / "meta.properties").exists()]
        with ThreadPoolExecutor(max_workers=len(unformatted) or 1) as pool:
            list(pool.map(lambda n: kafka_storage.format_storage(settings, libs, write_properties(settings, node=n), n),
                          unformatted))
    return {node: launch(settings, node) for node in nodes(settings)}


def wait_all_ready(settings: Settings, pids: dict[int, int | None], timeout: float = START_TIMEOUT) -> None:
    for node, pid in pids.items():
        wait_ready(settings, pid, timeout, node)


def start(settings: Settings, timeout: float = START_TIMEOUT, node: int = NODE_ID) -> int | None:
    """Start node ``node`` unless it runs and wait until it serves the cluster; return its pid.

    With GB_KAFKA_BOOTSTRAP set, that external cluster is used instead: only check it answers.
    """
    started = time.monotonic()
    pid = launch(settings, node)
    wait_ready(settings, pid, timeout, node)
    if pid is None:
        log.info("using external Kafka at %s (%.1f s)", settings.kafka_bootstrap, time.monotonic() - started)
    else:
        log.info("%s ready on 127.0.0.1:%d (pid %d) in %.1f s", node_name(settings, node).capitalize(),
                 settings.kafka_node_port(node), pid, time.monotonic() - started)
    return pid


def stop(settings: Settings, timeout: float = STOP_TIMEOUT, node: int | None = None) -> bool:
    """SIGTERM (controlled shutdown), SIGKILL after ``timeout``, of node ``node`` or (None) every node, the
    last voters last; False when none was running."""
    running = {n: pid for n in ([node] if node is not None else nodes(settings))
               if (pid := running_pid(settings, n)) is not None}
    started = time.monotonic()
    # Every node is told at once: one by one, the last nodes would wait for a quorum the first ones took along.
    with ThreadPoolExecutor(max_workers=len(running) or 1) as pool:
        list(pool.map(lambda n: supervisor.stop_pid(running[n], name=node_name(settings, n), timeout=timeout),
                      running))
    for n, pid in running.items():
        pid_file(settings, n).unlink(missing_ok=True)
        log.info("%s stopped (pid %d) in %.1f s", node_name(settings, n).capitalize(), pid,
                 time.monotonic() - started)
    return bool(running)


def kill(settings: Settings, node: int = NODE_ID) -> bool:
    """SIGKILL node ``node`` (fault tests); False when it was not running."""
    pid = running_pid(settings, node)
    if pid is None:
        return False
    supervisor.kill_pid(pid)
    supervisor.forget_pid_file(pid_file(settings, node), pid)
    log.info("%s killed (pid %d, SIGKILL)", node_name(settings, node).capitalize(), pid)
    return True
