"""Event contracts of the CRM."""
