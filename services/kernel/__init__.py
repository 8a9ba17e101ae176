"""Event-sourcing kernel: envelope, codec, store, relay, projection runner and settings."""
