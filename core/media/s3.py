"""Media storage in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), through boto3.

Selected by ``FITHUB_MEDIA_STORAGE=s3`` with ``FITHUB_S3_BUCKET`` (and ``FITHUB_S3_PREFIX``,
``FITHUB_S3_ENDPOINT_URL``, ``FITHUB_S3_REGION``); credentials come from the usual AWS sources
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role). boto3 is an
optional dependency: ``pip install 'fithub[s3]'``. Its calls block, so each runs in a thread;
uploads and downloads go through boto3's managed transfer (multipart for large files).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fithub.core.config import Settings
from fithub.core.media.storage import new_key, private_file


class S3Storage:
    """Objects under ``prefix`` in one bucket; staging and downloads in the local data folder."""

    name = "s3"

    def __init__(self, settings: Settings, client: Any = None) -> None:
        if not settings.s3_bucket:
            raise ValueError("FITHUB_S3_BUCKET is not set")
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self.staging = settings.media_dir / ".incoming"
        if client is None:
            try:
                import boto3
            except ImportError as exc:
                raise RuntimeError(
                    "FITHUB_MEDIA_STORAGE=s3 needs boto3: pip install 'fithub[s3]'"
                ) from exc
            client = boto3.client(
                "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region
            )
        self.client = client

    def _object(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"not a media key: {key!r}")
        return self.prefix + key

    def staging_file(self, suffix: str = "") -> Path:
        return private_file(self.staging, suffix)

    async def put(self, staged: Path, *, suffix: str = "", content_type: str) -> str:
        key = new_key(suffix)
        await asyncio.to_thread(
            self.client.upload_file,
            str(staged),
            self.bucket,
            self._object(key),
            ExtraArgs={"ContentType": content_type},
        )
        await asyncio.to_thread(staged.unlink, missing_ok=True)
        return key

    @asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        target = self.staging_file(Path(key).suffix)
        try:
            try:
                await asyncio.to_thread(
                    self.client.download_file, self.bucket, self._object(key), str(target)
                )
            except Exception as exc:
                if _is_missing(exc):
                    raise FileNotFoundError(f"media object {key} is missing") from exc
                raise
            yield target
        finally:
            target.unlink(missing_ok=True)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.bucket, Key=self._object(key)
        )


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    return code in {"404", "NoSuchKey", "NotFound"}
