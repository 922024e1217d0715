"""Mail-ingest's events: what it publishes (publisher) and the partner read model it keeps (subscribers)."""
