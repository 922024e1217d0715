"""``/api/blobs``: upload a file into the shared content-addressed store, and read it back."""

from __future__ import annotations

import asyncio

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, MultipartBody

from crm_gateway.api.schemas import BlobOut
from crm_kit.blobs import BlobError, BlobStore
from crm_kit.uploads import FileUpload


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
async def download_blob(sha256: FromPath[str], blobs: NamedDependency[BlobStore]) -> Response[bytes]:
    """The blob's bytes (``application/octet-stream``)."""
    try:
        content = await asyncio.to_thread(blobs.get, sha256)
    except BlobError as exc:
        raise ValidationException(str(exc)) from None
    except KeyError:
        raise NotFoundException(f"no blob {sha256}") from None
    return Response(content, media_type="application/octet-stream", headers={"cache-control": "max-age=31536000"})
