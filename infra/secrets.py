"""The local runner's secrets: generated on first run into ``<data_dir>/secrets``, never in git.

Layout (folder 0700, every file 0600, one random 43-character value per file):

    secrets/postgres            password of the ``postgres`` role (scram-sha-256 over TCP)
    secrets/kafka/<principal>   SCRAM-SHA-512 password of one Kafka principal (infra/acls.py)

The folder lives beside the data it protects: a cluster formatted with these credentials and the
credentials are created, kept and wiped together (``./gb test`` wipes both). It is under ``.data/``,
which .gitignore excludes; ``secrets/`` is excluded there as well in case GB_DATA_DIR points into the
checkout elsewhere.

Each application process gets only its own principal's password in its environment
(infra/supervisor.py, ``GB_KAFKA_USERNAME`` / ``GB_KAFKA_PASSWORD``); the runner itself, the tests and
the developer's tools act as the ``operator`` (services/kernel/settings.py reads it from here, in
development only). Outside development nothing is read from here: every secret comes from the
environment (docker-compose.yml requires each one).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from services.kernel.files import write_private
from services.kernel.settings import KAFKA_OPERATOR, Settings, secrets_dir

__all__ = ["data_dir_mode", "ensure_secret", "kafka_password", "local_settings", "pg_password", "restrict_dir",
           "secrets_dir", "write_private"]

#: 32 random bytes, URL-safe base64 (43 characters): over the 32-byte minimum of settings.py, and safe
#: to put in a DSN, a JAAS line or a SCRAM ``[password=…]`` without quoting.
TOKEN_BYTES = 32


def restrict_dir(path: Path, mode: int = 0o700) -> Path:
    """Create ``path`` (and parents) and give it ``mode``: owner only by default."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def ensure_secret(path: Path) -> str:
    """The secret stored in ``path``; a new random one (file 0600, written atomically) when missing."""
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    restrict_dir(path.parent)
    value = secrets.token_urlsafe(TOKEN_BYTES)
    write_private(path, (value + "\n").encode())
    return value


def kafka_password(settings: Settings, principal: str) -> str:
    restrict_dir(secrets_dir(settings))
    return ensure_secret(secrets_dir(settings) / "kafka" / principal)


def pg_password(settings: Settings) -> str:
    restrict_dir(secrets_dir(settings))
    return ensure_secret(secrets_dir(settings) / "postgres")


def data_dir_mode() -> int:
    """0700 for the data folder and its log folder — but 0711 when we are root: PostgreSQL then runs as
    the ``postgres`` OS user, which must pass through them to its own 0700 cluster folder and log file.
    Search without listing; every file in them is 0600 or inside a 0700 folder."""
    return 0o711 if os.geteuid() == 0 else 0o700


def local_settings(settings: Settings) -> Settings:
    """The runner's own settings in development: the operator's Kafka credentials and the PostgreSQL
    password, generated on first run. Outside development (or with external servers) they come from
    the environment only."""
    if settings.environment != "development":
        return settings
    if not settings.kafka_username:
        settings = dataclasses.replace(
            settings, kafka_username=KAFKA_OPERATOR, kafka_password=kafka_password(settings, KAFKA_OPERATOR))
    if not settings.pg_dsn and not settings.pg_password:
        settings = dataclasses.replace(settings, pg_password=pg_password(settings))
    return settings
