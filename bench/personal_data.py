"""The cost of sealing personal data per registration, before and after, in one run (in process, no I/O).

Before: the handler's CPU work for a registration as it was — validate the ID number, decide, encode
the event with the number and contact in clear. After: the same plus what sealing adds — a data key
made and wrapped (AES key wrap) for the new person, the number and contact sealed (AES-256-GCM), the
number's keyed hash (HMAC-SHA256) for the index, and the masked forms. The database round trips
sealing adds (the key row and the index claim: two short statements on membership's own pool) are not
in these figures; the system benchmark (bench/system.py) sees them in commands/s.

    .venv/bin/python -m bench.personal_data [--n 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from services.kernel.events import encode
from services.membership import personal_data
from services.membership.contract.commands.members import RegisterMember
from services.membership.contract.events import REGISTRY, Contact, DuesCategory, MemberStatus
from services.membership.contract.events.members import MemberRegisteredV1
from services.membership.contract.events.personal import mask_national_id, masked_contact
from services.membership.domain import branches, members
from services.membership.domain.personal import Protected
from services.membership.domain.rules import birth_date_from_national_id
from services.pure.identity import Actor, Role

KEYS = personal_data.Keys.from_master(b"bench master key, thirty-two bytes or more")
ADMIN = Actor(subject="admin", role=Role.COUNTY_ADMIN)
NUMBER = "440305199005171230"
CONTACT = Contact(phone="+86 138 0013 8000", address="Longhua Road 8, Shenzhen", wechat="li-wei-88")
ORG = branches.Organisation(exists=True, org_id="b-1")


def _command(i: int) -> RegisterMember:
    return RegisterMember(actor=ADMIN, today=date(2026, 11, 24), member_id=f"m-{i}", name="Li Wei", national_id=NUMBER,
                          formal_org_id="b-1", status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
                          contact=CONTACT)


def in_clear(i: int) -> bytes:
    """Before: the v1 registration, personal data in clear."""
    cmd = _command(i)
    birth_date_from_national_id(cmd.national_id)
    event = MemberRegisteredV1(member_id=cmd.member_id, name=cmd.name, national_id=cmd.national_id.upper(),
                               formal_org_id=cmd.formal_org_id, status=cmd.status, dues_category=cmd.dues_category,
                               contact=cmd.contact, registered_on=cmd.today)
    return encode(event)


def sealed(i: int) -> bytes:
    """After: a new person's key made and wrapped, number and contact sealed, the keyed hash, then decide."""
    cmd = _command(i)
    number = cmd.national_id.upper()
    born = birth_date_from_national_id(number)
    key = personal_data.new_data_key()
    personal_data.wrap(KEYS, key)
    personal_data.national_id_hash(KEYS, number)
    envelope = personal_data.seal(key, key_id="k", person_id=cmd.member_id,
                                  record={"contact": asdict(cmd.contact), "national_id": number})
    personal = Protected(sealed=envelope, national_id_masked=mask_national_id(number),
                         contact_masked=masked_contact(cmd.contact), birth_date=born)
    [event] = members.register(members.INITIAL, cmd, formal_org=ORG, has_development_case=False, personal=personal)
    return REGISTRY.encode(event)


def _per_command_us(work: Callable[[int], Any], n: int, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean microseconds per call over ``n`` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(n):
            work(i)
        times.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(times)


def measure(n: int = 20_000) -> dict[str, float]:
    """Microseconds per registration in clear and sealed, and the difference (one run, same process)."""
    for work in (in_clear, sealed):  # warm up
        _per_command_us(work, min(n, 1000), rounds=1)
    before, after = _per_command_us(in_clear, n), _per_command_us(sealed, n)
    return {"in_clear_us": round(before, 1), "sealed_us": round(after, 1), "added_us": round(after - before, 1),
            "ratio": round(after / before, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="registrations per round")
    result = measure(parser.parse_args().n)
    print("Personal data sealing, per registration (CPU in process, median of 5 rounds):")
    print(f"  before (in clear)  {result['in_clear_us']:8.1f} µs")
    print(f"  after (sealed)     {result['sealed_us']:8.1f} µs")
    print(f"  added              {result['added_us']:8.1f} µs  (×{result['ratio']})")


if __name__ == "__main__":
    main()
