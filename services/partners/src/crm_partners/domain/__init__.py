"""The partners domain: pure rules and models (stdlib and crm_kit.errors only)."""
