"""The typed multipart body of an upload: one file, in the part named ``data``.

A bare ``MultipartBody[UploadFile]`` takes whatever the first part is; a text field there reached the handler
as a ``str`` and ``.read()`` on it was a 500. Typed, a missing file or a text field is a 400 before the handler
runs, and the OpenAPI document says which part to send.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import UploadFile


@dataclass
class FileUpload:
    """A multipart body carrying one file in its ``data`` part."""

    data: UploadFile


__all__ = ["FileUpload"]
