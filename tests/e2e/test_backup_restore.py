"""Backup → wipe → restore → rebuild gives the same views; a damaged backup, or one over a system that holds
data, is refused and changes nothing; a restore forgets again whoever was erased after its backup (docs/backup.md)."""

from __future__ import annotations

import json
import secrets
import shutil
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from infra import postgres, supervisor
from infra.processes import app_processes
from services import system as composition
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings, secrets_dir
from tests.e2e.conftest import branch_body, eventually, member_body
from tests.e2e.secondment_steps import get, lead_body, post, second_a_cadre, signed_lead
from tests.e2e.test_erasure import ADMIN, read_personal_data

PASSPHRASE = secrets.token_urlsafe(32)


async def _records(gateway: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """Members, a transfer, dues, a secondment and a lead whose funds the policy credits to it."""
    home = (await post(gateway, "/v1/branches", branch_body(), admin))["id"]
    host = (await post(gateway, "/v1/branches", branch_body(), admin))["id"]
    member = (await post(gateway, "/v1/members", member_body(home), admin))["id"]
    mover = (await post(gateway, "/v1/members", member_body(home, name="Zhang Min"), admin))["id"]
    today = str(county_today())
    await post(gateway, f"/v1/members/{member}/dues/account",
               {"org_id": home, "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"}, admin)
    await post(gateway, f"/v1/members/{member}/dues/payments",
               {"months": ["2026-01", "2026-02"], "amount": "80.00", "paid_on": today, "branch_consent": True}, admin)
    transfer = (await post(gateway, f"/v1/members/{mover}/transfers", {"to_org_id": host, "reason": "new job"},
                           admin))["id"]
    await post(gateway, f"/v1/members/{mover}/transfers/{transfer}/approval",
               {"letter_number": f"B-{mover[-6:]}", "channel": "paper", "issued_on": today,
                "dues_paid_up_to": "2026-02"}, admin)
    cadre = await second_a_cadre(gateway, admin)
    lead = await signed_lead(gateway, admin, lead_body(cadre.township_id, registrant_kind="cadre",
                                                       registrant_id=cadre.cadre_id, registrant_name="Chen Gang"))
    for n, amount in ((1, "700000"), (2, "400000")):
        await post(gateway, f"/v1/leads/{lead}/funds",
                   {"amount": amount, "arrived_on": f"2024-08-0{n}", "reference": f"R-{n}"}, admin)
    return {"home": home, "member": member, "mover": mover, "secondment": cadre.secondment_id, "lead": lead}


async def _views(gateway: httpx.AsyncClient, admin: dict[str, str], ids: dict[str, str]) -> dict[str, Any]:
    paths = [f"/v1/members/{ids['member']}", f"/v1/members/{ids['mover']}", f"/v1/branches/{ids['home']}",
             f"/v1/members/{ids['member']}/dues?year=2026", f"/v1/organisations/{ids['home']}/dues/ledger?year=2026",
             f"/v1/transfers?org_id={ids['home']}", f"/v1/secondments/{ids['secondment']}", f"/v1/leads/{ids['lead']}",
             "/v1/reports/lead-pipeline", f"/v1/audit/streams/{ids['member']}", "/v1/audit/keys"]
    views = {}
    for path in paths:
        where, _, query = path.partition("?")
        views[path] = await get(gateway, where, admin, **dict(q.split("=") for q in query.split("&") if q))
    return views


async def _quiet(settings: Settings, read_db: asyncpg.Pool, secondment: str) -> None:
    """Wait until every event is on Kafka, in the read models and in the audit log, with a head signed over it,
    and the funds-credit policy has credited the lead's funds: nothing more is written after the backup."""
    pools = {s: await asyncpg.create_pool(settings.dsn(s), min_size=1, max_size=1) for s in composition.names()}

    async def settled() -> bool:
        log = pools["auditlog"]
        for name, pool in pools.items():
            if await pool.fetchval("SELECT count(*) FROM outbox"):
                return False
            stored = [r["event_id"] for r in await pool.fetch("SELECT event_id FROM events")]
            source = composition.service(name).registry.source
            applied = await read_db.fetchval("SELECT count(*) FROM applied_events WHERE source = $1", source)
            if applied != len(stored):
                return False
            # Every stored event in the log. Not "as many entries as events": the session's log audits
            # (test_audit_log.py) leave records forged on Kafka in the log for good.
            if name != "auditlog" and await log.fetchval(
                    "SELECT count(*) FROM log_entries WHERE source = $1 AND event_id = ANY($2::uuid[])",
                    source, stored) != len(stored):
                return False
        head = await log.fetchval("SELECT (data::jsonb ->> 'size')::bigint FROM events ORDER BY position DESC LIMIT 1")
        credited = await pools["secondment"].fetchval(
            "SELECT count(*) = 3 FROM events WHERE stream_id = $1 AND type IN"
            " ('gb.secondment.contribution_recorded.v1', 'gb.secondment.commendation_proposed.v1')", secondment)
        return bool(credited) and head == await log.fetchval("SELECT count(*) FROM log_entries")

    try:
        await eventually(settled, timeout=120, what="every event published, projected, logged and signed")
    finally:
        for pool in pools.values():
            await pool.close()


async def _events(settings: Settings) -> dict[str, int]:
    counts = {}
    for name in composition.names():
        conn = await asyncpg.connect(settings.dsn(name))
        counts[name] = await conn.fetchval("SELECT count(*) FROM events")
        await conn.close()
    return counts


def _operate(settings: Settings, *args: str, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    env = supervisor.child_env(settings, {"GB_BACKUP_PASSPHRASE": passphrase or ""})
    return subprocess.run([sys.executable, "-m", "infra.operate", *args], env=env, capture_output=True, text=True,
                          timeout=900)


def _audit(settings: Settings, public_key: str, state: Path) -> subprocess.CompletedProcess[str]:
    """The independent verifier (``./gb verify``) pinned to the key, keeping the head it trusts in ``state``."""
    return subprocess.run([sys.executable, "-m", "auditor", "--public-key", public_key, "--state", str(state), "verify",
                           "--url", f"http://127.0.0.1:{settings.gateway_port}", "--token", settings.admin_token],
                          capture_output=True, text=True, timeout=600)


def _key_files(settings: Settings) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in secrets_dir(settings).rglob("*") if p.is_file() and not p.name.startswith(".")}


async def test_a_restore_and_rebuild_give_the_same_views_and_a_damaged_backup_changes_nothing(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
    membership_db: asyncpg.Pool, secondment_db: asyncpg.Pool, investment_db: asyncpg.Pool, tmp_path: Path,
) -> None:
    ids = await _records(gateway, admin_headers)
    await _quiet(system, read_db, ids["secondment"])
    before = await _views(gateway, admin_headers, ids)
    assert before[f"/v1/members/{ids['member']}"]["national_id"], "the county sees the sealed ID number opened"
    assert before[f"/v1/secondments/{ids['secondment']}"]["contributions"], "the policy credited the funds"
    keys = _key_files(system)
    public_key = before["/v1/audit/keys"]["public_key"]
    audited = _audit(system, public_key, tmp_path / "auditor")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert any(p.name == "auditlog-signing-key.pem" for p in keys) and any(p.parent.name == "kafka" for p in keys)

    taken = _operate(system, "backup", "--to", str(tmp_path / "backups"))
    assert taken.returncode == 0, taken.stderr[-3000:]
    folder = Path(taken.stdout.strip().splitlines()[-1])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"manifest.json", "SHA256SUMS", "README.txt", "keys.sealed",
                                       "gb_membership.dump", "gb_gateway.dump", "gb_auditlog.dump"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert all(b"PRIVATE KEY" not in p.read_bytes() for p in files), "the signing key is sealed, never in clear"
    assert "CONFIDENTIAL" in (folder / "README.txt").read_text()
    counts = await _events(system)

    # Refusals: each says why, and the running system keeps its data, its keys and its processes.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    dump = damaged / "stores" / "gb_membership.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    refusals = [
        (_operate(system, "restore", str(damaged), "--force"), "stores/gb_membership.dump does not match"),
        (_operate(system, "restore", str(folder), "--force", passphrase=None), "set GB_BACKUP_PASSPHRASE"),
        (_operate(system, "restore", str(folder)), "holds"),
    ]
    for refused, why in refusals:
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert why in refused.stderr and "nothing was changed" in refused.stderr.lower(), refused.stderr[-3000:]
    assert await _events(system) == counts
    assert _key_files(system) == keys
    assert all(supervisor.app_pid(system, p.name) for p in app_processes(system))
    assert await _views(gateway, admin_headers, ids) == before

    # The loss: every process stopped, every store and the read models dropped, the keys gone.
    for process in reversed(app_processes(system)):
        supervisor.stop_app(system, process.name)
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        for database in postgres.database_names(system).values():
            await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    # The session's pools (later tests use them) reconnect to the restored databases.
    for pool in (read_db, membership_db, secondment_db, investment_db):
        await pool.expire_connections()
    for path in keys:
        path.unlink()

    restored = _operate(system, "restore", str(folder))
    assert restored.returncode == 0, restored.stderr[-5000:]
    # The read models come from Kafka again, not from the dump: the rebuild made them after the backup.
    built = await read_db.fetchval("SELECT min(built_at) FROM projection_schema")
    assert built > datetime.fromisoformat(json.loads((folder / "manifest.json").read_text())["created_at"])
    assert _key_files(system) == keys
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys)
    assert await _events(system) == counts
    for process in app_processes(system):
        supervisor.start_app(process, system)
    assert await _views(gateway, admin_headers, ids) == before
    # An auditor who trusted a tree head before the loss finds the restored log consistent with it, signed with
    # the same key, and every store's hash chains whole.
    audited = _audit(system, public_key, tmp_path / "auditor")
    assert audited.returncode == 0, audited.stdout + audited.stderr


async def _keys_of(membership_db: asyncpg.Pool, persons: list[str]) -> dict[str, tuple[bool, bool, int]]:
    """Per person: whether a key row exists, whether its key is destroyed, how many ID numbers it holds reserved."""
    rows = await membership_db.fetch(
        "SELECT p.person_id, k.person_id IS NOT NULL AS has_row, k.wrapped_key IS NULL AS destroyed,"
        " (SELECT count(*) FROM reservations r WHERE r.holder = p.person_id AND r.key LIKE 'national-id:%') AS ids"
        " FROM unnest($1::text[]) AS p(person_id) LEFT JOIN person_keys k ON k.person_id = p.person_id", persons)
    return {r["person_id"]: (r["has_row"], r["destroyed"], r["ids"]) for r in rows}


@pytest.mark.leaves_evidence
async def test_a_restore_forgets_again_whoever_was_erased_after_its_backup(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
    membership_db: asyncpg.Pool, secondment_db: asyncpg.Pool, investment_db: asyncpg.Pool, tmp_path: Path,
) -> None:
    """The backup holds the key of a person erased after it; restored, the erasure on Kafka destroys it again, before
    any process or the rebuild reads the store. Forced past the events Kafka holds from after the backup, the restore
    leaves the audit log holding events the restored stores lack (the auditor would name them): this test runs
    last."""
    branch = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    kept = (await post(gateway, "/v1/members", member_body(branch, name="Liu Yang"), admin_headers))["id"]
    erased = (await post(gateway, "/v1/members", member_body(branch, name="Wang Fang"), admin_headers))["id"]
    kept_number = (await read_personal_data(system, gateway, kept, ADMIN)).json()["national_id"]
    taken = _operate(system, "backup", "--to", str(tmp_path / "backups"))
    assert taken.returncode == 0, taken.stderr[-3000:]
    folder = Path(taken.stdout.strip().splitlines()[-1])

    # After the backup: a person whose key the backup holds is erased, and one it never held a key of is
    # registered and erased.
    newcomer = (await post(gateway, "/v1/members", member_body(branch, name="Zhao Lei"), admin_headers))["id"]
    for person in (erased, newcomer):
        await post(gateway, f"/v1/members/{person}/erasure", {"reason": "the person's request under PIPL"},
                   admin_headers)
    assert (await read_personal_data(system, gateway, erased, ADMIN)).status_code == 410
    await eventually(lambda: membership_db.fetchval("SELECT count(*) = 0 FROM outbox"), what="the erasures on Kafka")

    refused = _operate(system, "restore", str(folder))
    assert refused.returncode == 2 and "recorded after this backup" in refused.stderr, refused.stderr[-3000:]
    for process in reversed(app_processes(system)):
        supervisor.stop_app(system, process.name)
    restored = _operate(system, "restore", str(folder), "--force")
    for pool in (read_db, membership_db, secondment_db, investment_db):
        await pool.expire_connections()
    assert restored.returncode == 0, restored.stderr[-5000:]

    # The store as the restore left it, before any process ran on it: the erased person's key destroyed and their ID
    # number released, a tombstone for the newcomer (no key is ever made for them), the others untouched.
    assert await _keys_of(membership_db, [kept, erased, newcomer]) == {
        kept: (True, False, 1), erased: (True, True, 0), newcomer: (True, True, 0)}
    for process in app_processes(system):
        supervisor.start_app(process, system)

    async def answered(person: str) -> httpx.Response | None:
        answer = await read_personal_data(system, gateway, person, ADMIN)
        return answer if answer.status_code in (200, 410) else None

    gone = await eventually(lambda: answered(erased), what="membership answering after the restore")
    assert gone is not None and gone.status_code == 410, gone and gone.text
    still = await answered(kept)
    assert still is not None and still.json()["national_id"] == kept_number, "only the erased are forgotten"
    # Forgotten before the rebuild read anything; the persons are named, their numbers never.
    said = restored.stderr
    assert "re-applied 2 erasures recorded after the backup" in said, said[-5000:]
    assert said.index("re-applied 2 erasures") < said.index("rebuild of projection"), said[-5000:]
    assert erased in said and newcomer in said and kept_number not in said
