"""Backup and restore of what nothing else can rebuild: every PostgreSQL store, and the keys and secrets.

What a backup folder holds (docs/backup.md says it for operators, the folder's README.txt for whoever finds it):

    stores/gb_<name>.dump   one ``pg_dump --format=custom`` per database: each service's event store (its truth,
                            with its outbox, idempotency records and, for membership, every person's wrapped data
                            key) and the gateway's (its own token store; its read models are rebuilt anyway)
    keys.sealed             the key material, sealed with GB_BACKUP_PASSPHRASE (scrypt, then AES-256-GCM) —
                            or keys.json, in development only and only without a passphrase
    manifest.json           what was taken, when, each store's event count and last position, every file's SHA-256
    SHA256SUMS              the same digests for ``sha256sum -c`` by hand, the manifest's own included
    README.txt              what the folder holds and how to restore it

Why pg_dump and not pg_basebackup: a dump is taken from the running server without replication rights or
a pg_hba.conf replication entry (an external server under GB_PG_DSN rarely grants them), holds only our
databases, restores one database at a time into any PostgreSQL of the same or a later major version, and is
read in one snapshot per database. pg_basebackup's one gain — a point in time across all databases with the
WAL after it — needs WAL archiving we do not run. Each dump is taken in a snapshot exported from a
transaction that also counts the store's events, so the manifest states exactly what the dump holds.
Stores are dumped one after another: each is consistent in itself, and what one service did because of
another's event (the funds-credit policy) is caught up from Kafka after a restore, idempotently.

Kafka is not in the backup: a service's store is its truth and Kafka the log everyone reads. Restore checks
that Kafka holds no event a restored store lacks (a store older than the log would hand out the same
positions again); docs/backup.md says what to do when Kafka was lost too.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from infra import postgres, secrets
from services import system
from services.kernel.settings import MIN_SECRET_BYTES, Settings, secrets_dir

log = logging.getLogger("infra")

FORMAT = "golden-bridge-backup/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
SEALED_KEYS = "keys.sealed"
PLAIN_KEYS = "keys.json"
PASSPHRASE_VARIABLE = "GB_BACKUP_PASSPHRASE"
#: Secrets that come from the environment outside development (docker-compose.yml requires each); the
#: backup keeps those that are set, because without GB_MEMBERSHIP_MASTER_KEY no person's data in the stores
#: can ever be opened again. In development they are the code's development values, and are not kept.
ENVIRONMENT_SECRETS = ("GB_MEMBERSHIP_MASTER_KEY", "GB_PARTNERS_SECRET", "GB_TOKEN_SECRET", "GB_INTERNAL_SECRET",
                       "GB_ADMIN_TOKEN")
#: The audit log's signing key: services/auditlog/keys.py puts it here (infra may not import that module).
AUDIT_KEY = "auditlog-signing-key"
AUDIT_KEY_FILE_NAME = "auditlog-signing-key.pem"
#: scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and about 0.1 s per try, against guessing the passphrase.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
PROGRESS_EVERY = 5.0
_KEY_NAME = re.compile(r"^(postgres|auditlog-signing-key|kafka/[A-Za-z0-9_.-]+)$")


class BackupError(RuntimeError):
    """A backup that cannot be taken or trusted; the message says why and what to do."""


# --------------------------------------------------------------------------- keys and secrets


def audit_key_path(settings: Settings) -> Path:
    """Where the audit log keeps its signing key (the same rule as services/auditlog/keys.key_path)."""
    configured = os.environ.get("GB_AUDITLOG_KEY_FILE", "").strip()
    return Path(configured) if configured else secrets_dir(settings) / AUDIT_KEY_FILE_NAME


def key_destination(settings: Settings, name: str) -> Path:
    """Where the key material named ``name`` in a backup belongs on this machine."""
    if not _KEY_NAME.match(name):
        raise BackupError(f"the backup names a key {name!r} that this version does not know; nothing was changed")
    return audit_key_path(settings) if name == AUDIT_KEY else secrets_dir(settings) / name


def key_files(settings: Settings) -> dict[str, Path]:
    """The key material on this machine, by its name in a backup: the PostgreSQL password of the local
    cluster, every Kafka principal's SCRAM password, the audit log's signing key."""
    names = [] if settings.pg_dsn else ["postgres"]
    kafka = secrets_dir(settings) / "kafka"
    names += [f"kafka/{p.name}" for p in sorted(kafka.glob("*")) if p.is_file() and not p.name.startswith(".")]
    names.append(AUDIT_KEY)
    return {name: key_destination(settings, name) for name in names if key_destination(settings, name).is_file()}


def passphrase(settings: Settings, environ: dict[str, str] | None = None) -> str | None:
    """GB_BACKUP_PASSPHRASE; outside development it must be set and long enough (the backup holds the keys
    to every person's data). In development without it, the key material is kept unsealed (0600)."""
    value = (environ if environ is not None else dict(os.environ)).get(PASSPHRASE_VARIABLE, "").strip()
    if settings.environment == "development":
        return value or None
    if not value:
        raise BackupError(f"{PASSPHRASE_VARIABLE} must be set outside development (GB_ENV={settings.environment}): "
                          "the backup holds the audit log's signing key and the master key of every person's data, "
                          "and seals them with it")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise BackupError(f"{PASSPHRASE_VARIABLE} is shorter than {MIN_SECRET_BYTES} bytes; use a random one kept "
                          "apart from the backups, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return value


def _kdf(salt: bytes) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)


def seal(material: dict[str, Any], secret: str) -> bytes:
    """``material`` as JSON, encrypted with a key derived from ``secret``; the format name is authenticated too."""
    salt, nonce = os.urandom(16), os.urandom(12)
    box = AESGCM(_kdf(salt).derive(secret.encode()))
    sealed = box.encrypt(nonce, json.dumps(material).encode(), FORMAT.encode())
    return json.dumps({"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "cipher": "AES-256-GCM",
                       "salt": _b64(salt), "nonce": _b64(nonce), "ciphertext": _b64(sealed)}, indent=1).encode()


def unseal(data: bytes, secret: str | None) -> dict[str, Any]:
    if secret is None:
        raise BackupError(f"the backup's keys are sealed: set {PASSPHRASE_VARIABLE} to the passphrase it was taken "
                          "with; nothing was changed")
    box = json.loads(data)
    key = Scrypt(salt=base64.b64decode(box["salt"]), length=32, n=box["n"], r=box["r"], p=box["p"]).derive(
        secret.encode())
    try:
        plain = AESGCM(key).decrypt(base64.b64decode(box["nonce"]), base64.b64decode(box["ciphertext"]),
                                    FORMAT.encode())
    except InvalidTag:
        raise BackupError(f"{PASSPHRASE_VARIABLE} does not open this backup's keys (another passphrase, or the "
                          "file was altered); nothing was changed") from None
    material: dict[str, Any] = json.loads(plain)
    return material


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gather_keys(settings: Settings) -> dict[str, Any]:
    """The key files (base64) and the environment's secrets that are set, for sealing."""
    files = {name: _b64(path.read_bytes()) for name, path in key_files(settings).items()}
    environment = {v: os.environ[v].strip() for v in ENVIRONMENT_SECRETS if os.environ.get(v, "").strip()}
    return {"files": files, "environment": environment}


# --------------------------------------------------------------------------- PostgreSQL


def _client(dsn: str) -> tuple[str, dict[str, str]]:
    """``dsn`` without its password, and the environment that gives pg_dump/pg_restore the password (never on
    a command line that ``ps`` shows)."""
    parts = urlsplit(dsn)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        parts = parts._replace(netloc=f"{user}@{parts.netloc.rpartition('@')[2]}")
    return urlunsplit(parts), env


async def _wait_with_progress(child: asyncio.subprocess.Process, what: str, size_of: Path | None) -> bytes:
    started = time.monotonic()
    errors = asyncio.create_task(child.stderr.read() if child.stderr else asyncio.sleep(0, b""))
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(child.wait()), PROGRESS_EVERY)
            return await errors
        except TimeoutError:
            done = f", {size_of.stat().st_size / 1e6:,.1f} MB so far" if size_of and size_of.exists() else ""
            log.info("%s: running for %.0f s%s", what, time.monotonic() - started, done)


async def count_events(conn: Any) -> int:
    """Events in every event store of a database (the gateway's token store is one, in schema ``access``)."""
    total = 0
    for schema, table in await conn.fetch("SELECT schemaname, tablename FROM pg_tables WHERE tablename = 'events'"
                                          " AND schemaname NOT IN ('pg_catalog', 'information_schema')"):
        total += await conn.fetchval(f'SELECT count(*) FROM "{schema}"."{table}"')
    return total


async def dump_store(settings: Settings, name: str, database: str, path: Path) -> dict[str, Any]:
    """``pg_dump`` of one database into ``path``, in a snapshot whose event count and last position are returned."""
    import asyncpg

    conn = await asyncpg.connect(settings.dsn(name), timeout=10)
    try:
        tx = conn.transaction(isolation="repeatable_read", readonly=True)
        await tx.start()
        snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
        stats: dict[str, Any] = {"database": database, "file": f"stores/{database}.dump",
                                 "events": await count_events(conn)}
        if await conn.fetchval("SELECT to_regclass('public.events') IS NOT NULL"):
            stats["last_position"] = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
        target, env = _client(settings.dsn(name))
        child = await asyncio.create_subprocess_exec(
            str(postgres.PG_BIN / "pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-owner",
            f"--file={path}", f"--dbname={target}", env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        errors = await _wait_with_progress(child, f"dumping {database}", path)
        await tx.rollback()
    finally:
        await conn.close()
    if child.returncode != 0:
        raise BackupError(f"pg_dump of {database} failed (exit {child.returncode}): {errors.decode().strip()}")
    return stats


async def restore_store(settings: Settings, name: str, database: str, path: Path) -> None:
    """Drop ``database`` (closing its connections), create it afresh and ``pg_restore`` the dump in one
    transaction: a failed restore leaves an empty database, never half of one."""
    import asyncpg

    quoted = '"' + database.replace('"', '""') + '"'
    admin = await asyncpg.connect(settings.admin_dsn, timeout=10)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {quoted}")
    finally:
        await admin.close()
    target, env = _client(settings.dsn(name))
    child = await asyncio.create_subprocess_exec(
        str(postgres.PG_BIN / "pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
        f"--dbname={target}", str(path), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    errors = await _wait_with_progress(child, f"restoring {database}", None)
    if child.returncode != 0:
        raise BackupError(f"pg_restore of {database} failed (exit {child.returncode}): {errors.decode().strip()}")


# --------------------------------------------------------------------------- the folder


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Backup:
    """A backup folder whose every file was found whole (see :func:`verify`)."""

    folder: Path
    manifest: dict[str, Any]
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def sealed(self) -> bool:
        return bool(self.manifest["keys"]["sealed"])

    def keys(self, secret: str | None) -> dict[str, Any]:
        data = (self.folder / self.manifest["keys"]["file"]).read_bytes()
        return unseal(data, secret) if self.sealed else dict(json.loads(data))


def verify(folder: Path) -> Backup:
    """The backup in ``folder``, every file checked against the manifest; a missing, extra-less, partial or
    damaged one is refused with what is wrong."""
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder; give the backup folder that `./gb backup` printed")
    if folder.name.endswith(".partial") or not (folder / SUMS).is_file() or not (folder / MANIFEST).is_file():
        raise BackupError(f"{folder} is not a whole backup (no {SUMS} or {MANIFEST}: a backup that was interrupted, "
                          "or not a backup at all); nothing was changed")
    sums: dict[str, str] = {}
    for line in (folder / SUMS).read_text(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name or ".." in Path(name).parts:
            raise BackupError(f"{folder / SUMS} is damaged (line {line[:80]!r}); nothing was changed")
        sums[name] = digest
    damaged = []
    for name, digest in sorted(sums.items()):
        path = folder / name
        if not path.is_file():
            damaged.append(f"{name} is missing")
        elif sha256(path) != digest:
            damaged.append(f"{name} does not match its SHA-256 in {SUMS}")
    if damaged:
        raise BackupError(f"the backup in {folder} is damaged or partial — " + "; ".join(damaged)
                          + ". Nothing was changed; restore another backup")
    if MANIFEST not in sums:
        raise BackupError(f"{SUMS} in {folder} does not cover {MANIFEST}; nothing was changed")
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is a backup of format {manifest.get('format')!r}; this version restores "
                          f"{FORMAT} only; nothing was changed")
    listed = {name for name in manifest["files"]}
    if listed != set(sums) - {MANIFEST} or any(manifest["files"][n]["sha256"] != sums[n] for n in listed):
        raise BackupError(f"{MANIFEST} and {SUMS} in {folder} disagree about the files; nothing was changed")
    return Backup(folder, manifest, dict(manifest["stores"]))


def _readme(manifest: dict[str, Any]) -> str:
    stores = "\n".join(f"  {s['file']:34} {name}: {s['events']:,} events" for name, s in
                       sorted(manifest["stores"].items()))
    keys = manifest["keys"]
    sealed = (f"sealed with the passphrase in {PASSPHRASE_VARIABLE} (scrypt, AES-256-GCM): without it they are "
              "unreadable, and so is every person's data in the stores" if keys["sealed"] else
              "NOT SEALED (development, no passphrase was set): anyone who reads keys.json holds the audit log's "
              "signing key and the credentials")
    entries = ", ".join(keys["entries"]) or "none"
    environment = ", ".join(keys["environment"]) or "none (development values)"
    return f"""Golden Bridge backup, taken {manifest['created_at']} on {manifest['host']} \
(GB_ENV={manifest['environment']}).

CONFIDENTIAL. It holds the records of Party members and cadres as the stores keep them: ID numbers and phones
are sealed per person, but the keys that open them are in this folder too ({keys['file']}, {sealed}).
Keep it as you keep the database: owner-only (this folder is 0700, its files 0600), off this machine, and
never beside its passphrase.

What it holds:
{stores}
  {keys['file']:34} key material: {entries}; environment secrets: {environment}
  {MANIFEST:34} what was taken, each store's event count and last position, every file's SHA-256
  {SUMS:34} the same digests: `sha256sum -c {SUMS}` checks the folder by hand

Not in it: Kafka's copy of the events (the stores are the truth; see docs/backup.md), the read models (rebuilt).

Restore: `./gb restore {manifest['name']}` (docs/backup.md), then `./gb verify`.
"""


def take(settings: Settings, parent: Path, secret: str | None) -> Path:
    """Write a new backup folder under ``parent`` and return it. It is written as ``<name>.partial`` and renamed
    only once whole, so a backup that fails or is interrupted is never taken for one."""
    started = time.monotonic()
    created = datetime.now(UTC)
    name = f"golden-bridge-{created:%Y%m%dT%H%M%SZ}"
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700)
    final, partial = parent / name, parent / f"{name}.partial"
    if final.exists():
        raise BackupError(f"{final} exists already; wait a second and back up again")
    old_umask = os.umask(0o077)  # every file pg_dump or we create is the owner's only
    try:
        (partial / "stores").mkdir(parents=True, mode=0o700)
        partial.chmod(0o700)
        stores: dict[str, Any] = {}
        databases = postgres.database_names(settings)
        for n, (store, database) in enumerate(databases.items(), start=1):
            begun = time.monotonic()
            log.info("[%d/%d] dumping %s…", n, len(databases), database)
            stores[store] = asyncio.run(dump_store(settings, store, database, partial / "stores" / f"{database}.dump"))
            if store in system.names():
                stores[store]["topic"] = system.service(store).topic
            log.info("[%d/%d] %s: %s events, %.1f MB in %.1f s", n, len(databases), database,
                     f"{stores[store]['events']:,}",
                     (partial / stores[store]["file"]).stat().st_size / 1e6, time.monotonic() - begun)
        material = gather_keys(settings)
        keys_file = SEALED_KEYS if secret else PLAIN_KEYS
        secrets.write_private(partial / keys_file, seal(material, secret) if secret else json.dumps(material).encode())
        if not secret:
            log.warning("the key material is NOT sealed (%s is not set; development only): the backup's %s holds "
                        "it in clear", PASSPHRASE_VARIABLE, keys_file)
        log.info("key material: %s; environment secrets: %s", ", ".join(material["files"]) or "none",
                 ", ".join(material["environment"]) or "none (development values)")
        manifest: dict[str, Any] = {
            "format": FORMAT, "name": name, "created_at": created.isoformat(), "host": os.uname().nodename,
            "environment": settings.environment, "data_dir": str(settings.data_dir), "stores": stores,
            "keys": {"file": keys_file, "sealed": bool(secret), "entries": sorted(material["files"]),
                     "environment": sorted(material["environment"])},
        }
        secrets.write_private(partial / README, _readme(manifest).encode())
        files = sorted(p for p in partial.rglob("*") if p.is_file())
        manifest["files"] = {str(p.relative_to(partial)): {"sha256": sha256(p), "bytes": p.stat().st_size}
                             for p in files}
        secrets.write_private(partial / MANIFEST, json.dumps(manifest, indent=2).encode())
        digests = {**{k: v["sha256"] for k, v in manifest["files"].items()}, MANIFEST: sha256(partial / MANIFEST)}
        secrets.write_private(partial / SUMS, "".join(f"{d}  {n}\n" for n, d in sorted(digests.items())).encode())
        os.rename(partial, final)
    except BaseException:
        import shutil

        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        os.umask(old_umask)
    size = sum(p.stat().st_size for p in final.rglob("*") if p.is_file())
    log.info("backup written to %s (%.1f MB, %d stores) in %.1f s", final, size / 1e6, len(stores),
             time.monotonic() - started)
    return final
