"""The partners store: tables, repository and migrations."""
