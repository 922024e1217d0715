"""CRM opportunities service."""
