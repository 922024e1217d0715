"""Bytes of an exported email to text: BOMs, UTF-8, UTF-16LE, cp1250 / ISO-8859-2, Romanian letter forms."""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
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


_TOKEN_WITH_8BIT = re.compile(r"\S*[^\x00-\x7f]\S*")
_EDGE_PUNCTUATION = "\"'()[]{}<>.,;:!?-\u201e\u201d\u201c\u00ab\u00bb\u2018\u2019\u2013\u2014\u2026*"
_SAMPLE_CHARS = 65536


@functools.lru_cache(maxsize=4096)
def _kind(ch: str) -> tuple[str, str]:
    """A character's general category and, for a letter, its script (``LATIN``, ``GREEK``, ...)."""
    category = unicodedata.category(ch)
    script = unicodedata.name(ch, "?").split(" ", 1)[0] if category[0] == "L" else ""
    return category, script


def _odd_token(token: str) -> bool:
    """True for a word no one writes: mixed scripts (``κi``), a symbol inside a word, ``aĂ`` case jumps."""
    word = token.strip(_EDGE_PUNCTUATION)
    scripts = set()
    previous = ""
    for ch in word:
        category, script = _kind(ch)
        if category[0] == "C":
            return True
        if script:
            scripts.add(script)
            if previous and previous.islower() and ch.isupper() and not ch.isascii():
                return True
        elif category[0] == "S" and previous.isalpha():
            return True
        previous = ch
    return len(scripts) > 1


def implausible_words(text: str) -> int:
    """How many words with non-ASCII letters look like a wrong decoding (the lower, the likelier)."""
    return sum(1 for m in _TOKEN_WITH_8BIT.finditer(text, 0, _SAMPLE_CHARS) if _odd_token(m.group(0)))


_SAME_IN_BOTH = bytes(
    b for b in range(256) if bytes([b]).decode("cp1250", "replace") == bytes([b]).decode("iso-8859-2")
)
"""Bytes cp1250 and ISO-8859-2 read alike (ASCII and 0xA0-0xFF but 15 of them): most Romanian text."""


def _best_legacy(data: bytes) -> tuple[str, str]:
    """The text and name of the likelier of cp1250 and ISO-8859-2 (cp1250 when they tie)."""
    if not data.translate(None, _SAME_IN_BOTH):
        # Only bytes both code pages read alike (ş ţ ă â î included): nothing to judge.
        return data.decode("iso-8859-2"), "cp1250"
    candidates: list[tuple[int, int, str, str]] = []
    for rank, encoding in enumerate(("cp1250", "iso-8859-2")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        bad = implausible_words(text)
        if bad == 0:
            return text, encoding  # nothing odd: no need to try the next one
        candidates.append((bad, rank, text, encoding))
    _, _, text, encoding = min(candidates)
    return text, encoding


def guess_legacy(data: bytes) -> str:
    """The likelier 8-bit charset of bytes that are not UTF-8: ``cp1250`` or ``iso-8859-2``."""
    return _best_legacy(data)[1]


def decode(data: bytes) -> Decoded:
    """Decode an exported email's bytes.

    Order: a BOM (UTF-8, UTF-16LE/BE) wins; then strict UTF-8, unless the same bytes read as
    cp1250/ISO-8859-2 give fewer implausible words (mixed scripts, symbols inside words); then
    UTF-16LE without a BOM; then UTF-8 with a few broken sequences replaced; then the likelier of
    cp1250 (Windows, Romanian) and ISO-8859-2, judged on the whole text the same way. Both legacy
    code pages encode the Romanian letters with the same bytes (cedilla forms only), and the
    result is normalised to ș ț.

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
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.isascii():
            return _check_text(text, "utf-8")
        # Valid UTF-8 is not proof: cp1250 "Își" (CE BA 69) is valid UTF-8 too ("κi"). The
        # decoding whose words look like words wins; UTF-8 on a tie.
        bad = implausible_words(text)
        if bad:
            legacy, encoding = _best_legacy(data)
            if implausible_words(legacy) < bad:
                return _check_text(legacy, encoding)
        return _check_text(text, "utf-8")
    if _looks_utf16le(data):
        return _check_text(data.decode("utf-16-le", "replace"), "utf-16-le")
    if _mostly_utf8(data):
        return _check_text(data.decode("utf-8", "replace"), "utf-8 (damaged)")
    text, encoding = _best_legacy(data)
    return _check_text(text, encoding)
