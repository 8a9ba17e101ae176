"""Investment's public contract: the only part of the service that anything outside it imports.

Its modules: ``commands`` and ``events`` (with their stable wire names), ``routes`` (path, roles,
scope and handler of each command), ``service`` (the ``SERVICE`` it hands the kernel) and ``values``
(the pipeline's stages and the policy in force on a day).
Everything else under services/investment/ is private to the service (tests/test_import_rules.py holds
that). This package's own module imports nothing, so the service's private modules may import its
commands and events without a cycle.
"""

#: The service's name among the services (its database gb_investment, its topic gb.investment.events).
NAME = "investment"
