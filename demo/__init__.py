"""Demo data for ``./gb run``: a county's year 2026 of the Golden Bridge Project, loaded through the public API.

``python -m demo`` loads it into the running gateway (``GB_GATEWAY_PORT``, admin token ``GB_ADMIN_TOKEN``).
It is an ordinary client of the gateway: it imports no service internals, only the services' contracts
and the shared pure helpers, and every write is an HTTP command with an idempotency key derived from
the demo's own names, so loading twice changes nothing.

- ``demo.membership``: the county, five townships, 13 outstation branches, their members and development cases;
- ``demo.secondment``: the townships' units, cadres and a year of secondments (the 5 % target);
- ``demo.investment``: investment leads in every stage of the pipeline, credited to branches, members and cadres;
- ``demo.client``: the HTTP client they share.

Each module's docstring states the numbers the reports must show (tests/e2e/test_demo_*.py check them).
"""
