"""Dossiers (D1): named folders per partner and category into which any stored attachment is filed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from crm_kit.errors import Conflict, Invalid
from crm_partners.domain.text import clean

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Dossier:
    """A dossier: a name, the partner it is about (if any) and a category."""

    id: str
    name: str
    category: str
    created_at: datetime
    partner_id: str | None = None


@dataclass(frozen=True)
class FoundDossier:
    """A dossier as a picker shows it: with the name of the partner it is about."""

    dossier: Dossier
    partner_name: str | None = None


@dataclass(frozen=True)
class FiledDocument:
    """A blob filed in a dossier, with where it came from."""

    id: str
    dossier_id: str
    sha256: str
    file_name: str
    size: int
    filed_at: datetime
    source_type: str | None = None
    source_id: str | None = None
    filed_by: str | None = None


def new_dossier(*, dossier_id: str, name: str, category: str | None, partner_id: str | None, now: datetime) -> Dossier:
    """A new dossier.

    Raises:
        Invalid: no name, or names too long.
    """
    text = clean(name)
    if not text:
        raise Invalid("a dossier needs a name", code="dossier.name_missing")
    cat = clean(category) or "general"
    if len(text) > 200 or len(cat) > 100:
        raise Invalid(
            "a dossier name has at most 200 characters and a category at most 100", code="dossier.name_too_long"
        )
    return Dossier(id=dossier_id, name=text, category=cat, created_at=now, partner_id=partner_id)


def safe_file_name(raw: str) -> str:
    """A file name as metadata only: the last path part, no control characters, at most 200 characters.

    Raises:
        Invalid: nothing left of the name.
    """
    base = re.split(r"[\\/]", raw)[-1]
    text = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    if not text:
        raise Invalid(f"{raw!r} is not a file name", code="document.file_name_invalid", params={"name": raw})
    return text[:200]


def file_document(
    dossier: Dossier,
    *,
    document_id: str,
    sha256: str,
    file_name: str,
    size: int,
    now: datetime,
    source_type: str | None = None,
    source_id: str | None = None,
    filed_by: str | None = None,
) -> FiledDocument:
    """A blob filed in the dossier.

    Raises:
        Invalid: the address is not a sha256, or the file name is empty.
    """
    digest = sha256.strip().lower()
    if not _SHA256.match(digest):
        raise Invalid(
            "sha256 must be the blob's 64 hex digit address (from POST /api/blobs)",
            code="document.file_address_invalid",
        )
    return FiledDocument(
        id=document_id,
        dossier_id=dossier.id,
        sha256=digest,
        file_name=safe_file_name(file_name),
        size=size,
        filed_at=now,
        source_type=clean(source_type),
        source_id=source_id,
        filed_by=filed_by,
    )


@dataclass(frozen=True)
class CategoryTotals:
    """How many dossiers of one category there are, with how many documents and bytes."""

    category: str
    dossiers: int
    documents: int
    bytes: int


def stored_file(doc: FiledDocument, size: int | None) -> FiledDocument:
    """The document with the size of its stored blob.

    Args:
        doc: the document about to be filed.
        size: the blob's size, or None when no blob is stored at its address.

    Raises:
        Invalid: the blob was never uploaded.
    """
    if size is None:
        raise Invalid(
            f"no stored file {doc.sha256}: upload it first (POST /api/blobs)",
            code="document.file_not_uploaded",
            params={"sha256": doc.sha256},
        )
    return replace(doc, size=size)


def check_not_filed(dossier: Dossier, doc: FiledDocument, *, already_there: bool) -> None:
    """A blob is filed once per dossier.

    Raises:
        Conflict: the dossier holds the blob already.
    """
    if already_there:
        raise Conflict(
            f"{doc.file_name} is already in the dossier {dossier.name}",
            code="dossier.document_already_filed",
            params={"file_name": doc.file_name, "dossier": dossier.name},
        )
