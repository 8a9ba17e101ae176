"""Gateway: the one public HTTP API, identity and roles, command routing and read models."""
