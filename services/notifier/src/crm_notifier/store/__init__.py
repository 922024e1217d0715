"""The notifier's store: read models, mail servers, deliveries, messages."""
