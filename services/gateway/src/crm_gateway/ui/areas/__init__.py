"""UI areas: every module here exporting ``routes`` (and optional ``TRANSLATIONS``, ``ACTIONS``) is loaded."""
