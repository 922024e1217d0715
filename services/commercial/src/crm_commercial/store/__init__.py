"""The commercial store: tables, repository and migrations."""
