"""CRM partners service."""
