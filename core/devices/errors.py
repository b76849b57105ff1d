"""The devices domain's errors: those a client sees, and the ones its jobs use to end a run.

Client-facing (listed in the tree of core/errors.py)::

    FithubError
     ├── PushUnverified         401 push_unverified
     ├── ProviderNotSupported   422 provider_not_supported
     ├── VendorFailed           502 provider_error
     ├── ProviderNotConfigured  503 provider_not_configured
     └── VendorUnavailable      503 provider_unavailable

Internal (caught inside the domain, never shown to a client as such)::

    Exception
     ├── BreakerOpen            the provider's breaker refuses calls (core/devices/gateway.py)
     ├── SyncBusy               another grant check holds the connection (gateway)
     ├── CredentialsUnreadable  a sealed token does not open (core/devices/crypto.py)
     ├── ReauthRequired         the vendor refused the tokens for good (connections, sync, inbox)
     ├── ConnectionGone         the connection changed while we worked on it (connections, sync)
     ├── LeaseLost              another run took the connection over (sync, jobs)
     ├── Deferred               rate limited for longer than a job waits (sync, jobs)
     ├── Unconfirmed            the vendor's answer cannot confirm a delete (inbox)
     └── ImportGone             a file import lost its claim (imports/services.py)
"""

from __future__ import annotations

from datetime import datetime

from fithub.core.errors import FithubError

# -- seen by clients ------------------------------------------------------------------------------


class PushUnverified(FithubError):
    """A webhook call the provider could not verify (handshake, signature, shared secret)."""

    status, code = 401, "push_unverified"


class ProviderNotSupported(FithubError):
    """The provider cannot do what was asked (e.g. an OAuth flow for a push-only provider)."""

    status, code = 422, "provider_not_supported"


class VendorFailed(FithubError):
    """The vendor answered something fithub cannot use."""

    status, code = 502, "provider_error"


class ProviderNotConfigured(FithubError):
    """The provider's app credentials (``FITHUB_<NAME>_*``) are not set on this server."""

    status, code = 503, "provider_not_configured"


class VendorUnavailable(FithubError):
    """The vendor is failing, asks to wait, or did not answer."""

    status, code = 503, "provider_unavailable"


# -- internal -------------------------------------------------------------------------------------


class BreakerOpen(Exception):
    """The provider's breaker is open: calls are refused until ``retry_at``."""

    def __init__(self, provider: str, retry_at: datetime | None) -> None:
        super().__init__(f"{provider} is failing: calls paused until {retry_at or 'later'}")
        self.provider, self.retry_at = provider, retry_at


class SyncBusy(Exception):
    """Another sync of the same connection is running."""


class CredentialsUnreadable(Exception):
    """A sealed value cannot be opened: unknown key id, tampered with, or bound to another row."""


class ReauthRequired(Exception):
    """The vendor refused the connection's tokens for good: the user must connect again."""


class ConnectionGone(Exception):
    """The connection was disconnected (or its tokens changed status) while we worked on it."""


class LeaseLost(Exception):
    """Another run took the connection over (this one's lease lapsed): stop without writing."""


class Deferred(Exception):
    """Rate limited for longer than a job waits: run again after ``wait`` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.0f} s")
        self.wait = wait


class Unconfirmed(Exception):
    """The vendor's answer cannot confirm a delete (unreadable items, endless pages)."""


class ImportGone(Exception):
    """The import row lost its claim (deleted with its user, or claimed by a newer token)."""
