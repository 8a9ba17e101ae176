"""The county's transparency log: every event of every service in one RFC 9162 Merkle tree, with
signed tree heads (docs/audit.md)."""
