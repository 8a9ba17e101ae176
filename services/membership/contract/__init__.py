"""Membership's public contract: the only part of the service that anything outside it imports.

Its modules: ``commands`` and ``events`` (with their stable wire names), ``routes`` (path, roles,
scope and handler of each command), ``service`` (the ``SERVICE`` it hands the kernel) and ``values``
(value types and pure report functions others may use).
Everything else under services/membership/ is private to the service (tests/test_import_rules.py holds
that). This package's own module imports nothing, so the service's private modules may import its
commands and events without a cycle.
"""

#: The service's name among the services (its database gb_membership, its topic gb.membership.events).
NAME = "membership"


def personal_data_schema() -> str:
    """The SQL of membership's person keys and their forgetting (``gb_forget_person``), safe to run again: what the
    service runs at every start, and what a restore runs on a store restored from a backup taken by an earlier
    version before it applies the erasures recorded since (infra/erasures.py)."""
    from importlib import resources

    return resources.files("services.membership").joinpath("personal_data.sql").read_text()
