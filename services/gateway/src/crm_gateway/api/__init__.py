"""The gateway's own JSON API: tokens, users, blobs, the merged schema, live messages, and the /api router."""
