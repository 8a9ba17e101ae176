"""Read models built from the services' event topics."""
