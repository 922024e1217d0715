"""The pure rules of campaigns: campaigns, member filters, results (no I/O, no framework)."""
