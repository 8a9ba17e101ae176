"""Shared fixtures: settings of the test infrastructure that `./gb test` starts (real PostgreSQL and Kafka)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.kernel.settings import Settings, load_settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "leaves_evidence: the test leaves what the session's system can never forget (records forged on "
        "Kafka stay in the transparency log); it runs after every other test of the session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that leave permanent evidence run last, so that no later test (a backup's audit, say) finds a system
    that can no longer verify intact."""
    items.sort(key=lambda item: item.get_closest_marker("leaves_evidence") is not None)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


async def fresh_database(settings: Settings, name: str) -> str:
    """Drop and create gb_<name> on the test server; fail loudly when PostgreSQL is not there."""
    try:
        admin = await asyncpg.connect(settings.admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {settings.admin_dsn} ({exc}); run the tests with ./gb test")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "gb_{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "gb_{name}"')
    finally:
        await admin.close()
    return settings.dsn(name)


@pytest.fixture(scope="session")
async def kernel_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = await fresh_database(settings, "kernel_test")
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=20)
    yield pool
    await pool.close()
