"""Demo data for ``make run``: a believable account to sign in with."""

from __future__ import annotations

from datetime import date

from fithub.core.accounts.models import Gender, Role, User
from fithub.core.accounts.services import AccountService
from fithub.core.config import Settings
from fithub.core.context import ClientInfo
from fithub.core.keys import load_or_create_keys
from fithub.core.ratelimit import MemoryLimiter
from fithub.core.security.passwords import hash_password
from fithub.core.security.tokens import TokenIssuer

DEMO_EMAIL = "demo@fithub.example"
DEMO_PASSWORD = "demo-password-2026"
TRAINER_EMAIL = "coach@fithub.example"


def _service(settings: Settings) -> AccountService:
    keys = load_or_create_keys(settings.resolved_data_dir)
    return AccountService(settings, TokenIssuer(keys, settings.jwt_issuer, 60), MemoryLimiter())


async def seed_if_empty() -> bool:
    """Create the demo athlete and trainer when no user exists; return whether anything was made."""
    from fithub.core.config import load_settings

    if await User.exists():
        return False
    accounts = _service(load_settings())
    client = ClientInfo.system()
    await accounts.register(
        client,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Dana Demo",
        birth_date=date(1991, 4, 12),
        gender=Gender.FEMALE,
        height_cm=168.0,
        weight_kg=63.5,
        timezone="Europe/Berlin",
        locale="en",
    )
    await accounts.register(
        client,
        email=TRAINER_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Coach Casey",
        role=Role.TRAINER,
        timezone="Europe/Berlin",
    )
    return True


async def create_or_promote_admin(settings: Settings, email: str, password: str, name: str) -> bool:
    """Make ``email`` an administrator; create the account when missing. True if created."""
    existing = await User.get_or_none(email=email.strip().lower())
    if existing is not None:
        existing.role = Role.ADMIN
        existing.password_hash = hash_password(password)
        await existing.save(update_fields=["role", "password_hash"])
        return False
    await _service(settings).register(
        ClientInfo.system(), email=email, password=password, display_name=name, role=Role.ADMIN
    )
    return True
