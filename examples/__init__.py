"""Partner-side examples: a Kafka consumer and a webhook receiver (see README.md)."""
