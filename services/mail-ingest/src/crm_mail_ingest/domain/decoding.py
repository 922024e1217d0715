"""Bytes of an exported email to text: BOMs, UTF-8, UTF-16LE, cp1250 / ISO-8859-2, Romanian letter forms."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_CEDILLA_TO_COMMA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def normalise_romanian(text: str) -> str:
    """Replace the legacy cedilla letters ş ţ Ş Ţ with the comma-below forms ș ț Ș Ț."""
    return text.translate(_CEDILLA_TO_COMMA)


class UndecodableText(ValueError):
    """Bytes that are not text in any encoding we accept (binary content)."""


@dataclass(frozen=True)
class Decoded:
    """A decoded export: its text (Romanian letters normalised) and the encoding found."""

    text: str
    encoding: str


def _looks_utf16le(data: bytes) -> bool:
    # Without a BOM, ASCII-heavy UTF-16LE text has a NUL in almost every odd byte.
    sample = data[:4096]
    if len(sample) < 4:
        return False
    odd = sample[1::2]
    return odd.count(0) >= 0.9 * len(odd) and sample[0::2].count(0) < 0.1 * len(odd)


def _mostly_utf8(data: bytes) -> bool:
    """True when the bytes are UTF-8 with only a few broken sequences (a damaged UTF-8 file)."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return multibyte > 0 and broken <= max(1, multibyte // 10)


def _check_text(text: str, encoding: str) -> Decoded:
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if "\x00" in text or controls > max(8, len(text[:65536]) // 100):
        raise UndecodableText("binary content: this is not a text export of an email")
    return Decoded(normalise_romanian(text), encoding)


def decode(data: bytes) -> Decoded:
    """Decode an exported email's bytes.

    Order: a BOM (UTF-8, UTF-16LE/BE) wins; then strict UTF-8; then UTF-16LE without a BOM;
    then UTF-8 with a few broken sequences replaced; then cp1250 (Windows, Romanian) and
    finally ISO-8859-2, which accepts every byte. Both legacy code pages encode the Romanian
    letters with the same bytes (cedilla forms only), and the result is normalised to ș ț.

    Raises:
        UndecodableText: the bytes are binary, not text.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _check_text(data[3:].decode("utf-8", "replace"), "utf-8-sig")
    if data.startswith(codecs.BOM_UTF16_LE):
        return _check_text(data[2:].decode("utf-16-le", "replace"), "utf-16-le")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _check_text(data[2:].decode("utf-16-be", "replace"), "utf-16-be")
    try:
        return _check_text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_utf16le(data):
        return _check_text(data.decode("utf-16-le", "replace"), "utf-16-le")
    if _mostly_utf8(data):
        return _check_text(data.decode("utf-8", "replace"), "utf-8 (damaged)")
    try:
        return _check_text(data.decode("cp1250"), "cp1250")
    except UnicodeDecodeError:
        return _check_text(data.decode("iso-8859-2"), "iso-8859-2")
