"""Process settings read from the environment: one place for every address, port and secret."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Development-only secrets; each is refused when GB_ENV is not "development".
DEV_ADMIN_TOKEN = "dev-admin-token"
DEV_TOKEN_SECRET = "dev-token-secret-change-me-outside-development"
DEV_INTERNAL_SECRET = "dev-internal-secret-change-me-outside-development"
#: A secret shorter than this (in bytes) is refused outside development.
MIN_SECRET_BYTES = 32


#: The partners' listener lies this many ports above the internal one, node by node: clear of every port of every
#: test slot (10 apart) and of the tests' second systems (7, 300 and 500 away; tests/unit/infra/
#: test_partner_listener.py).
PARTNER_PORT_OFFSET = 1000
#: A partner's Kafka session lifetime in production (connections.max.reauth.ms of the PARTNER listener): a rotated or
#: revoked password stops reading within a minute, at the cost of one SCRAM login per partner connection a minute
#: (clients that cannot re-authenticate, aiokafka among them, are disconnected and log in again by themselves).
PARTNER_REAUTH_MS = 60_000
#: Shorter sessions would make every partner client log in again all the time; the broker's own floor is 0 (off).
MIN_PARTNER_REAUTH_MS = 1_000

#: The Kafka principal of the runner, the tests and the developer's tools (a super user, infra/acls.py).
KAFKA_OPERATOR = "operator"
#: The PostgreSQL role every process connects as (its password: GB_PG_PASSWORD).
PG_USER = "postgres"


def secrets_dir(settings: Settings) -> Path:
    """Where the local runner keeps the secrets it generated (infra/secrets.py); 0700, git-ignored."""
    return settings.data_dir / "secrets"


def _read_secret(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def redact(dsn: str) -> str:
    """``dsn`` with its password replaced by ``***``, for logs and error messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.rpartition("@")
    user = (parts.username or "")
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


def _with_password(dsn: str, password: str) -> str:
    """``dsn`` with ``password`` added unless it carries one already (or there is none to add)."""
    parts = urlsplit(dsn)
    if not password or parts.password is not None:
        return dsn
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user = userinfo if at else PG_USER
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{hostport}"))


def parse_clock_at(value: str) -> datetime:
    """GB_CLOCK_AT as an aware UTC instant; anything but an RFC 3339 date and time with its offset is refused."""
    try:
        # RFC 3339 allows a lower-case t and z; fromisoformat wants them upper-case.
        instant = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ValueError(f"GB_CLOCK_AT must be an RFC 3339 instant with its offset, e.g. 2026-11-30T15:30:00Z "
                         f"(23:30 in Asia/Shanghai) or 2026-11-30T23:30:00+08:00; got {value!r}")
    return instant.astimezone(UTC)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


#: GB_*_PORT / GB_*_URL variables that are settings of their own, not a service's address (GB_METRICS_PORT:
#: where a process without an HTTP port serves /metrics, infra/processes.py).
_OWN_ADDRESSES = frozenset({"PG", "KAFKA", "KAFKA_CONTROLLER", "KAFKA_PARTNER", "GATEWAY", "METRICS"})


def _service_addresses(suffix: str) -> dict[str, str]:
    """``GB_<SERVICE><suffix>`` variables by service name. The kernel names no service: whichever
    services the system runs, their addresses are read the same way."""
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        if name.startswith("GB_") and name.endswith(suffix) and value.strip():
            service = name[3:-len(suffix)]
            if service and service not in _OWN_ADDRESSES:
                found[service.lower()] = value.strip()
    return found


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a process needs to find its peers; built from GB_* environment variables."""

    data_dir: Path = field(
        default_factory=lambda: Path(_env("GB_DATA_DIR", str(REPO_ROOT / ".data" / "run")))
    )
    # A full DSN to an existing PostgreSQL server; when empty the project runs its own cluster.
    pg_dsn: str = field(default_factory=lambda: _env("GB_PG_DSN", ""))
    pg_port: int = field(default_factory=lambda: int(_env("GB_PG_PORT", "55432")))
    kafka_port: int = field(default_factory=lambda: int(_env("GB_KAFKA_PORT", "9092")))
    kafka_controller_port: int = field(default_factory=lambda: int(_env("GB_KAFKA_CONTROLLER_PORT", "9093")))
    kafka_bootstrap: str = field(default_factory=lambda: _env("GB_KAFKA_BOOTSTRAP", ""))
    #: The partner systems' own listener (PARTNER, docs/infrastructure.md): node 1's port, 0 for GB_KAFKA_PORT +
    #: PARTNER_PORT_OFFSET, so that it moves wherever the client port is moved (GB_TEST_SLOT, the tests' second
    #: systems). Its sessions end after GB_KAFKA_PARTNER_REAUTH_MS (KIP-368), the internal listener's never.
    kafka_partner_port: int = field(default_factory=lambda: int(_env("GB_KAFKA_PARTNER_PORT", "0")))
    #: Where partners reach that listener, when Kafka runs elsewhere (containers, an external cluster).
    kafka_partner_bootstrap: str = field(default_factory=lambda: _env("GB_KAFKA_PARTNER_BOOTSTRAP", ""))
    #: How long a partner's Kafka session lasts before it must log in again: the longest a connection made with a
    #: rotated, revoked or leaked password still reads. Read by infra (the brokers' properties).
    kafka_partner_reauth_ms: int = field(
        default_factory=lambda: int(_env("GB_KAFKA_PARTNER_REAUTH_MS", str(PARTNER_REAUTH_MS))))
    #: How many Kafka brokers the cluster has: 1 (the default, one combined node), or 3 for the cluster of
    #: ``./gb run --cluster`` — three combined nodes, a three-voter controller quorum, every topic with three
    #: replicas and two in sync for a write (docs/cluster.md). With GB_KAFKA_BOOTSTRAP, that cluster's size.
    kafka_brokers: int = field(default_factory=lambda: int(_env("GB_KAFKA_BROKERS", "1")))
    #: How many instances of each service, relay, projector and policy processor run (``./gb run --cluster``:
    #: 2); the gateway spreads its calls across a service's instances.
    instances: int = field(default_factory=lambda: int(_env("GB_INSTANCES", "1")))
    gateway_port: int = field(default_factory=lambda: int(_env("GB_GATEWAY_PORT", "8000")))
    #: Each service's internal command API port and, when it runs elsewhere (containers), its URL.
    #: Ports and URLs set for a service here override the service's own default port.
    service_ports: dict[str, int] = field(default_factory=lambda: {
        s: int(port) for s, port in _service_addresses("_PORT").items()})
    service_urls: dict[str, str] = field(default_factory=lambda: _service_addresses("_URL"))
    # The development administrator's bearer token; fix it with GB_ADMIN_TOKEN.
    admin_token: str = field(default_factory=lambda: _env("GB_ADMIN_TOKEN", DEV_ADMIN_TOKEN))
    # Secret that signs tokens issued by the gateway (HS256).
    token_secret: str = field(default_factory=lambda: _env("GB_TOKEN_SECRET", DEV_TOKEN_SECRET))
    # Secret that signs the short-lived credential the gateway hands a service with each call; the
    # services accept no caller without it.
    internal_secret: str = field(default_factory=lambda: _env("GB_INTERNAL_SECRET", DEV_INTERNAL_SECRET))
    # The password of the PostgreSQL role (scram-sha-256). The local runner generates it into the secrets
    # folder; in development a process without the variable reads it from there.
    pg_password: str = field(default_factory=lambda: _env("GB_PG_PASSWORD", ""))
    # This process's own Kafka principal (SASL/SCRAM-SHA-512) and its password: the runner hands each
    # process only its own (infra/supervisor.py). In development, a process started without either
    # variable (the runner, tests, tools) is the operator, read from the secrets folder.
    kafka_username: str = field(default_factory=lambda: _env("GB_KAFKA_USERNAME", ""))
    kafka_password: str = field(default_factory=lambda: _env("GB_KAFKA_PASSWORD", ""))
    environment: str = field(default_factory=lambda: _env("GB_ENV", "development"))
    # How often the deadline engine runs (it raises each due item once, so more often is harmless).
    deadline_interval_seconds: float = field(default_factory=lambda: float(_env("GB_DEADLINE_INTERVAL", "3600")))
    # The county's day: commands, the deadline engine and queries all take "today" in this zone
    # (services/kernel/clock.py). An IANA zone name.
    county_time_zone: str = field(default_factory=lambda: _env("GB_COUNTY_TIME_ZONE", "Asia/Shanghai"))
    # Development and tests only: the clock of services/kernel/clock.py starts at this RFC 3339 instant
    # and runs on from there, so a whole running system can be put at, say, 23:30 in the county. Empty:
    # the real time. Refused outside development (GB_ENV), like the development secrets.
    clock_at: str = field(default_factory=lambda: _env("GB_CLOCK_AT", ""))

    def __post_init__(self) -> None:
        self._check_clock()
        if self.kafka_partner_reauth_ms < MIN_PARTNER_REAUTH_MS:
            raise ValueError(f"GB_KAFKA_PARTNER_REAUTH_MS must be at least {MIN_PARTNER_REAUTH_MS} ms: it bounds how "
                             "long a partner's connection made with a revoked password still reads (0 would never "
                             f"end it); got {self.kafka_partner_reauth_ms}")
        if self.environment == "development":
            self._development_credentials()
        else:
            for name, value, default in (
                ("GB_ADMIN_TOKEN", self.admin_token, DEV_ADMIN_TOKEN),
                ("GB_TOKEN_SECRET", self.token_secret, DEV_TOKEN_SECRET),
                ("GB_INTERNAL_SECRET", self.internal_secret, DEV_INTERNAL_SECRET),
            ):
                if value == default:
                    raise ValueError(f"{name} must be set to a secret value outside development (GB_ENV="
                                     f"{self.environment}); it still has the development default")
                if len(value.encode()) < MIN_SECRET_BYTES:
                    raise ValueError(f"{name} is shorter than {MIN_SECRET_BYTES} bytes; outside development use "
                                     "a random value, e.g. from `python -c 'import secrets; "
                                     "print(secrets.token_urlsafe(48))'`")
            self._refuse_weak_credentials()

    @property
    def clock_instant(self) -> datetime | None:
        """The instant GB_CLOCK_AT names (aware, UTC), or None for the real time."""
        return parse_clock_at(self.clock_at) if self.clock_at else None

    def _check_clock(self) -> None:
        if not self.clock_at:
            return
        if self.environment != "development":
            raise ValueError(f"GB_CLOCK_AT is for development and tests only (GB_ENV={self.environment}): "
                             "outside development the system runs on the real time; unset it")
        parse_clock_at(self.clock_at)

    def _development_credentials(self) -> None:
        """Fill in the operator's credentials from the secrets folder, when nothing was said.

        Only when the variables are absent altogether: the runner sets them (perhaps empty) for every
        process it starts, so an application process never falls back to the operator."""
        folder = secrets_dir(self)
        if not self.kafka_username and not {"GB_KAFKA_USERNAME", "GB_KAFKA_PASSWORD"} & set(os.environ):
            password = _read_secret(folder / "kafka" / KAFKA_OPERATOR)
            if password:
                object.__setattr__(self, "kafka_username", KAFKA_OPERATOR)
                object.__setattr__(self, "kafka_password", password)
        if not self.pg_password and not self.pg_dsn and "GB_PG_PASSWORD" not in os.environ:
            object.__setattr__(self, "pg_password", _read_secret(folder / "postgres"))

    def _refuse_weak_credentials(self) -> None:
        """Outside development: the database password and a Kafka password given must be real secrets.

        A process without a Kafka principal (a service's command API) needs no Kafka password; one that
        builds a Kafka client without it is refused there (services/kernel/kafka.py)."""
        hint = ("outside development use a random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        in_dsn = urlsplit(self.pg_dsn).password if self.pg_dsn else None
        pg_name, pg_value = ("the password in GB_PG_DSN", in_dsn) if in_dsn else ("GB_PG_PASSWORD", self.pg_password)
        if not pg_value:
            raise ValueError(f"GB_PG_PASSWORD must be set outside development (GB_ENV={self.environment}): "
                             "PostgreSQL is reached with password authentication only")
        if len(pg_value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"{pg_name} is shorter than {MIN_SECRET_BYTES} bytes; {hint}")
        if self.kafka_username and not self.kafka_password:
            raise ValueError(f"GB_KAFKA_PASSWORD must be set for the Kafka principal {self.kafka_username!r} "
                             f"outside development (GB_ENV={self.environment})")
        if self.kafka_password and len(self.kafka_password.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"GB_KAFKA_PASSWORD is shorter than {MIN_SECRET_BYTES} bytes; {hint}")

    @property
    def bootstrap_servers(self) -> str:
        if self.kafka_bootstrap:
            return self.kafka_bootstrap
        return ",".join(f"127.0.0.1:{self.kafka_node_port(node)}" for node in range(1, self.kafka_brokers + 1))

    def kafka_node_port(self, node: int) -> int:
        """The client port of the local runner's Kafka node ``node`` (from 1): each node takes the two ports
        after the one before it (client, controller), so a three-node cluster spans six from GB_KAFKA_PORT."""
        return self.kafka_port + 2 * (node - 1)

    def kafka_node_controller_port(self, node: int) -> int:
        return self.kafka_controller_port + 2 * (node - 1)

    def kafka_node_partner_port(self, node: int) -> int:
        """The partners' listener (PARTNER) of node ``node``: node 1's port, then two apart like the client ports."""
        first = self.kafka_partner_port or self.kafka_port + PARTNER_PORT_OFFSET
        return first + 2 * (node - 1)

    @property
    def partner_bootstrap_servers(self) -> str:
        """What partner systems are told to connect to (GET /v1/partners/{id}/kafka-credentials): the PARTNER
        listener. Empty for an external cluster without GB_KAFKA_PARTNER_BOOTSTRAP: its internal address would
        give partners sessions that never end."""
        if self.kafka_partner_bootstrap:
            return self.kafka_partner_bootstrap
        if self.kafka_bootstrap:
            return ""
        return ",".join(f"127.0.0.1:{self.kafka_node_partner_port(n)}" for n in range(1, self.kafka_brokers + 1))

    @property
    def kafka_replication_factor(self) -> int:
        """Replicas of every topic: one per broker, up to three."""
        return min(3, self.kafka_brokers)

    @property
    def kafka_min_insync_replicas(self) -> int:
        """Replicas that must have a write before it is acknowledged (acks=all): two of three, so the cluster
        takes writes with one broker down and an acknowledged write survives losing any one broker."""
        return 2 if self.kafka_replication_factor >= 3 else 1

    def dsn(self, database: str) -> str:
        """DSN of one service's own database (gb_<service>) on the configured server."""
        name = f"gb_{database}"
        if self.pg_dsn:
            base, _, _ = self.pg_dsn.rpartition("/")
            return _with_password(f"{base}/{name}", self.pg_password)
        return _with_password(f"postgresql://{PG_USER}@127.0.0.1:{self.pg_port}/{name}", self.pg_password)

    @property
    def admin_dsn(self) -> str:
        """DSN of the server's maintenance database, used only to create service databases."""
        if self.pg_dsn:
            return _with_password(self.pg_dsn, self.pg_password)
        return _with_password(f"postgresql://{PG_USER}@127.0.0.1:{self.pg_port}/postgres", self.pg_password)

    def service_port(self, service: str, default: int) -> int:
        """The port of a service's internal command API (``GB_<SERVICE>_PORT``, else ``default``)."""
        return self.service_ports.get(service, default)

    def service_env(self, default_ports: Mapping[str, int]) -> dict[str, str]:
        """The GB_<SERVICE>_PORT / _URL variables that give a child process these services' addresses."""
        env = {f"GB_{s.upper()}_PORT": str(self.service_port(s, port)) for s, port in default_ports.items()}
        env.update({f"GB_{s.upper()}_URL": url for s, url in self.service_urls.items()})
        return env

    def service_base_url(self, service: str, default_port: int) -> str:
        """Where the gateway reaches a service (``GB_<SERVICE>_URL``, else this machine's port). Several
        instances: their URLs separated by commas (services/gateway/service_client.py spreads calls over them)."""
        return self.service_urls.get(service) or f"http://127.0.0.1:{self.service_port(service, default_port)}"


def service_secret(variable: str, dev_value: str, purpose: str,
                   environ: Mapping[str, str] = os.environ) -> bytes:
    """A secret one service holds (not every process: so not a Settings field, which would name the service
    in the kernel). In development, ``dev_value`` unless the variable is set; outside development it must
    be set, not ``dev_value``, and at least MIN_SECRET_BYTES — ``purpose`` says in the refusal what it
    protects."""
    value = environ.get(variable, "").strip()
    environment = environ.get("GB_ENV", "").strip() or "development"
    if environment == "development":
        return (value or dev_value).encode()
    if not value or value == dev_value:
        raise ValueError(f"{variable} must be set to a secret value outside development (GB_ENV={environment}): "
                         f"{purpose}")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{variable} is shorter than {MIN_SECRET_BYTES} bytes; use a random value, e.g. from "
                         "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return value.encode()


def load_settings() -> Settings:
    return Settings()
