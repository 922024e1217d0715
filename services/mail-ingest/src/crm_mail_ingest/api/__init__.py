"""The HTTP API of mail-ingest: upload a file, the import log, retry a failed file."""
