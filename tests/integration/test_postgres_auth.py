"""The PostgreSQL cluster that `./gb test` starts wants a password over TCP (scram-sha-256)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from infra import postgres
from services.kernel.settings import PG_USER, Settings


async def _connect(settings: Settings, tmp_path: Path, password: str | None) -> asyncpg.Connection:
    # No ~/.pgpass and no PGPASSWORD may supply what the test withholds.
    return await asyncpg.connect(host="127.0.0.1", port=settings.pg_port, user=PG_USER, database="postgres",
                                 password=password, passfile=str(tmp_path / "no-passfile"), timeout=10)


async def test_a_tcp_connection_without_the_password_is_refused(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
        await _connect(settings, tmp_path, None)


async def test_a_tcp_connection_with_a_wrong_password_is_refused(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await _connect(settings, tmp_path, "not-" + settings.pg_password)


async def test_the_generated_password_is_accepted_and_stored_as_scram(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    assert urlsplit(settings.admin_dsn).password == settings.pg_password
    conn = await _connect(settings, tmp_path, settings.pg_password)
    try:
        method = await conn.fetchval("SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' LIMIT 1")
        assert method == "scram-sha-256"
        assert not await conn.fetchval("SELECT count(*) FROM pg_hba_file_rules "
                                       "WHERE type LIKE 'host%' AND auth_method IN ('trust', 'password', 'md5')")
        stored = await conn.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", PG_USER)
        assert stored.startswith("SCRAM-SHA-256$")
    finally:
        await conn.close()


def test_the_cluster_files_are_private(settings: Settings) -> None:
    data = postgres.pgdata(settings)
    assert data.stat().st_mode & 0o077 == 0
    assert (data / "pg_hba.conf").stat().st_mode & 0o077 == 0
