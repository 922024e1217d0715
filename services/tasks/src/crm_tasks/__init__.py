"""CRM tasks service."""
