"""The kit's PDF document: a font that prints Romanian is found wherever it is installed, and never Helvetica."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from crm_kit.pdf import FONT_FILES, FontNotFound, document, find_font, prints_romanian, set_style

ROMANIAN_TEXT = "ș ț ă î â Ș Ț"


def test_the_font_found_has_every_romanian_letter() -> None:
    assert prints_romanian(find_font())


def test_a_font_folder_without_a_romanian_font_falls_back_to_the_installed_fonts(tmp_path: Path) -> None:
    (tmp_path / FONT_FILES[0]).write_bytes(b"not a font at all")
    found = find_font(tmp_path)
    assert found.parent != tmp_path
    assert prints_romanian(found)


def test_a_font_in_the_services_own_folder_comes_first(tmp_path: Path) -> None:
    shutil.copy(find_font(), tmp_path / FONT_FILES[-1])
    assert find_font(tmp_path) == tmp_path / FONT_FILES[-1]


def test_no_romanian_font_anywhere_is_a_clear_error_instead_of_a_core_font(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="install fonts-dejavu-core"):
        find_font(tmp_path, dirs=(), roots=())


def test_romanian_text_written_in_a_document_extracts_back_as_itself() -> None:
    pdf = document("Ofertă", author="Firmă SRL", creator="test")
    set_style(pdf, "B", 12)
    pdf.multi_cell(0, 7, f"Îngroșat {ROMANIAN_TEXT}", new_x="LMARGIN", new_y="NEXT")
    set_style(pdf, "", 10)
    pdf.multi_cell(0, 7, f"Normal {ROMANIAN_TEXT}", new_x="LMARGIN", new_y="NEXT")
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    text = reader.pages[0].extract_text()
    assert f"Îngroșat {ROMANIAN_TEXT}" in text
    assert f"Normal {ROMANIAN_TEXT}" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Ofertă"
    fonts = reader.pages[0]["/Resources"]["/Font"].get_object()  # type: ignore[index]
    base_fonts = [str(ref.get_object()["/BaseFont"]) for ref in fonts.values()]
    assert base_fonts
    assert not [name for name in base_fonts if "Helvetica" in name], base_fonts
