"""The notifications domain's per-process services: notifiers, the vault for sealed values, fan-out."""

from __future__ import annotations

from dataclasses import dataclass, field

from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.fanout import Fanout
from fithub.core.notifications.channels import ChannelSet


@dataclass
class NotificationService:
    """What delivering needs in one process; holds no state another process would need."""

    settings: Settings
    channels: ChannelSet
    vault: CredentialVault = field(repr=False)
    fanout: Fanout

    @property
    def public_url(self) -> str:
        return self.settings.public_url.rstrip("/")

    async def close(self) -> None:
        await self.channels.close()
