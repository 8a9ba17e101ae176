"""An ID number or a phone pasted into a record-id field: the gateway refuses it as what it is (422) before forwarding
it, and no process's log keeps it — the access lines of the gateway and of a service mask the path's long digit
runs however the number was written (plain, with an X, percent-encoded, full-width)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx

from infra import supervisor
from services import system as composition
from services.kernel import logs
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually, national_id

#: 17 digits and a check digit or X, or 11 digits: what no line of this test may keep.
LONG_NUMBER = re.compile(r"\d{17}[\dXx]|\d{11}")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


async def _lines_with(path: Path, correlations: set[str]) -> list[str] | None:
    """The messages of ``path``'s JSON lines that carry one of ``correlations``; None until each has one."""
    entries = (logs.parse(line) for line in path.read_text(errors="replace").splitlines())
    found = [e for e in entries if e is not None and e.get("correlation_id") in correlations]
    return [str(e.get("message")) for e in found] if {e["correlation_id"] for e in found} == correlations else None


async def test_an_id_number_as_a_record_id_is_refused_and_no_log_keeps_it(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    number = national_id()
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    with_x = number[:17] + "X"
    # Each path, the status it gets and what its problem's detail says.
    sent = {
        f"/v1/members/{number}": (422, "this looks like a national ID number"),
        f"/v1/members/{with_x}/personal-data": (422, "this looks like a national ID number"),
        f"/v1/members/{phone}/dues": (422, "this looks like a mobile phone number"),
        "/v1/members/" + "".join(f"%{ord(c):02X}" for c in number): (422, "this looks like a national ID number"),
        f"/v1/members/{number.translate(FULL_WIDTH)}": (422, "should match pattern"),  # not an id at all
        f"/v1/nowhere/{number}": (404, "Not Found"),  # no route: only the access log sees it
    }
    correlations: dict[str, set[str]] = {"gateway": set(), "membership": set()}
    for path, (status, says) in sent.items():
        correlation = str(uuid.uuid4())
        correlations["gateway"].add(correlation)
        answer = await gateway.get(path, headers={**admin_headers, "X-Correlation-Id": correlation})
        assert answer.status_code == status and says in answer.json()["detail"], (path, answer.text)

    # A service's own port, past the gateway (401 without its credential): its access line is masked too.
    async with httpx.AsyncClient(base_url=composition.service("membership").base_url(system).split(",")[0],
                                 timeout=30.0) as membership:
        correlation = str(uuid.uuid4())
        correlations["membership"].add(correlation)
        answer = await membership.get(f"/audit/streams/{number}", headers={"X-Correlation-Id": correlation})
        assert answer.status_code == 401, answer.text

    for process, expected in correlations.items():
        path = supervisor.log_file(system, process)
        lines = await eventually(lambda p=path, c=expected: _lines_with(p, c),
                                 what=f"{process}'s access lines of the requests")
        assert all(LONG_NUMBER.search(line) is None for line in lines), lines
        assert any("****" in line for line in lines), lines
    # Nor any other line of any process: the number in any of its forms is nowhere in the logs.
    for log_file in sorted(supervisor.log_dir(system).glob("*.log")):
        text = log_file.read_text(errors="replace")
        for form in (number, with_x, phone, number.translate(FULL_WIDTH)):
            assert form not in text, f"{form!r} is in {log_file.name}"
