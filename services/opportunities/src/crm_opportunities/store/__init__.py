"""The opportunities store: tables, migrations and the repository."""
