"""Authentication adapters: password hashes, access tokens, the /api guard."""
