"""Secrets kept in the data folder: generated on first run with mode 0600, never logged."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyRing:
    """The RS256 key pair for access tokens and the symmetric secret for data at rest.

    ``retired_secret_keys`` are earlier secrets (files in ``secrets/retired/``), kept so that data
    sealed before a rotation still opens and can be sealed again with ``secret_key``.
    """

    jwt_private_pem: bytes
    jwt_public_pem: bytes
    secret_key: bytes
    retired_secret_keys: tuple[bytes, ...] = ()

    def __repr__(self) -> str:  # never show key material, even in a debugger or a log line
        return "KeyRing(<redacted>)"


def _write_once(path: Path, data: bytes) -> bytes:
    """Create ``path`` with mode 0600 unless another process already did; return what is stored."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        os.link(tmp, path)  # atomic: fails if a concurrent process won the race
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


def load_or_create_keys(data_dir: Path) -> KeyRing:
    """Load the key ring from ``data_dir/secrets``, generating missing parts (safe across processes)."""
    folder = data_dir / "secrets"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = folder / "jwt_private.pem"
    if private_path.exists():
        private_pem = private_path.read_bytes()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = _write_once(
            private_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secret_path = folder / "secret_key"
    if secret_path.exists():
        secret = secret_path.read_bytes()
    else:
        secret = _write_once(secret_path, secrets.token_bytes(32))
    retired_dir = folder / "retired"
    retired = tuple(
        path.read_bytes()
        for path in sorted(retired_dir.iterdir() if retired_dir.is_dir() else ())
        if path.is_file() and not path.name.startswith(".")
    )
    return KeyRing(
        jwt_private_pem=private_pem,
        jwt_public_pem=public_pem,
        secret_key=secret,
        retired_secret_keys=retired,
    )
