"""The CRM service kit."""
