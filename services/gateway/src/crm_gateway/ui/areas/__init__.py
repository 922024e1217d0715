"""UI areas: every module here exporting ``routes`` (and optional ``ACTIONS``) is loaded."""
