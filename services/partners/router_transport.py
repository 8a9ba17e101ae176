"""The router's Kafka transport: faust's aiokafka transport, its consumer fetching unhurried.

faust builds its aiokafka consumer itself (``AIOKafkaConsumerThread._create_worker_consumer``) with
``fetch_max_wait_ms=1500`` and aiokafka's default ``fetch_min_bytes`` of 1, and no setting of faust reaches either:
the broker answers each fetch at the first record. Under the bench's load of about 120 commands a second that
was a fetch per event or two, and the fetches were the router's work: in py-spy, 52 % of its CPU was sending fetch
requests and 12 % handing their answers from faust's consumer thread to its event loop, 3 % routing (issue 14).

Nobody waits on the router event by event, so its consumer fetches as the other unhurried ones do
(``kafka.UNHURRIED``: the broker answers at 64 KiB or after 100 ms): a lone event reaches a partner at most that
much later. aiokafka keeps both values on the consumer under the names of its own arguments and
reads them when it starts its fetcher; they are set there before faust starts it
(tests/integration/partners/test_router_fetches.py checks the fetcher faust builds).
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

from services.kernel.kafka import UNHURRIED


class _UnhurriedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_min_bytes = UNHURRIED["fetch_min_bytes"]
        consumer._fetch_max_wait_ms = UNHURRIED["fetch_max_wait_ms"]
        return consumer


class _UnhurriedConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _UnhurriedConsumerThread(self, loop=self.loop, beacon=self.beacon)


class RouterTransport(faust_aiokafka.Transport):
    """faust's aiokafka transport whose consumer fetches as ``kafka.UNHURRIED`` says."""

    Consumer = _UnhurriedConsumer
