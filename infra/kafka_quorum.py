"""The local cluster's controller quorum: which node is its active controller (the fault tests kill that one).

Clients cannot tell: since KIP-590 a broker names a random live broker as "the controller" in its metadata.
Kafka's own ``kafka-metadata-quorum describe --status`` (org.apache.kafka.tools.MetadataQuorumCommand, in the
jars infra/kafka.py fetches) asks the quorum itself, through any broker, as the operator.
"""

from __future__ import annotations

import re
import subprocess

from infra import acls, kafka, secrets
from services.kernel.kafka import SASL_MECHANISM, SECURITY_PROTOCOL
from services.kernel.settings import Settings

#: The quorum's leader in ``describe --status`` output, e.g. "LeaderId:               2".
LEADER_ID = re.compile(r"^LeaderId:\s+(-?\d+)\s*$", re.MULTILINE)
#: The voters, e.g. "CurrentVoters:          [{"id": 1, ...}, {"id": 2, ...}]".
VOTER_ID = re.compile(r'"id":\s*(\d+)')


def describe_status(settings: Settings) -> str:
    """The output of ``kafka-metadata-quorum describe --status`` against the local cluster."""
    libs = kafka.ensure_jars()
    command = kafka.kafka_dir(settings) / "quorum-operator.properties"
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{acls.OPERATOR}" '
            f'password="{secrets.kafka_password(settings, acls.OPERATOR)}";')
    secrets.write_private(command, (f"security.protocol={SECURITY_PROTOCOL}\nsasl.mechanism={SASL_MECHANISM}\n"
                                    f"sasl.jaas.config={jaas}\n").encode())
    try:
        argv = [kafka._java(), "-Xmx128m", *kafka._jvm_logging(settings), "-cp", f"{libs}/*",
                "org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server", settings.bootstrap_servers,
                "--command-config", str(command), "describe", "--status"]
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    finally:
        command.unlink(missing_ok=True)
    if result.returncode != 0:
        raise kafka.KafkaError(f"kafka-metadata-quorum describe failed (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
    return result.stdout


def active_controller(settings: Settings) -> int:
    """The node id of the quorum's leader, the active controller."""
    status = describe_status(settings)
    found = LEADER_ID.search(status)
    if found is None or int(found.group(1)) < 0:
        raise kafka.KafkaError(f"the quorum names no leader:\n{status}")
    return int(found.group(1))


def voters(settings: Settings) -> set[int]:
    """The node ids of the quorum's voters."""
    line = next((ln for ln in describe_status(settings).splitlines() if ln.startswith("CurrentVoters:")), "")
    return {int(v) for v in VOTER_ID.findall(line)}
