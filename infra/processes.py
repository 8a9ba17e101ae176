"""The application processes, as data, in start order.

The same list drives the local runner (infra/local.py) and is mirrored service by service in
docker-compose.yml (tests/integration/test_compose_matches_runner.py keeps the two equal).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

from infra import acls
from services import system
from services.kernel.settings import Settings, load_settings
from services.partners.contract.kafka import ROUTER_PRINCIPAL, WEBHOOKS_PRINCIPAL

#: Where HTTP services listen locally; inside a container it is "0.0.0.0".
LOCAL_HOST = "127.0.0.1"


@dataclass(frozen=True)
class AppProcess:
    name: str
    #: The full command; argv[0] is the Python interpreter.
    argv: tuple[str, ...]
    #: Extra environment (GB_* settings names → values) on top of the runner's GB_* settings.
    env: dict[str, str] = field(default_factory=dict)
    #: GET this URL until it answers 200 to call the process ready; None: ready once running.
    ready_url: str | None = None
    #: The Kafka principal it runs as (infra/acls.py); None: it opens no Kafka client and gets no
    #: Kafka credentials at all.
    kafka_principal: str | None = None
    #: Where a process without an HTTP port of its own serves Prometheus's /metrics (handed to it as
    #: GB_METRICS_PORT); None for an HTTP process, which serves /metrics on its own port.
    metrics_port: int | None = None
    #: Which instance of its kind it is (GB_INSTANCES runs several: ``membership``, ``membership-2``, …).
    instance: int = 1


#: The metrics ports lie beside the gateway's port, so that they move with it wherever a system's ports are
#: moved (GB_TEST_SLOT shifts every port by 10 per slot; tests start second systems 7 and 500 ports away):
#: the n-th process without an HTTP port listens on gateway port + METRICS_PORT_OFFSET + n × METRICS_PORT_STRIDE.
#: A stride of 11 keeps the ports of every slot and of those second systems apart (10 × slots ≠ 11 × n).
METRICS_PORT_OFFSET, METRICS_PORT_STRIDE = 400, 11
#: The environment variable that tells a process its metrics port.
METRICS_PORT_ENV = "GB_METRICS_PORT"


def metrics_port(settings: Settings, n: int) -> int:
    """The metrics port of the ``n``-th process (from 0, in start order) that has no HTTP port."""
    return settings.gateway_port + METRICS_PORT_OFFSET + n * METRICS_PORT_STRIDE


def _with_metrics_ports(settings: Settings, processes: list[AppProcess]) -> list[AppProcess]:
    """``processes`` with a metrics port, passed as GB_METRICS_PORT, for each one without an HTTP port —
    numbered first instances first, so that the first instances' ports do not move with GB_INSTANCES."""
    numbered = sorted((p for p in processes if p.ready_url is None), key=lambda p: p.instance)
    ports = {p.name: metrics_port(settings, n) for n, p in enumerate(numbered)}
    return [replace(p, metrics_port=ports[p.name], env={**p.env, METRICS_PORT_ENV: str(ports[p.name])})
            if p.name in ports else p for p in processes]


#: A service's further instances listen this many ports above the one before (8101, 8201, … for membership).
INSTANCE_PORT_STEP = 100


def instance_name(name: str, instance: int) -> str:
    """The first instance keeps the plain name (the single-instance default is unchanged); others add -<n>."""
    return name if instance == 1 else f"{name}-{instance}"


def instance_port(port: int, instance: int) -> int:
    return port + INSTANCE_PORT_STEP * (instance - 1)


def service_urls(settings: Settings) -> dict[str, str]:
    """Where the gateway reaches each service: its GB_<SERVICE>_URL when set, else every local instance's
    URL, separated by commas (services/gateway/service_client.py spreads its calls over them)."""
    urls: dict[str, str] = {}
    for d in system.SERVICES:
        if d.name in settings.service_urls:
            urls[d.name] = d.base_url(settings)
        else:
            urls[d.name] = ",".join(f"http://{LOCAL_HOST}:{instance_port(d.port(settings), k)}"
                                    for k in range(1, settings.instances + 1))
    return urls


def _instances(settings: Settings, process: AppProcess) -> list[AppProcess]:
    """``process`` once per instance (GB_INSTANCES), each with its own name (and port, for an HTTP one)."""
    copies = [process]
    for k in range(2, settings.instances + 1):
        argv, ready_url = process.argv, process.ready_url
        if "--port" in argv:
            at = argv.index("--port") + 1
            port = instance_port(int(argv[at]), k)
            argv, ready_url = (*argv[:at], str(port), *argv[at + 1:]), _healthz(port)
        copies.append(replace(process, name=instance_name(process.name, k), argv=argv, ready_url=ready_url,
                              instance=k))
    return copies


def _healthz(port: int) -> str:
    return f"http://{LOCAL_HOST}:{port}/healthz"


#: uvicorn's fast event loop and HTTP parser, named rather than left to uvicorn's "auto" choice: a
#: missing uvloop or httptools then stops the process at start instead of silently running slower
#: (tests/test_dependencies.py holds requirements.txt's uvloop and httptools to these flags).
UVICORN_SPEED_FLAGS = ("--loop", "uvloop", "--http", "httptools")


#: No process sits behind a proxy by default: X-Forwarded-For is not believed, so a client cannot change
#: the address the gateway slows failed authentication by (behind a real proxy, set --forwarded-allow-ips).
UVICORN_NO_PROXY = ("--no-proxy-headers",)

#: An idle connection is kept well past the time common clients stop reusing one (httpx 5 s, aiohttp
#: 15 s). uvicorn's default is also 5 s: with equal timeouts the server can close a connection just as a
#: client sends on it, and that client gets a reset instead of an answer (seen once in
#: test_partner_router_faults: an httpx ``ReadError`` on a POST after an idle pause between rounds).
UVICORN_KEEP_ALIVE = ("--timeout-keep-alive", "75")


def _uvicorn(app: str, host: str, port: int, python: str) -> tuple[str, ...]:
    return (python, "-m", "uvicorn", app, "--host", host, "--port", str(port), *UVICORN_SPEED_FLAGS,
            *UVICORN_NO_PROXY, *UVICORN_KEEP_ALIVE)


def app_processes(
    settings: Settings | None = None, *, host: str = LOCAL_HOST, python: str = sys.executable
) -> list[AppProcess]:
    """Every application process in start order (``host``/``python`` differ only in containers)."""
    s = settings or load_settings()
    processes: list[AppProcess] = []
    for definition in system.SERVICES:
        service, port = definition.name, definition.port(s)
        processes += [
            *_instances(s, AppProcess(
                name=service,
                argv=_uvicorn(f"services.{service}.app:app", host, port, python),
                ready_url=_healthz(port),
                # The partners service provisions partner topics, principals and ACLs on Kafka; the audit
                # log reads every event topic.
                kafka_principal=acls.service_principal(service),
            )),
            # Every instance's relay runs; one publishes, the others stand by on its advisory lock.
            *_instances(s, AppProcess(
                name=f"{service}-relay",
                argv=(python, "-m", "services.system", "relay", "--service", service),
                kafka_principal=acls.relay_principal(service),
            )),
        ]
    return _with_metrics_ports(s, [
        *processes,
        # The cross-service policy: funds arriving on a cadre's lead become a contribution on the secondment.
        # Its instances share the partitions through a consumer group.
        *_instances(s, AppProcess(
            name="funds-credit",
            argv=(python, "-m", "services.secondment.funds_credit"),
            kafka_principal=acls.FUNDS_CREDIT,
        )),
        AppProcess(
            # Partner systems' feeds: the internal topics, filtered and masked, to one topic per partner (faust).
            name="partners-router",
            argv=(python, "-m", "services.partners.router"),
            kafka_principal=ROUTER_PRINCIPAL,
        ),
        AppProcess(
            # Partner systems' webhooks: each HTTP subscription's events, signed, in order, retried.
            name="partners-webhooks",
            argv=(python, "-m", "services.partners.webhooks"),
            kafka_principal=WEBHOOKS_PRINCIPAL,
        ),
        # The read models' projector; its instances share the partitions through a consumer group.
        *_instances(s, AppProcess(
            name="projector",
            argv=(python, "-m", "services.gateway.projector"),
            kafka_principal=acls.PROJECTOR,
        )),
        AppProcess(
            # One gateway, the system's one address; it spreads calls over the services' instances.
            name="gateway",
            argv=_uvicorn("services.gateway.app:app", host, s.gateway_port, python),
            env={f"GB_{name.upper()}_URL": urls for name, urls in service_urls(s).items()},
            ready_url=_healthz(s.gateway_port),
            kafka_principal=acls.GATEWAY,
        ),
    ])


def process_names() -> list[str]:
    return [p.name for p in app_processes()]


def get_process(name: str, settings: Settings | None = None) -> AppProcess:
    for process in app_processes(settings):
        if process.name == name:
            return process
    raise KeyError(f"unknown process {name!r}; known: {', '.join(process_names())}")
