"""CRM gateway: login, users and roles, /api routing to the services, live messages, and the web UI."""
