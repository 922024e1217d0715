"""The HTTP API of the partners service (paths and fields as in API.md)."""
