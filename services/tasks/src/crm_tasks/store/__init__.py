"""The tasks service's own store."""
