"""The partner router's consumer fetches unhurried (services/partners/router_transport.py): faust builds its aiokafka
consumer with the broker answering at the first record, and most of the router's CPU under load was those fetches.
Checked on the consumer faust itself makes for the router's app, started against the real Kafka of ``./gb test``:
the values must reach the fetcher aiokafka starts, which is what sends the fetch requests."""

from __future__ import annotations

from services.kernel.kafka import UNHURRIED
from services.kernel.settings import Settings
from services.partners.router import Options, create_app
from services.partners.router_transport import RouterTransport


async def test_the_routers_consumer_fetches_as_unhurried_says(settings: Settings) -> None:
    app = create_app(settings, Options(public_base_url="http://127.0.0.1:1"))
    assert isinstance(app.transport, RouterTransport)
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # what faust starts for the agent
    await consumer.start()
    try:
        fetcher = consumer._fetcher
        assert (fetcher._fetch_min_bytes, fetcher._fetch_max_wait_ms) == (
            UNHURRIED["fetch_min_bytes"], UNHURRIED["fetch_max_wait_ms"])
    finally:
        await consumer.stop()
