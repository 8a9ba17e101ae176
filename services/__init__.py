"""Golden Bridge services: the kernel plumbing and the bounded contexts built on it."""
