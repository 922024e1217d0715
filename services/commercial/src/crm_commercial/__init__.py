"""CRM commercial service."""
