"""Video containers are recognised by their bytes, and damaged ones are refused."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from fithub.core.media.containers import check_structure, sniff
from fithub.core.media.errors import DamagedContainer
from fithub.core.media.models import Container


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", major + b"\x00\x00\x02\x00" + b"".join(compatible))


def ebml_header(doctype: bytes) -> bytes:
    body = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body


def segment(payload: bytes, size: int | None = None) -> bytes:
    length = len(payload) if size is None else size
    return b"\x18\x53\x80\x67" + b"\x01" + length.to_bytes(7, "big") + payload


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (ftyp(b"isom", b"isom", b"avc1"), Container.MP4),
        (ftyp(b"mp42", b"isom"), Container.MP4),
        (ftyp(b"qt  ", b"qt  "), Container.MOV),
        (ftyp(b"abcd", b"mp41"), Container.MP4),  # an odd major brand, a known compatible one
        (ebml_header(b"webm"), Container.WEBM),
        (ebml_header(b"matroska"), Container.MKV),
    ],
)
def test_video_containers_are_recognised(head: bytes, expected: Container) -> None:
    assert sniff(head + os.urandom(64)) == expected


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", id="jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
        pytest.param(ftyp(b"heic", b"mif1", b"heic"), id="heic-image"),
        pytest.param(ftyp(b"M4A ", b"M4A "), id="audio-only"),
        pytest.param(ebml_header(b"other"), id="ebml-not-matroska"),
        pytest.param(b"RIFF\x00\x00\x00\x00AVI LIST", id="avi"),
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(4096), id="random"),
    ],
)
def test_other_bytes_are_not_videos(head: bytes) -> None:
    assert sniff(head) is None


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "clip"
    path.write_bytes(data)
    return path


def test_a_whole_mp4_passes(tmp_path: Path) -> None:
    data = ftyp(b"isom", b"isom") + box(b"moov", b"\x00" * 100) + box(b"mdat", b"\x01" * 1000)
    check_structure(write(tmp_path, data), Container.MP4)


def test_a_last_box_running_to_the_end_passes(tmp_path: Path) -> None:
    data = ftyp(b"isom") + box(b"moov", b"\x00" * 8) + b"\x00\x00\x00\x00mdat" + b"\x01" * 50
    check_structure(write(tmp_path, data), Container.MP4)


@pytest.mark.parametrize("cut", [1, 500, 1000])
def test_a_cut_mp4_is_damaged(tmp_path: Path, cut: int) -> None:
    data = ftyp(b"isom", b"isom") + box(b"moov", b"\x00" * 100) + box(b"mdat", b"\x01" * 1000)
    with pytest.raises(DamagedContainer, match="truncated"):
        check_structure(write(tmp_path, data[:-cut]), Container.MP4)


def test_an_mp4_without_a_movie_header_is_damaged(tmp_path: Path) -> None:
    data = ftyp(b"isom", b"isom") + box(b"mdat", b"\x01" * 1000)
    with pytest.raises(DamagedContainer, match="moov"):
        check_structure(write(tmp_path, data), Container.MP4)


def test_webm_segment_sizes_are_checked(tmp_path: Path) -> None:
    whole = ebml_header(b"webm") + segment(b"\x00" * 500)
    check_structure(write(tmp_path, whole), Container.WEBM)
    with pytest.raises(DamagedContainer, match="truncated"):
        check_structure(write(tmp_path, whole[:-100]), Container.WEBM)
    live = ebml_header(b"webm") + segment(b"\x00" * 100, size=(1 << 56) - 1)  # unknown length
    check_structure(write(tmp_path, live), Container.WEBM)
