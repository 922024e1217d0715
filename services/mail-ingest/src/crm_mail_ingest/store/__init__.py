"""The mail-ingest store: import log, imported message identities, partner read model."""
