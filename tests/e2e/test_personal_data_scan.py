"""No personal data in clear outside membership's keys: every topic (read as the operator), every table of
every database and every log and Kafka segment file under the test data folder hold no national ID number
(GB 11643, valid check digit) and no mobile phone number.

The scan runs after data was loaded through the public API — members with distinctive phones, an outflow,
an application with an ID number, an inflow — and over whatever the other tests of the session loaded.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body, national_id, outflow_body

log = logging.getLogger(__name__)
_ALNUM = "0-9A-Za-z"
#: A Chinese mobile number, however written: 13812345678, 138 1234 5678, 138-1234-5678, +86 138…, 86-138….
#: Separators are spaces and dashes on one line (a number never runs across a line break).
PHONE = re.compile(rf"(?<![{_ALNUM}+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{{4}}[ -]?\d{{4}}(?![{_ALNUM}])")
#: 17 digits and a check digit (or X), standing alone; kept only when the check digit is right.
NATIONAL_ID = re.compile(rf"(?<![{_ALNUM}])\d{{17}}[\dXx](?![{_ALNUM}])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TEXT_TYPES = ("text", "json", "jsonb", "character varying", "character")


def is_national_id(candidate: str) -> bool:
    total = sum(int(d) * w for d, w in zip(candidate[:17], _WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == candidate[17].upper()


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r} in {self.where}"


def findings_in(text: str, where: str, also: Iterable[str] = ()) -> list[Finding]:
    """National ID numbers and phones in ``text``; ``also``: exact values (digits only) to look for besides."""
    found = [Finding(where, "national ID", m) for m in NATIONAL_ID.findall(text) if is_national_id(m)]
    found += [Finding(where, "phone", m) for m in PHONE.findall(text)]
    digits = re.sub(r"[ -]", "", text)
    found += [Finding(where, "known value", v) for v in also if v and v in digits]
    return found


async def scan_topics(settings: Settings, also: Iterable[str] = (), timeout: float = 60.0) -> tuple[int, list[Finding]]:
    """Every record (key, headers, value) of every topic, from the first offset to the end."""
    wanted = list(also)
    consumer = event_consumer(settings, f"gb-personal-data-scan-{uuid.uuid4().hex[:6]}",
                              isolation_level="read_uncommitted")
    await consumer.start()
    records, found = 0, []
    try:
        listed = await consumer.topics()
        topics = sorted(t for t in listed if not t.startswith("__"))
        assert topics, "the broker lists no topics: the scan would prove nothing"
        partitions = [tp for topic in topics for tp in await topic_partitions(consumer, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            assert time.monotonic() < deadline, "the topics were not read to their end in time"
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, batch in batches.items():
                for record in batch:
                    records += 1
                    headers = " ".join(f"{k}={v.decode('latin-1')}" for k, v in record.headers)
                    text = " ".join(((record.key or b"").decode("latin-1"), headers,
                                     (record.value or b"").decode("latin-1")))
                    found += findings_in(text, f"kafka {tp.topic}[{tp.partition}]@{record.offset}", wanted)
    finally:
        await consumer.stop()
    return records, found


async def scan_databases(settings: Settings, also: Iterable[str] = ()) -> tuple[int, list[Finding]]:
    """Every text and JSON column of every table of every Golden Bridge database (event stores, outboxes,
    idempotency records, directories, key tables and read models)."""
    wanted = list(also)
    admin = await asyncpg.connect(settings.admin_dsn)
    try:
        names = [r["datname"] for r in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'gb\\_%' ORDER BY datname")]
    finally:
        await admin.close()
    assert "gb_membership" in names, f"no membership database among {names}"
    rows, found = 0, []
    for name in names:
        conn = await asyncpg.connect(settings.dsn(name.removeprefix("gb_")))
        try:
            columns = await conn.fetch(
                "SELECT table_schema, table_name, array_agg(column_name::text ORDER BY ordinal_position) AS cols"
                " FROM information_schema.columns JOIN information_schema.tables USING (table_schema, table_name)"
                " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                " AND data_type = ANY($1::text[]) GROUP BY table_schema, table_name", list(TEXT_TYPES))
            for table in columns:
                joined = ", ".join(f'coalesce("{c}"::text, \'\')' for c in table["cols"])
                qualified = f'"{table["table_schema"]}"."{table["table_name"]}"'
                for row in await conn.fetch(f"SELECT concat_ws(chr(31), {joined}) AS t FROM {qualified}"):
                    rows += 1
                    found += findings_in(row["t"], f"{name}.{qualified}", wanted)
        finally:
            await conn.close()
    return rows, found


def scan_files(settings: Settings, also: Iterable[str] = ()) -> tuple[int, list[Finding]]:
    """Every log file of every process, and Kafka's own segment files (the topics at rest)."""
    wanted = list(also)
    logs, segments = settings.data_dir / "logs", settings.data_dir / "kafka" / "data"
    # Kafka's record batches are in its *.log segments (its indexes are preallocated and hold offsets only).
    files: list[Path] = sorted(p for p in logs.rglob("*") if p.is_file()) + sorted(segments.rglob("*.log"))
    found = [f for path in files for f in findings_in(path.read_bytes().decode("latin-1"), str(path), wanted)]
    return len(files), found


async def scan_everything(settings: Settings, also: Iterable[str] = ()) -> list[Finding]:
    wanted = list(also)
    started = time.monotonic()
    records, on_kafka = await scan_topics(settings, wanted)
    kafka_done = time.monotonic()
    rows, in_tables = await scan_databases(settings, wanted)
    tables_done = time.monotonic()
    files, in_files = scan_files(settings, wanted)
    log.info("scanned %d Kafka records (%.1f s), %d rows (%.1f s), %d files (%.1f s)", records,
             kafka_done - started, rows, tables_done - kafka_done, files, time.monotonic() - tables_done)
    assert records and rows and files, f"nothing scanned ({records} records, {rows} rows, {files} files)"
    return on_kafka + in_tables + in_files


def distinctive_phone() -> str:
    """A phone nobody else in the suite uses, written the way people write them."""
    digits = f"1{random.choice('3456789')}{random.randrange(10**9):09d}"
    return random.choice([f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}", digits, f"{digits[:3]}-{digits[3:7]}-"
                                                                                   f"{digits[7:]}"])


def digits_of(value: str) -> str:
    return re.sub(r"\D", "", value).removeprefix("86") if value.startswith("+") else re.sub(r"\D", "", value)


async def test_no_national_id_or_phone_is_in_clear_on_kafka_in_any_table_or_in_any_log(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool
) -> None:
    branch = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert branch.status_code == 201, branch.text
    branch_id = branch.json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch_id)
    numbers, phones, last = [], [], 0
    for n in range(3):
        number, phone = national_id(), distinctive_phone()
        body = member_body(branch_id, name=f"Scan Member {n}", national_id=number,
                           contact={"phone": phone, "address": "Longhua Road 8, Shenzhen", "wechat": f"wx-scan-{n}"})
        member = await gateway.post("/v1/members", json=body, headers=secretary)
        assert member.status_code == 201, member.text
        away_phone = distinctive_phone()
        out = await gateway.post(f"/v1/members/{member.json()['id']}/outflows", headers=secretary,
                                 json=outflow_body(contact={"phone": away_phone}))
        assert out.status_code == 201, out.text
        numbers.append(number)
        phones += [phone, away_phone]
        last = out.json()["position"]
    applicant_number, applicant_phone = national_id(), distinctive_phone()
    applied = await gateway.post("/v1/development/cases", headers=secretary, json={
        "name": "Scan Applicant", "birth_date": f"{applicant_number[6:10]}-{applicant_number[10:12]}-"
                                                f"{applicant_number[12:14]}",
        "national_id": applicant_number, "contact": {"phone": applicant_phone}, "org_id": branch_id,
        "route": "residence", "applied_on": "2026-01-10"})
    assert applied.status_code == 201, applied.text
    inflow_number, inflow_phone = national_id(), distinctive_phone()
    inflow = await gateway.post("/v1/inflows", headers=admin_headers, json={
        "name": "Scan Arrival", "national_id": inflow_number, "status": "full", "dues_category": "wage_earner",
        "contact": {"phone": inflow_phone}, "host_org_id": branch_id,
        "home_org": {"org_id": f"ext-{uuid.uuid4().hex[:6]}", "name": "Hometown Committee", "address": "Xinyi"},
        "arrived_on": "2026-09-01", "certificate_number": f"C-{uuid.uuid4().hex[:6]}",
        "certificate_issued_on": "2026-08-01", "certificate_valid_until": "2027-08-01",
        "certificate_issuer": "Hometown Committee"})
    assert inflow.status_code == 201, inflow.text
    numbers += [applicant_number, inflow_number]
    phones += [applicant_phone, inflow_phone]
    last = max(last, applied.json()["position"], inflow.json()["position"])

    # Everything has reached the read models (and so Kafka) before the scan.
    await eventually(lambda: read_db.fetchval(
        "SELECT count(*) = 1 FROM members_view WHERE member_id = $1", inflow.json()["id"]), what="the inflow's view")
    seen = await gateway.get(f"/v1/members/{inflow.json()['id']}", params={"min_position": last},
                             headers=admin_headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["national_id"] == inflow_number[:3] + "*" * 14 + inflow_number[-1]
    shown_phone = seen.json()["contact"]["phone"]
    assert shown_phone.endswith(digits_of(inflow_phone)[-4:]) and sum(c.isdigit() for c in shown_phone) == 4

    found = await scan_everything(system, [*numbers, *(digits_of(p) for p in phones)])
    assert not found, f"{len(found)} personal values in clear, e.g.:\n" + "\n".join(map(str, found[:20]))
