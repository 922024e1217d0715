"""PDF documents that print Romanian: fpdf2 with a Unicode TrueType font found on the machine, never a core font.

The PDF core fonts (Helvetica & co.) have no ș ț ă î â: fpdf2 refuses such text or prints it wrong, so this module
never falls back to them. It looks for a TrueType font whose character map has every Romanian letter: first in
the folder the service names (a setting, e.g. ``CRM_COMMERCIAL_FONT_DIR``), then where Linux distributions and
macOS keep fonts (``deploy/install.sh`` installs ``fonts-dejavu-core`` on Debian), then anywhere below the system
font folders. No such font is a clear error naming the package to install.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2 depends on fontTools, which has no types
from fpdf import FPDF
from fpdf.enums import TextMode

ROMANIAN = "ăâîșțĂÂÎȘȚ"
"""The letters a font must have to print Romanian (comma-below ș and ț, the correct ones)."""

FAMILY = "crm-sans"
"""The family name the document's font is registered under (``pdf.set_font(FAMILY, ...)``)."""

FONT_FILES = (
    "DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
    "NotoSans-Regular.ttf",
    "FreeSans.ttf",
    "Arial.ttf",
)
"""Sans-serif fonts with Romanian letters, in order of preference."""

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core (deploy/install.sh)
    Path("/usr/share/fonts/dejavu"),  # Fedora, Alpine
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts/Supplemental"),
)
"""Where fonts are usually installed; searched after the service's own folder."""

SEARCH_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
"""Searched recursively, last, for any of ``FONT_FILES``."""

log = logging.getLogger(__name__)

# fontTools logs every glyph subset at INFO, once per printout.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class FontNotFound(RuntimeError):
    """No TrueType font that prints Romanian was found."""


def prints_romanian(path: Path) -> bool:
    """Whether the TrueType font at ``path`` has every Romanian letter."""
    try:
        with TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap() or {}
    except Exception:  # not a font, or a broken one: it cannot print anything
        return False
    return all(ord(letter) in cmap for letter in ROMANIAN)


@functools.cache
def find_font(
    font_dir: Path | None = None, *, dirs: Sequence[Path] = FONT_DIRS, roots: Sequence[Path] = SEARCH_ROOTS
) -> Path:
    """The TrueType font documents use: the first of ``FONT_FILES`` that prints Romanian.

    Args:
        font_dir: the service's font folder (a setting); searched first.
        dirs: the usual font folders, searched next.
        roots: folders searched recursively, last.

    Raises:
        FontNotFound: none of the folders has such a font.
    """
    folders = [font_dir] if font_dir is not None else []
    folders += list(dirs)
    candidates = [folder / name for folder in folders for name in FONT_FILES]
    for root in roots:
        if root.is_dir():
            candidates += [found for name in FONT_FILES for found in sorted(root.rglob(name))]
    for path in candidates:
        if path.is_file() and prints_romanian(path):
            if font_dir is not None and path.parent != font_dir:
                log.warning("no Romanian font in %s; printing with %s", font_dir, path)
            return path
    where = ", ".join(str(f) for f in folders)
    raise FontNotFound(
        f"no TrueType font that prints {ROMANIAN} in {where}: install fonts-dejavu-core (deploy/install.sh) "
        "or point the service's font folder at one"
    )


def document(
    title: str,
    *,
    author: str | None = None,
    creator: str | None = None,
    created: datetime | None = None,
    font_dir: Path | None = None,
) -> FPDF:
    """An A4 portrait document with one page open and the Romanian font set (regular, 10 pt).

    One face only: parsing a TrueType font is most of a printout's cost, so bold is drawn by
    :func:`set_style` as an outline around the regular glyphs.

    Args:
        title: the document's title (its metadata).
        author: who issues it.
        creator: the program that made it.
        created: its creation time; give one for the same bytes on every render (content-addressed blobs).
        font_dir: the service's font folder, searched first (see :func:`find_font`).

    Raises:
        FontNotFound: no font that prints Romanian is installed.
    """
    font = find_font(font_dir)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if creator:
        pdf.set_creator(creator)
    pdf.add_font(FAMILY, "", str(font))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    set_style(pdf, "", 10)
    return pdf


def set_style(pdf: FPDF, style: str, size: float) -> None:
    """Regular, or bold (``"B"``) drawn as a thin outline around the regular glyphs (no second font to load)."""
    pdf.set_font(FAMILY, "", size)
    if style == "B":
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.set_line_width(size / 60)
    else:
        pdf.text_mode = TextMode.FILL
        pdf.set_line_width(0.2)
