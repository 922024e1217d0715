"""CRM notifier service."""
