"""The tasks domain: pure rules (no I/O, no clock reads, no frameworks)."""
