"""Where uploaded media live: a small interface, local files by default, S3 when configured.

An upload is first written to a *staging* file on local disk (it must be read there anyway, to
check that it decodes); :meth:`MediaStorage.put` then moves it into storage under a random key.
The analysis reads a stored object through :meth:`MediaStorage.local_path`, which is the file
itself for local storage and a temporary download for S3. Keys are random; a client's file name is
never part of one.

``FITHUB_MEDIA_STORAGE=local`` (default) keeps files under ``FITHUB_DATA_DIR/media`` with mode 0600;
``s3`` stores them in ``FITHUB_S3_BUCKET`` of any S3-compatible service (``FITHUB_S3_ENDPOINT_URL``,
credentials the usual AWS way), which needs ``pip install 'fithub[s3]'``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from fithub.core.config import Settings

FILE_MODE = 0o600
DIR_MODE = 0o700


class MediaStorage(Protocol):
    """Stored media objects by key."""

    name: str

    def staging_file(self, suffix: str = "") -> Path:
        """A new, empty, private local file to receive an upload (the caller removes or puts it)."""
        ...

    async def put(self, staged: Path, *, suffix: str = "", content_type: str) -> str:
        """Move a staged file into storage; return its new random key. ``staged`` is gone after."""
        ...

    def local_path(self, key: str) -> AbstractAsyncContextManager[Path]:
        """``async with storage.local_path(key) as path``: the object as a local file, to read."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; a missing one is not an error."""
        ...


def new_key(suffix: str = "") -> str:
    """A random object key: 128 bits, hex, with the container's extension."""
    return secrets.token_hex(16) + suffix


def private_file(directory: Path, suffix: str) -> Path:
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=suffix + ".part", dir=directory)
    os.close(fd)  # mkstemp creates it with mode 0600
    return Path(name)


class LocalStorage:
    """Files under one folder, named by their keys, readable by this user only."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / ".incoming"  # same file system: put() is an atomic rename

    def staging_file(self, suffix: str = "") -> Path:
        return private_file(self.staging, suffix)

    def path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key[:2] / key

    async def put(self, staged: Path, *, suffix: str = "", content_type: str) -> str:
        key = new_key(suffix)
        target = self.path(key)

        def move() -> None:
            target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            os.chmod(staged, FILE_MODE)
            os.replace(staged, target)

        await asyncio.to_thread(move)
        return key

    @asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(f"media object {key} is missing")
        yield path

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)


_cache: dict[tuple[str, ...], MediaStorage] = {}


def media_storage(settings: Settings) -> MediaStorage:
    """The storage the settings select (one instance per configuration and process)."""
    if settings.media_storage == "s3":
        from fithub.core.media.s3 import S3Storage

        key: tuple[str, ...] = (
            "s3",
            settings.s3_bucket or "",
            settings.s3_prefix,
            settings.s3_endpoint_url or "",
        )
        if key not in _cache:
            _cache[key] = S3Storage(settings)
        return _cache[key]
    root = settings.media_dir
    local = ("local", str(root))
    if local not in _cache:
        _cache[local] = LocalStorage(root)
    return _cache[local]
