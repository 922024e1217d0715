"""The opportunities domain: stages, transitions, weights, history and lost reasons (pure Python)."""
