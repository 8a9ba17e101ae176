"""Partner systems: partners, subscriptions, the outward events and their delivery (docs/partners.md)."""
