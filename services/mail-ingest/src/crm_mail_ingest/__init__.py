"""CRM mail-ingest service."""
