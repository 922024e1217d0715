"""The notifier: turns CRM events into emails and in-app messages; mail servers; the email log."""
