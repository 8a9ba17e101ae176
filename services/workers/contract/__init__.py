"""Workers' public contract: the only part of the service that anything outside it imports.

Its modules: ``commands`` and ``events`` (with their stable wire names), ``routes`` (path, roles, scope and
handler of each command) and ``service`` (the ``SERVICE`` it hands the kernel). This package's own module
imports nothing, so the service's private modules may import its commands and events without a cycle.
"""

#: The service's name among the services (its database gb_workers, its topic gb.workers.events).
NAME = "workers"
