"""The opportunities HTTP API (Litestar controllers and HTTP schemas)."""
