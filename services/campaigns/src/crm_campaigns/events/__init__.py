"""The campaigns service's events: what it publishes and what it consumes."""
