"""A restore whose erasures since the backup cannot be read from Kafka is refused before anything changes, even with
--force, until the operator names the persons erased since (infra/restore.py ``plan_restore``): otherwise the
restored store could open the ID number and phone of a person the county erased. On the real PostgreSQL and Kafka
of ``./gb test``."""

from __future__ import annotations

from pathlib import Path

from infra import backup
from infra.restore import plan_restore
from services.kernel.settings import Settings

#: A backup whose membership store ends far beyond anything Kafka holds: as after Kafka was lost too.
LOST = {"membership": {"topic": "gb.membership.events", "last_position": 10**15, "database": "gb_membership",
                       "events": 3}}
NO_KEYS: dict[str, dict[str, str]] = {"files": {}, "environment": {}}


def _backup(tmp_path: Path) -> backup.Backup:
    return backup.Backup(folder=tmp_path, manifest={}, stores=LOST)


def test_kafka_without_the_backups_erasures_refuses_the_restore_unless_the_persons_are_named(
    settings: Settings, tmp_path: Path
) -> None:
    refused = plan_restore(settings, _backup(tmp_path), NO_KEYS)
    assert len(refused.refusals) == 1
    assert "--erasures-from FILE" in refused.refusals[0] and "cannot be read from Kafka" in refused.refusals[0]
    named = plan_restore(settings, _backup(tmp_path), NO_KEYS, erasures_listed=True)
    assert named.refusals == []
    assert any("lost events or is new" in warning for warning in named.warnings)
