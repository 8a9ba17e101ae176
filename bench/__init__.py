"""Golden Bridge benchmark (run with ``./gb bench``; see bench/README.md)."""
