"""The HTTP edge of the tasks service."""
