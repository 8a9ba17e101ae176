"""The partners service's public contract: the only part of the service that anything outside it imports.

Its modules: ``commands`` and ``events`` (stable wire names), ``routes``, ``service`` (the ``SERVICE``
it hands the kernel), ``values`` (partner kinds, policies, filters), ``kafka`` (partner topic,
group and principal names), ``outward`` (the published event schemas partners receive) and
``asyncapi`` (the partners' AsyncAPI documents). This package's own module imports nothing.
"""

#: The service's name among the services (its database gb_partners, its topic gb.partners.events).
NAME = "partners"
