"""The server-rendered web UI: layout, login, area discovery, translation, the F2 palette."""
