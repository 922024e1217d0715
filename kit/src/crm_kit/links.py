"""Links kept inside the web UI: a relative path, never another site (no open redirect)."""

from __future__ import annotations

import re

# A path of this site: "/" then anything but a second "/" (``//host`` is another site to a browser).
# A backslash is refused because browsers read ``/\host`` as ``//host``; control characters because
# browsers drop tabs and line breaks from a URL, so ``/<TAB>/host`` would become ``//host`` too.
_UI_PATH = re.compile(r"/[^/\\\x00-\x1f\x7f-\x9f\u2028\u2029][^\\\x00-\x1f\x7f-\x9f\u2028\u2029]*")

UI_PATH_RULE = "a link is a path in the web UI: / followed by a name, no // at the start, no backslash"


def is_ui_path(link: str) -> bool:
    """True when ``link`` is a relative path inside the web UI (safe to redirect to)."""
    return _UI_PATH.fullmatch(link) is not None
