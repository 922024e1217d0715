"""The notifier's HTTP API: mail servers, emails (E1-E3), in-app messages, notification settings."""
