"""Media storage: local files (private, randomly named) and the S3 backend (against moto)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fithub.core.config import Settings
from fithub.core.media.storage import LocalStorage, MediaStorage, media_storage

CONTENT = b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000)


async def roundtrip(storage: MediaStorage) -> str:
    staged = storage.staging_file(".mp4")
    assert staged.stat().st_mode & 0o777 == 0o600
    staged.write_bytes(CONTENT)
    key = await storage.put(staged, suffix=".mp4", content_type="video/mp4")
    assert not staged.exists()
    assert len(key) == 36 and key.endswith(".mp4")
    async with storage.local_path(key) as path:
        assert path.read_bytes() == CONTENT
    await storage.delete(key)
    with pytest.raises(FileNotFoundError):
        async with storage.local_path(key):
            pass
    await storage.delete(key)  # deleting twice is fine
    return key


async def test_local_storage_keeps_private_files_under_random_names(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    staged = storage.staging_file()
    staged.write_bytes(CONTENT)
    key = await storage.put(staged, suffix=".mp4", content_type="video/mp4")
    stored = storage.path(key)
    assert stored.read_bytes() == CONTENT and stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.parent == tmp_path / "media"
    await storage.delete(key)
    other = await roundtrip(storage)
    assert other != key


@pytest.mark.parametrize("key", ["../secrets/keys.json", ".incoming", "a/b", ""])
def test_local_storage_refuses_keys_that_leave_its_folder(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).path(key)


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    local = media_storage(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "media"
    with pytest.raises(ValueError, match="FITHUB_S3_BUCKET"):
        Settings(data_dir=tmp_path, media_storage="s3")


async def test_s3_storage_against_moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (pip install '.[s3]')")
    moto = pytest.importorskip("moto", reason="moto is not installed (pip install '.[dev]')")
    from fithub.core.media.s3 import S3Storage

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="clips")
        settings = Settings(data_dir=tmp_path, media_storage="s3", s3_bucket="clips")
        storage = S3Storage(settings, client=client)
        key = await roundtrip(storage)
        staged = storage.staging_file()
        staged.write_bytes(CONTENT)
        kept = await storage.put(staged, suffix=".webm", content_type="video/webm")
        head = client.head_object(Bucket="clips", Key=f"media/{kept}")
        assert head["ContentType"] == "video/webm" and head["ContentLength"] == len(CONTENT)
        assert kept != key
        assert list((tmp_path / "media" / ".incoming").iterdir()) == []  # downloads cleaned up
