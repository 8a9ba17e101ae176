"""Local infrastructure runner: PostgreSQL, Kafka, topics and the application processes.

Entry point: ``python -m infra.local <command>`` (or ``./gb``). Addresses and names come from
``services.kernel.settings`` and ``services.kernel.topics``; nothing here repeats them.
"""
