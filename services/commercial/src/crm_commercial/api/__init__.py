"""The HTTP API: Litestar controllers and their request/response schemas."""
