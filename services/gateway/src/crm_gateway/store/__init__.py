"""The gateway's own store: users (plus the kit's outbox, inbox and lease tables)."""
