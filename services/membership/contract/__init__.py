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
