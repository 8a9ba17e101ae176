"""``python -m demo``: load the demo data into the running gateway, with progress on standard error."""

from __future__ import annotations

import asyncio
import logging
import sys

from demo.investment import load_results
from demo.membership import load
from demo.partners import load_partners
from demo.workers import load_migrant_services
from services.kernel.settings import load_settings

log = logging.getLogger("demo")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    base_url = f"http://127.0.0.1:{settings.gateway_port}"
    # Partners first: a subscription carries what is recorded from its creation on.
    partners = asyncio.run(load_partners(base_url, settings.admin_token))
    log.info("demo data ready: %d partner systems with a Kafka subscription each", partners)
    counts = asyncio.run(load(base_url, settings.admin_token))
    log.info("demo data ready: %(organisations)d township committees, %(branches)d branches, %(members)d members, "
             "%(outflows)d outflows, %(applications)d development cases, %(admissions)d admissions, "
             "%(dues_accounts)d dues accounts with %(dues_payments)d payments", counts)
    # The secondments and leads build on the branches and members just loaded.
    results = asyncio.run(load_results(base_url, settings.admin_token)).counts
    log.info("demo data ready: %(units)d township units, %(cadres)d cadres, %(departures)d secondments started, "
             "%(leads)d investment leads (%(landed)d landed)", results)
    services = asyncio.run(load_migrant_services(base_url, settings.admin_token))
    log.info("demo data ready: %(workers)d migrant workers on the register, %(cases)d service cases, "
             "%(groups)d labour-export group", services)


if __name__ == "__main__":
    main()
