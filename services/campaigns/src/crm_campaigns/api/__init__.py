"""The campaigns HTTP API (M1-M7)."""
