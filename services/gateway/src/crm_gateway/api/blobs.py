"""``/api/blobs``: upload a file into the shared content-addressed store, and read it back.

A blob is read back only by someone who may read a record that references it (an attachment of
a task, a mail import or an email, a document's printout, an article's photo, a dossier's file):
the gateway asks the services (``Forwarder.may_read_blob``; docs/security-scoping.md).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, MultipartBody

from crm_gateway.api.schemas import BlobOut
from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder
from crm_kit.blobs import BlobError, BlobStore
from crm_kit.uploads import FileUpload

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@post("/api/blobs", tags=["blobs"], summary="Upload a file (multipart, the file in part `data`)")
async def upload_blob(data: MultipartBody[FileUpload], blobs: NamedDependency[BlobStore]) -> BlobOut:
    """Store the uploaded file; the same bytes twice give the same address."""
    content = await data.data.read()
    if len(content) > blobs.max_bytes:
        raise ValidationException(f"file too large: {len(content)} bytes, the limit is {blobs.max_bytes}")
    try:
        digest = await asyncio.to_thread(blobs.put, content)
    except BlobError as exc:
        raise ValidationException(str(exc)) from None
    return BlobOut(digest, len(content))


@get("/api/blobs/{sha256:str}", tags=["blobs"], summary="Download a blob")
async def download_blob(
    request: Request[User, Any, Any],
    sha256: FromPath[str],
    blobs: NamedDependency[BlobStore],
    forwarder: NamedDependency[Forwarder],
) -> Response[bytes]:
    """The blob's bytes (``application/octet-stream``), to someone who may read a record that references it.

    Anyone else gets 404, as for a blob that does not exist, so a hash tells nothing.
    """
    if not _SHA256.match(sha256):
        raise ValidationException("a blob's address is its sha256: 64 lower-case hex digits")
    if not await forwarder.may_read_blob(request.user, sha256):
        raise NotFoundException(f"no blob {sha256}")
    try:
        content = await asyncio.to_thread(blobs.get, sha256)
    except BlobError as exc:
        raise ValidationException(str(exc)) from None
    except KeyError:
        raise NotFoundException(f"no blob {sha256}") from None
    # private: who may read a blob depends on who asks, so never for shared caches; nosniff: never rendered as a page.
    headers = {"cache-control": "private, max-age=31536000, immutable", "x-content-type-options": "nosniff"}
    return Response(content, media_type="application/octet-stream", headers=headers)
