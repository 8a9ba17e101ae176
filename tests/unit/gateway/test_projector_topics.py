"""The projector names the topics and the read models' database from the contracts, without importing the system's
composition (services/gateway/projector.py): they must be those services.system has."""

from __future__ import annotations

from services import system
from services.gateway import projector


def test_the_projector_reads_the_topics_of_the_system_in_its_database() -> None:
    assert system.topics() == projector.TOPICS
    assert system.READ_MODEL_DATABASE == projector.READ_MODEL_DATABASE
