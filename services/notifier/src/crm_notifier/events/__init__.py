"""The notifier's events: what it publishes and what it reacts to."""
