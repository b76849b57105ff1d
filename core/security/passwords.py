"""argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES: dict[str, PasswordHasher] = {
    "rfc9106-low-memory": PasswordHasher(),  # argon2id, t=3, m=64 MiB, p=4: the default
    # Only for test suites (refused unless FITHUB_ENV=test): fast, and worthless against cracking.
    "test-only-fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_hasher = PROFILES["rfc9106-low-memory"]
# A hash to verify against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("fithub-dummy-password")


def use_profile(name: str) -> None:
    """Switch this process to another hashing profile (see ``FITHUB_PASSWORD_HASHING``)."""
    global _hasher, _DUMMY_HASH
    if PROFILES[name] is not _hasher:
        _hasher = PROFILES[name]
        _DUMMY_HASH = _hasher.hash("fithub-dummy-password")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash``; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash used weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


# argon2id takes a few hundred milliseconds of CPU by design; the async forms run it on a thread
# (argon2-cffi releases the GIL) so one sign-in never stalls every other request on the loop.


async def hash_password_async(password: str) -> str:
    """hash_password without blocking the event loop."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """verify_password without blocking the event loop."""
    return await asyncio.to_thread(verify_password, password_hash, password)
