"""The campaigns store: tables, repository, migrations."""
