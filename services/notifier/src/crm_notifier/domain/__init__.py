"""The notifier's pure rules: who is told, how, when to retry, what a safe header is."""
