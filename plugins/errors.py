"""Errors a plugin may raise; fithub maps them to problem details and retries.

PluginError
 └── ProviderError
      ├── ProviderAuthFailed   the vendor refused the credentials (reconnect needed)
      ├── ProviderUnavailable  the vendor is down or timed out (retry later)
      └── ProviderRateLimited  the vendor said slow down (retry after ``retry_after`` s)
"""

from __future__ import annotations


class PluginError(Exception):
    """Root of the errors raised by plugins."""


class ProviderError(PluginError):
    """A device provider failed to talk to its vendor."""


class ProviderAuthFailed(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
