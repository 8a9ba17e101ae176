"""PostgreSQL: the project's own 15 cluster under <data_dir>/postgres, or an external server.

With GB_PG_DSN set, that server is used and only checked. Otherwise a cluster is initialised
once, started with ``pg_ctl -w`` and stopped with ``pg_ctl -m fast``.

Authentication: over TCP (127.0.0.1 only) every role needs its password, scram-sha-256; the
``postgres`` role's password is generated into the secrets folder (infra/secrets.py) and set on
every start. Only the unix socket trusts the ``postgres`` role: the socket lives inside the cluster's
0700 data folder, so only its owner (and root) can reach it, and the runner needs it to set the
password the first time — and to re-configure a cluster initialised before passwords existed
(its pg_hba.conf is rewritten on every start and reloaded). As root, initdb and
the server run as the ``postgres`` OS user (initdb refuses root, the server refuses to run as root).
Durability settings (fsync, synchronous_commit, full_page_writes) stay on.

Where the cluster lives: ``<data_dir>/postgres``, unless we are root and the ``postgres`` OS user cannot
pass through the data folder's parents — a clone in root's own home, mode 0700, is the usual case. Rather
than ask anyone to open their home, the cluster (and its log) is then placed in the ``postgres`` user's
own home, under ``golden-bridge/<digest of the data folder's path>/``, and ``<data_dir>/postgres`` and
``<data_dir>/logs/postgres.log`` become symbolic links to it: everything the runner does through the data
folder still works (root passes everywhere), and the server is only ever given the real paths. A data folder
wiped since (``./gb test`` wipes its own) leaves that place behind; the next initialisation for the same
path finds it without its link, and starts it afresh.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from infra import secrets, supervisor
from infra.aio import run_sync
from services import system
from services.kernel.settings import PG_USER, Settings, redact

log = logging.getLogger("infra")

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"
START_TIMEOUT = 60
#: An external server (GB_PG_DSN) should already be up: do not wait long for it.
EXTERNAL_TIMEOUT = 20
#: Linux limits a unix socket path to 107 bytes.
MAX_SOCKET_PATH = 107

#: Server settings for a 2-core, 24 GiB development machine. Durability stays on.
SERVER_SETTINGS: dict[str, str] = {
    "max_connections": "200",
    "shared_buffers": "'256MB'",
    "effective_cache_size": "'4GB'",
    "work_mem": "'8MB'",
    "maintenance_work_mem": "'128MB'",
    "max_wal_size": "'1GB'",
    "random_page_cost": "1.1",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "password_encryption": "'scram-sha-256'",
}

PG_HBA = (
    "# Written by infra/postgres.py on every start. The server listens on 127.0.0.1 only.\n"
    "# The socket is inside the 0700 data folder: only its owner reaches it (used to set the password).\n"
    "# TYPE  DATABASE  USER      ADDRESS        METHOD\n"
    "local   all       postgres                 trust\n"
    "host    all       all       127.0.0.1/32   scram-sha-256\n"
)


class PostgresError(RuntimeError):
    pass


# --------------------------------------------------------------------------- paths and users


def pgdata(settings: Settings) -> Path:
    """The cluster's folder, as the server sees it: <data_dir>/postgres, or where that link points."""
    return (settings.data_dir / "postgres").resolve()


def log_path(settings: Settings) -> Path:
    return supervisor.log_file(settings, "postgres").resolve()


def outside_home(settings: Settings) -> Path:
    """Where the cluster of ``settings`` lives when the ``postgres`` OS user cannot reach its data folder."""
    digest = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(pwd.getpwnam(OS_USER).pw_dir) / "golden-bridge" / digest


def database_names(settings: Settings) -> dict[str, str]:
    """service → database name, read from Settings.dsn() (gb_<service>)."""
    services = (*system.names(), system.READ_MODEL_DATABASE)
    return {s: urlsplit(settings.dsn(s)).path.lstrip("/") for s in services}


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_owner() -> list[str]:
    """Command prefix running as the cluster's owner: `postgres` when we are root, else us."""
    return ["runuser", "-u", OS_USER, "--"] if _is_root() else []


def _give_to_owner(path: Path) -> None:
    if _is_root():
        shutil.chown(path, OS_USER, OS_USER)


def _run(argv: list[str], cwd: Path | None = None, check_msg: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check_msg and result.returncode != 0:
        raise PostgresError(f"{check_msg} (exit {result.returncode}):\n{result.stdout}{result.stderr}".rstrip())
    return result


# --------------------------------------------------------------------------- install and init


def ensure_installed() -> None:
    if (PG_BIN / "initdb").exists():
        return
    started = time.monotonic()
    log.info("installing PostgreSQL 15 with apt-get (first run only)…")
    sudo = [] if _is_root() else ["sudo"]
    install = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "postgresql"]
    if _run(install).returncode != 0:
        _run([*sudo, "apt-get", "update"])
        _run(install, check_msg="apt-get install -y postgresql failed")
    if not (PG_BIN / "initdb").exists():
        raise PostgresError(f"{PG_BIN / 'initdb'} is still missing after installing postgresql")
    log.info("installed PostgreSQL in %.1f s", time.monotonic() - started)


def _owner_reaches(folder: Path) -> bool:
    """Whether the cluster's owner can pass through ``folder`` and every parent of it."""
    if not _is_root():
        return True
    try:
        pwd.getpwnam(OS_USER)
    except KeyError as exc:
        raise PostgresError(f"OS user {OS_USER!r} is missing (it comes with Debian's postgresql package)") from exc
    return _run([*_as_owner(), "test", "-x", str(folder)]).returncode == 0


def _place_cluster(settings: Settings) -> Path:
    """Make the cluster's folder, inside the data folder when its owner can reach it, else outside (see the
    module's docstring), and return it."""
    link = settings.data_dir / "postgres"
    if link.is_symlink() or _owner_reaches(settings.data_dir):
        data = pgdata(settings)
        data.mkdir(parents=True, exist_ok=True)
        return data
    home = outside_home(settings)
    if (home / "data" / "postmaster.pid").exists() and _run(
            [*_as_owner(), str(PG_BIN / "pg_ctl"), "-D", str(home / "data"), "status"]).returncode == 0:
        raise PostgresError(f"a PostgreSQL server still runs in {home}, left by an earlier data folder at "
                            f"{settings.data_dir}; stop it (pg_ctl -D {home / 'data'} stop) and start again")
    shutil.rmtree(home, ignore_errors=True)  # left by a data folder at the same path, since wiped
    (home / "data").mkdir(parents=True)
    for folder in (home.parent, home):
        folder.chmod(0o700)
        _give_to_owner(folder)
    link.symlink_to(home / "data")
    logfile = supervisor.log_file(settings, "postgres")
    logfile.unlink(missing_ok=True)
    logfile.symlink_to(home / "postgres.log")
    log.info("the %s OS user cannot reach %s (a private home): the cluster lives in %s, linked from %s",
             OS_USER, settings.data_dir, home, link)
    return home / "data"


def init_cluster(settings: Settings) -> bool:
    """initdb once; False when the cluster already exists."""
    if (pgdata(settings) / "PG_VERSION").exists():
        return False
    started = time.monotonic()
    data = _place_cluster(settings)
    data.chmod(0o700)
    _give_to_owner(data)
    _run(
        [
            *_as_owner(),
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        ],
        cwd=data,
        check_msg="initdb failed",
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\n# Golden Bridge settings, rewritten on every start by infra/postgres.py\n")
        conf.write("include_if_exists = 'golden_bridge.conf'\n")
    log.info("initialised PostgreSQL cluster in %s (%.1f s)", data, time.monotonic() - started)
    return True


def write_server_conf(settings: Settings) -> None:
    data = pgdata(settings)
    socket_path = f"{data}/.s.PGSQL.{settings.pg_port}"
    if len(socket_path) > MAX_SOCKET_PATH:
        raise PostgresError(f"socket path {socket_path} is too long for Linux; use a shorter GB_DATA_DIR")
    conf = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(settings.pg_port),
        "unix_socket_directories": f"'{data}'",
        **SERVER_SETTINGS,
    }
    path = data / "golden_bridge.conf"
    path.write_text("".join(f"{key} = {value}\n" for key, value in conf.items()))
    _give_to_owner(path)


def write_hba(settings: Settings) -> bool:
    """Write pg_hba.conf (password over TCP); True when it changed (a running server must reload)."""
    hba = pgdata(settings) / "pg_hba.conf"
    if hba.exists() and hba.read_text() == PG_HBA:
        return False
    hba.write_text(PG_HBA)
    hba.chmod(0o600)
    _give_to_owner(hba)
    return True


async def _set_password(settings: Settings, password: str, reload: bool) -> None:
    """Over the socket (trusted for ``postgres`` only): give the role its password, reload pg_hba.conf."""
    import asyncpg

    conn = await asyncpg.connect(host=str(pgdata(settings)), port=settings.pg_port, user=PG_USER,
                                 database="postgres", timeout=10)
    try:
        if reload:
            await conn.execute("SELECT pg_reload_conf()")
        # ALTER ROLE takes no parameters; the generated password is URL-safe base64, quoted anyway.
        literal = "'" + password.replace("'", "''") + "'"
        await conn.execute("SET password_encryption = 'scram-sha-256'")
        await conn.execute(f"ALTER ROLE {PG_USER} PASSWORD {literal}")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- run


def is_running(settings: Settings) -> bool:
    data = pgdata(settings)
    if not (data / "PG_VERSION").exists():
        return False
    return _run([*_as_owner(), str(PG_BIN / "pg_ctl"), "-D", str(data), "status"], cwd=data).returncode == 0


def postmaster_pid(settings: Settings) -> int | None:
    try:
        pid = int((pgdata(settings) / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if supervisor.is_alive(pid) else None


async def _answers(dsn: str) -> str | None:
    """None when the server answers ``SELECT 1``, else why not."""
    import asyncpg

    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        return None if await conn.fetchval("SELECT 1") == 1 else "SELECT 1 did not return 1"
    finally:
        await conn.close()


def wait_answers(dsn: str, label: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while (error := run_sync(_answers(dsn))) is not None:
        if time.monotonic() >= deadline:
            raise PostgresError(f"PostgreSQL at {label} did not answer within {timeout:.0f} s ({error})")
        time.sleep(0.3)


def start(settings: Settings) -> None:
    """Start (initialising once) the project's cluster, or check the external GB_PG_DSN server."""
    started = time.monotonic()
    if settings.pg_dsn:
        host = urlsplit(settings.pg_dsn).hostname or "?"
        wait_answers(settings.admin_dsn, f"GB_PG_DSN (host {host})", EXTERNAL_TIMEOUT)
        log.info("using external PostgreSQL at host %s (%.1f s)", host, time.monotonic() - started)
        return
    if not settings.pg_password:
        raise PostgresError("no PostgreSQL password: set GB_PG_PASSWORD (infra.secrets.local_settings generates "
                            "one in development)")
    ensure_installed()
    init_cluster(settings)
    write_server_conf(settings)
    hba_changed = write_hba(settings)
    data = pgdata(settings)
    running = is_running(settings)
    if not running:
        if supervisor.port_in_use(settings.pg_port):
            raise PostgresError(
                f"port {settings.pg_port} is already in use by another process; set GB_PG_PORT to another port"
            )
        logfile = log_path(settings)
        secrets.restrict_dir(logfile.parent, secrets.data_dir_mode())
        logfile.touch(mode=0o600)
        logfile.chmod(0o600)
        _give_to_owner(logfile)
        result = _run(
            [
                *_as_owner(),
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(logfile),
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            ],
            cwd=data,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"pg_ctl start failed (exit {result.returncode}); last lines of {logfile}:\n{supervisor.tail(logfile)}"
            )
    run_sync(_set_password(settings, settings.pg_password, reload=running and hba_changed))
    if running and hba_changed:
        log.info("PostgreSQL re-configured for password authentication (pg_hba.conf reloaded)")
    wait_answers(settings.admin_dsn, f"127.0.0.1:{settings.pg_port} (log: {log_path(settings)})")
    log.info("PostgreSQL ready on 127.0.0.1:%d (%.1f s)", settings.pg_port, time.monotonic() - started)


def stop(settings: Settings) -> bool:
    """pg_ctl stop -m fast; False when not running (or external)."""
    if settings.pg_dsn or not is_running(settings):
        return False
    started = time.monotonic()
    data = pgdata(settings)
    _run(
        [*_as_owner(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop"],
        cwd=data,
        check_msg="pg_ctl stop failed",
    )
    log.info("PostgreSQL stopped in %.1f s", time.monotonic() - started)
    return True


def kill(settings: Settings) -> bool:
    """SIGKILL the postmaster and its backends (fault tests); the next start runs crash recovery."""
    if settings.pg_dsn:
        return False
    pid = postmaster_pid(settings)
    if pid is None:
        return False
    supervisor.kill_pid(pid)  # pg_ctl starts the postmaster as a session leader: the group goes
    # pg_ctl (and so start()) sees a killed postmaster as running until init has reaped it.
    deadline = time.monotonic() + 10
    while is_running(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    log.info("PostgreSQL killed (postmaster pid %d, SIGKILL)", pid)
    return True


# --------------------------------------------------------------------------- databases


async def ensure_databases_async(settings: Settings) -> list[str]:
    """Create gb_<service> for every service database that is missing; return those created."""
    import asyncpg

    created: list[str] = []
    conn = await asyncpg.connect(settings.admin_dsn, timeout=10)
    try:
        for name in database_names(settings).values():
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            try:
                await conn.execute(f"CREATE DATABASE {quoted}")
            except asyncpg.DuplicateDatabaseError:
                continue  # created concurrently
            created.append(name)
    finally:
        await conn.close()
    for service, name in database_names(settings).items():
        if (error := await _answers(settings.dsn(service))) is not None:
            raise PostgresError(f"cannot connect to the {service} database {name} "
                                f"({redact(settings.dsn(service))}): {error}")
    return created


def ensure_databases(settings: Settings) -> list[str]:
    created = run_sync(ensure_databases_async(settings))
    names = ", ".join(database_names(settings).values())
    log.info("databases ready: %s%s", names, f" (created {', '.join(created)})" if created else "")
    return created
