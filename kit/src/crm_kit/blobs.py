"""The blob store: immutable files addressed by their sha256, shared by the services."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(ValueError):
    """A blob that is too large, or an address that is not a sha256."""


class BlobStore:
    """Content-addressed files under one folder; a name from input is never used as a path."""

    def __init__(self, root: Path, max_bytes: int = 25 * 1024 * 1024) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise BlobError("a blob address is 64 lowercase hex digits (sha256)")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store bytes; returns their sha256. Storing the same bytes twice is a no-op."""
        if len(data) > self.max_bytes:
            raise BlobError(f"file too large: {len(data)} bytes, the limit is {self.max_bytes}")
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob.

        Raises:
            KeyError: no such blob.
        """
        path = self._path(sha256)
        if not path.exists():
            raise KeyError(sha256)
        return path.read_bytes()

    def size(self, sha256: str) -> int:
        return self._path(sha256).stat().st_size
