"""Public /v1 routers, one per resource."""
