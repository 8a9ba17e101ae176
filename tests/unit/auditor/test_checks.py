"""The verifier's checks on a history built in memory: intact passes; each attack is named."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from auditor.checks import (
    CLOCK_SKEW_MS,
    LOG_LAG_MS,
    SignedHead,
    check_against_trusted,
    check_chains,
    check_fresh,
    check_head,
    check_inclusion,
    check_log,
    check_unlogged,
    load_public_key,
    unlogged_key,
)
from services.auditlog.contract.entry import entry_bytes, entry_hash
from services.kernel import merkle, tree_head
from services.kernel.events import Envelope, chain_hash, encode

SOURCE = "/golden-bridge/membership"
KEY = tree_head.generate_private_key()
LOG_ID = tree_head.log_id_for(KEY.public_key())
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _history(streams: int = 3, versions: int = 3) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    position = 0
    for s in range(streams):
        prev: bytes | None = None
        for v in range(1, versions + 1):
            position += 1
            event_id = uuid.uuid4()
            data = encode({"member_id": f"m{s}", "note": f"fact {v}", "amount": "12.50"})
            time = T0 + timedelta(minutes=position)
            link = chain_hash(prev, event_id=event_id, stream_id=f"m{s}", version=v, type="gb.membership.x.v1",
                              time=time, actor="county_admin:a", data=data)
            envelope = Envelope(id=event_id, source=SOURCE, type="gb.membership.x.v1", time=time, subject=f"m{s}",
                                stream_id=f"m{s}", stream_type="member", stream_version=v, actor="county_admin:a",
                                correlation_id="c", causation_id=None, data=data, prev_hash=prev, hash=link,
                                position=position, recorded_at=time + timedelta(seconds=1))
            events.append(envelope.cloudevent())
            prev = link
    return events


def _entries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": i, "source": e["source"], "event_id": e["id"], "stream_id": e["streamid"],
             "stream_version": int(e["streamversion"]), "leaf_hash": entry_hash(e).hex()} for i, e in enumerate(events)]


def _head(leaves: list[bytes], timestamp_ms: int = 1) -> SignedHead:
    head = tree_head.TreeHead(size=len(leaves), root_hash=merkle.root(leaves), timestamp_ms=timestamp_ms, log_id=LOG_ID)
    return SignedHead(size=head.size, root_hash=head.root_hash, timestamp_ms=head.timestamp_ms, log_id=LOG_ID,
                      signature=tree_head.sign(KEY, head))


def _by_key(events: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["source"], e["id"]): e for e in events}


@pytest.fixture
def history() -> tuple[list[dict[str, Any]], list[dict[str, Any]], SignedHead]:
    events = _history()
    entries = _entries(events)
    return events, entries, _head([bytes.fromhex(e["leaf_hash"]) for e in entries])


def test_an_intact_history_passes_every_check(history: Any) -> None:
    events, entries, head = history
    assert check_head(head, KEY.public_key()) == []
    assert check_log(head, entries, _by_key(events)) == []
    assert check_chains(events) == []


def test_the_entry_commits_to_every_attribute_but_not_to_the_proof_an_export_adds(history: Any) -> None:
    event = history[0][0]
    for attribute in ("position", "recordedat", "actor", "correlationid", "time", "streamversion"):
        assert entry_bytes({**event, attribute: "0"}) != entry_bytes(event), attribute
    assert entry_bytes({**event, "data": {**event["data"], "note": "other"}}) != entry_bytes(event)
    assert entry_bytes({**event, "logindex": 3, "logtreesize": 9, "logproof": "ab"}) == entry_bytes(event)


def test_a_flipped_byte_is_named_by_the_log_and_by_the_chain(history: Any) -> None:
    events, entries, head = history
    target = events[4]
    target["data"]["note"] = "fact 3"[:-1] + "x"
    problems = check_log(head, entries, _by_key(events)) + check_chains(events)
    assert any(target["id"] in p and "not what was logged" in p for p in problems)
    assert any("content does not match its chain hash" in p and target["id"] in p for p in problems)


def test_a_deleted_event_and_a_deleted_record_are_named(history: Any) -> None:
    events, entries, head = history
    gone = events.pop(4)
    problems = check_log(head, entries, _by_key(events))
    assert any(gone["id"] in p and "not in the store" in p for p in problems)
    assert any("version 2 is missing" in p for p in check_chains(events))
    record = [e for e in events if e["streamid"] == "m2"]
    remaining = [e for e in events if e["streamid"] != "m2"]
    problems = check_log(head, entries, _by_key(remaining))
    assert any(f"record m2 of {SOURCE} is gone" in p and "3 logged event(s)" in p for p in problems)
    assert record


def test_a_record_rewritten_with_recomputed_hashes_passes_its_chain_but_not_the_log(history: Any) -> None:
    events, entries, head = history
    prev: bytes | None = None
    for event in [e for e in events if e["streamid"] == "m1"]:
        event["data"] = {**event["data"], "note": "forged"}
        link = chain_hash(prev, event_id=uuid.UUID(event["id"]), stream_id="m1", version=int(event["streamversion"]),
                          type=event["type"], time=datetime.fromisoformat(event["time"]), actor=event["actor"],
                          data=orjson.dumps(event["data"]))
        event["prevhash"] = prev.hex() if prev else None
        if prev is None:
            del event["prevhash"]
        event["chainhash"] = link.hex()
        prev = link
    assert check_chains(events) == []
    problems = check_log(head, entries, _by_key(events))
    assert sum("not what was logged" in p for p in problems) == 3


def test_two_swapped_events_break_the_chain_and_the_log(history: Any) -> None:
    events, entries, head = history
    first, second = events[0], events[1]
    first["streamversion"], second["streamversion"] = second["streamversion"], first["streamversion"]
    problems = check_log(head, entries, _by_key(events)) + check_chains(events)
    assert any(first["id"] in p for p in problems) and any(second["id"] in p for p in problems)


def test_served_leaves_that_do_not_add_up_to_the_signed_root_are_caught(history: Any) -> None:
    events, entries, head = history
    # A server that also rewrote the log's leaf to match a tampered event: the signed root still catches it.
    events[0]["data"]["note"] = "forged"
    entries[0]["leaf_hash"] = entry_hash(events[0]).hex()
    problems = check_log(head, entries, _by_key(events))
    assert problems == [f"the entries the log served do not add up to the root of the {head.describe()}"]


def test_heads_forks_shrinks_and_rewritten_pasts() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(10)]
    old, new = _head(leaves[:6]), _head(leaves)
    proof = merkle.consistency_proof(6, 10, leaves)
    assert check_against_trusted(old, new, proof) == []
    assert check_against_trusted(None, new, None) == []
    other = _head([merkle.leaf_hash(b"x"), *leaves[1:6]], timestamp_ms=2)
    assert any("fork" in p for p in check_against_trusted(old, other, None))
    assert any("fork" in p for p in check_against_trusted(old, new, proof, [other]))
    assert any("shrank" in p for p in check_against_trusted(new, old, None))
    rewritten = _head([merkle.leaf_hash(b"x"), *leaves[1:]])
    assert any("not consistent" in p for p in check_against_trusted(old, rewritten, proof))


def test_a_head_signed_by_another_key_or_altered_is_refused() -> None:
    head = _head([merkle.leaf_hash(b"a")])
    assert check_head(head, KEY.public_key()) == []
    assert check_head(head, tree_head.generate_private_key().public_key())
    altered = SignedHead(size=head.size + 1, root_hash=head.root_hash, timestamp_ms=head.timestamp_ms,
                         log_id=head.log_id, signature=head.signature)
    assert check_head(altered, KEY.public_key())


def test_an_exported_event_is_checked_against_its_proof(history: Any) -> None:
    events, entries, head = history
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in entries]
    exported = {**events[3], "logindex": 3, "logtreesize": head.size,
                "logproof": " ".join(p.hex() for p in merkle.inclusion_proof(3, head.size, leaves))}
    assert check_inclusion(head, exported) == []
    assert check_inclusion(head, {**exported, "logindex": 4})
    assert check_inclusion(head, {**exported, "data": {"note": "forged"}})
    assert check_inclusion(head, {k: v for k, v in exported.items() if k != "logproof"})


def test_a_pinned_key_reads_as_base64_or_pem() -> None:
    public = KEY.public_key()
    assert load_public_key(tree_head.public_key_to_b64(public)) == public
    assert load_public_key(tree_head.public_key_to_pem(public).decode()) == public
    with pytest.raises(ValueError):
        load_public_key("not a key")


def test_the_cli_says_it_cannot_verify_a_file_that_is_not_an_export(tmp_path: Any) -> None:
    from auditor.__main__ import main

    key = tree_head.public_key_to_b64(KEY.public_key())
    for content in (b"not json", b"[]", b'[{"type": "gb.auditlog.tree_head_signed.v1", "data": {"size": "x"}}]'):
        path = tmp_path / "export.json"
        path.write_bytes(content)
        assert main(["--public-key", key, "--state", str(tmp_path / "s"), "verify-export", str(path)]) == 2


def test_the_cli_verifies_an_export_and_names_a_changed_event(tmp_path: Any, history: Any) -> None:
    from auditor.__main__ import main

    events, entries, head = history
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in entries]
    batch: list[dict[str, Any]] = [{"type": "gb.auditlog.tree_head_signed.v1", "data": head.to_json()}]
    batch += [{**e, "logindex": i, "logtreesize": head.size,
               "logproof": " ".join(p.hex() for p in merkle.inclusion_proof(i, head.size, leaves))}
              for i, e in enumerate(events)]
    key = tree_head.public_key_to_b64(KEY.public_key())
    path = tmp_path / "export.json"
    path.write_bytes(orjson.dumps(batch))
    assert main(["--public-key", key, "--state", str(tmp_path / "s"), "verify-export", str(path)]) == 0
    batch[2]["data"] = {**batch[2]["data"], "amount": "99.00"}
    path.write_bytes(orjson.dumps(batch))
    assert main(["--public-key", key, "--state", str(tmp_path / "s"), "verify-export", str(path)]) == 1


# -- events stored without being logged (review of 2026-12-02, defect 1) ---------------------------------------------


def _logged_without(events: list[dict[str, Any]], *left_out: int) -> tuple[list[dict[str, Any]], SignedHead]:
    """The log of ``events`` but the ones at ``left_out``, and its head, signed an hour after the history."""
    entries = _entries([e for i, e in enumerate(events) if i not in left_out])
    return entries, _head([bytes.fromhex(e["leaf_hash"]) for e in entries], timestamp_ms=_ms(T0 + timedelta(hours=1)))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


NOW = _ms(T0 + timedelta(hours=1, seconds=5))


def test_a_stored_event_never_logged_that_a_logged_later_version_chains_onto_is_named() -> None:
    events = _history()
    forged = events[4]  # m1 v2: in the store, its chain whole, never logged; m1 v3 (logged) links to it
    entries, head = _logged_without(events, 4)
    assert check_log(head, entries, _by_key(events)) == [] and check_chains(events) == []
    problems, remembered = check_unlogged(head, entries, _by_key(events), seen={}, now_ms=NOW,
                                          lag_ms=10**12)  # its recorded time alone would not tell
    assert len(problems) == 1
    assert forged["id"] in problems[0] and "a later version of its record is" in problems[0]
    assert f"event {events[5]['id']}" in problems[0]
    assert remembered == {unlogged_key(forged): NOW}


def test_an_unlogged_event_recorded_longer_than_the_logs_lag_before_the_head_is_named() -> None:
    events = _history()
    last = events[8]  # m2 v3: no later version names it
    entries, head = _logged_without(events, 8)
    problems, _ = check_unlogged(head, entries, _by_key(events), seen={}, now_ms=NOW, lag_ms=LOG_LAG_MS)
    assert len(problems) == 1 and last["id"] in problems[0] and "recorded at" in problems[0]
    # Recorded within the lag before the head, it is newer than the log as far as anyone can tell: not named.
    recent = {**last, "recordedat": (T0 + timedelta(hours=1, seconds=-3)).isoformat()}
    problems, remembered = check_unlogged(head, entries, _by_key([*events[:8], recent]), seen={}, now_ms=NOW)
    assert problems == [] and remembered == {unlogged_key(recent): NOW}


def test_an_unlogged_event_is_named_once_the_auditor_has_seen_it_unlogged_for_longer_than_the_lag() -> None:
    events = _history()
    # Dated as if it had just been stored: its recorded time (the server's word) does not give it away.
    late = {**events[8], "recordedat": (T0 + timedelta(hours=1, seconds=2)).isoformat()}
    entries, head = _logged_without(events, 8)
    history = _by_key([*events[:8], late])
    key = unlogged_key(late)
    assert check_unlogged(head, entries, history, seen={key: NOW - 1000}, now_ms=NOW)[0] == []
    problems, remembered = check_unlogged(head, entries, history, seen={key: NOW - LOG_LAG_MS - 1}, now_ms=NOW)
    assert len(problems) == 1 and late["id"] in problems[0] and "still not in the log" in problems[0]
    assert remembered == {key: NOW - LOG_LAG_MS - 1}  # first found then, and still remembered
    # Logged by the next head, it is forgotten.
    assert check_unlogged(head, _entries(events), _by_key(events), seen={key: 0}, now_ms=NOW) == ([], {})


def test_an_unlogged_event_given_a_new_id_and_time_before_each_run_is_still_remembered() -> None:
    # Whoever writes the store can re-id the newest event of a record and date it now before every run (its chain
    # hash has no key); its place in the record stays, and that is what the auditor remembers.
    events = _history()
    entries, head = _logged_without(events, 8)
    first = {**events[8], "recordedat": (T0 + timedelta(hours=1, seconds=2)).isoformat()}
    _, remembered = check_unlogged(head, entries, _by_key([*events[:8], first]), seen={}, now_ms=NOW - LOG_LAG_MS - 1)
    again = {**first, "id": str(uuid.uuid4()), "recordedat": (T0 + timedelta(hours=1, seconds=4)).isoformat()}
    problems, _ = check_unlogged(head, entries, _by_key([*events[:8], again]), seen=remembered, now_ms=NOW)
    assert len(problems) == 1 and again["id"] in problems[0] and "still not in the log" in problems[0]


def test_an_unlogged_event_dated_after_the_run_is_named() -> None:
    events = _history()
    future = {**events[8], "recordedat": (T0 + timedelta(days=3)).isoformat()}
    entries, head = _logged_without(events, 8)
    problems, _ = check_unlogged(head, entries, _by_key([*events[:8], future]), seen={}, now_ms=NOW)
    assert len(problems) == 1 and future["id"] in problems[0] and "false recorded time" in problems[0]


def test_a_version_logged_after_a_later_one_of_its_record_is_named() -> None:
    events = _history()
    # The forged m1 v2 put into the log after m1 v3: every event is logged, every chain whole, but out of order.
    order = [0, 1, 2, 3, 5, 4, 6, 7, 8]
    entries = _entries([events[i] for i in order])
    head = _head([bytes.fromhex(e["leaf_hash"]) for e in entries])
    problems = check_log(head, entries, _by_key(events))
    assert len(problems) == 1 and events[4]["id"] in problems[0] and "after a later version" in problems[0]


# -- a frozen tree head (defect 2) ----------------------------------------------------------------------------------


def test_a_head_signed_before_the_run_asked_for_a_fresh_one_is_stale() -> None:
    asked = NOW
    fresh = _head([merkle.leaf_hash(b"a")], timestamp_ms=asked + 40)
    assert check_fresh(fresh, asked_ms=asked, now_ms=asked + 50) == []
    within = _head([merkle.leaf_hash(b"a")], timestamp_ms=asked - CLOCK_SKEW_MS)  # the clocks may differ this much
    assert check_fresh(within, asked_ms=asked, now_ms=asked + 50) == []
    frozen = _head([merkle.leaf_hash(b"a")], timestamp_ms=asked - CLOCK_SKEW_MS - 1)
    problems = check_fresh(frozen, asked_ms=asked, now_ms=asked + 50)
    assert len(problems) == 1 and problems[0].startswith("stale tree head")
    assert check_fresh(frozen, asked_ms=None, now_ms=asked + 50) == []  # --no-fresh-head: the latest, as it is
    future = _head([merkle.leaf_hash(b"a")], timestamp_ms=asked + CLOCK_SKEW_MS + 1000)
    assert any("false time" in p for p in check_fresh(future, asked_ms=asked, now_ms=asked + 50))


# -- the empty tree trusted (defect 3) ------------------------------------------------------------------------------


def test_every_head_extends_a_trusted_empty_tree_without_a_proof() -> None:
    empty = _head([])
    assert empty.root_hash == hashlib.sha256(b"").digest()
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    assert check_against_trusted(empty, _head(leaves), None) == []
    assert check_against_trusted(empty, _head([], timestamp_ms=2), None) == []
    not_empty = SignedHead(size=0, root_hash=merkle.leaf_hash(b"x"), timestamp_ms=1, log_id=LOG_ID, signature=b"")
    assert any("empty tree" in p for p in check_against_trusted(not_empty, _head(leaves), None))


# -- exports with gaps (defect 4) -----------------------------------------------------------------------------------


def test_an_export_that_leaves_out_a_version_between_two_it_holds_is_never_intact(history: Any) -> None:
    events = history[0]
    record = [e for e in events if e["streamid"] == "m1"]
    assert check_chains(record, whole=False) == []
    assert check_chains(record[1:], whole=False) == []  # a time range may begin after version 1
    problems = check_chains([record[0], record[2]], whole=False)
    assert len(problems) == 1
    assert "version 2 is not in the export" in problems[0] and record[2]["id"] in problems[0]
    twice = {**record[1], "id": str(uuid.uuid4())}
    assert any("a second event as version 2" in p for p in check_chains([*record, twice], whole=False))


def test_the_cli_names_the_gap_in_an_export_of_one_record(tmp_path: Any, history: Any) -> None:
    from auditor.__main__ import main

    events, entries, head = history
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in entries]
    batch: list[dict[str, Any]] = [{"type": "gb.auditlog.tree_head_signed.v1", "data": head.to_json()}]
    batch += [{**e, "logindex": i, "logtreesize": head.size,
               "logproof": " ".join(p.hex() for p in merkle.inclusion_proof(i, head.size, leaves))}
              for i, e in enumerate(events) if e["streamid"] == "m1" and e["streamversion"] != "2"]
    path = tmp_path / "export.json"
    path.write_bytes(orjson.dumps(batch))
    key = tree_head.public_key_to_b64(KEY.public_key())
    assert main(["--public-key", key, "--state", str(tmp_path / "s"), "verify-export", str(path)]) == 1


# -- data_base64 (defect 5) -----------------------------------------------------------------------------------------


def test_an_event_carrying_data_base64_has_no_entry_and_is_refused(history: Any) -> None:
    events, entries, head = history
    with pytest.raises(ValueError, match="data_base64"):
        entry_bytes({**events[0], "data_base64": "AAAA"})
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in entries]
    exported = {**events[3], "logindex": 3, "logtreesize": head.size,
                "logproof": " ".join(p.hex() for p in merkle.inclusion_proof(3, head.size, leaves))}
    assert check_inclusion(head, exported) == []
    problems = check_inclusion(head, {**exported, "data_base64": base64.b64encode(b"other bytes").decode()})
    assert len(problems) == 1 and "data_base64" in problems[0]
    stored = [*events[:3], {**events[3], "data_base64": "AAAA"}, *events[4:]]
    assert any("data_base64" in p and events[3]["id"] in p for p in check_log(head, entries, _by_key(stored)))
