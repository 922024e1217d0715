"""CRM campaigns service."""
