"""Errors a plugin may raise; fithub maps them to problem details and retries.

PluginError
 └── ProviderError                  any other failure talking to the vendor (e.g. a 400)
      ├── ProviderAuthFailed        the vendor refused the credentials (reconnect needed)
      ├── ProviderUnavailable       the vendor is down or timed out (retry later)
      ├── ProviderRateLimited       the vendor said slow down (retry after ``retry_after`` s)
      └── ProviderMalformedResponse the vendor answered something unreadable (that page is skipped)
 └── NutritionSourceError           a food source failed (any other vendor failure)
      ├── SourceUnavailable         the source is down or timed out (retry after ``retry_after`` s)
      ├── SourceRateLimited         the source's quota is spent (retry after ``retry_after`` s)
      └── FoodNotFound              no such food or barcode at this source
 └── NotifierError                  a notifier failed to deliver a message (treated as give up)
      ├── DeliveryRetryLater        the channel is down, timed out or said later (``retry_after`` s)
      ├── DeliveryGaveUp            the channel refused for good (its credentials, the message)
      └── RecipientInvalid          the channel refused the recipient's address (no retry)
"""

from __future__ import annotations


class PluginError(Exception):
    """Root of the errors raised by plugins."""


class ProviderError(PluginError):
    """A device provider failed to talk to its vendor."""


class ProviderAuthFailed(ProviderError):
    """The vendor refused the user's tokens or the app's credentials (HTTP 401, a refused refresh)."""


class ProviderUnavailable(ProviderError):
    """The vendor is down, answered 5xx or did not answer in time; counts towards the breaker."""


class ProviderRateLimited(ProviderError):
    """The vendor said slow down (HTTP 429); ``retry_after`` is its wait in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderMalformedResponse(ProviderError):
    """The vendor answered with a body that is not what its API promises (bad JSON, wrong shape)."""


class NutritionSourceError(PluginError):
    """A nutrition source failed to answer (a vendor error that is neither of the ones below)."""


class SourceUnavailable(NutritionSourceError):
    """The source is down, answered 5xx or did not answer in time (HTTP 503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceRateLimited(NutritionSourceError):
    """The source's quota is spent (the vendor's 429, or fithub's own count of its limits)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FoodNotFound(NutritionSourceError):
    """The source has no food with this id or barcode."""


class NotifierError(PluginError):
    """A notifier failed to deliver a message; fithub records it and does not retry."""


class DeliveryRetryLater(NotifierError):
    """The channel is down, answered 5xx, timed out or said later (an SMTP 4xx, a 429).

    ``retry_after`` is the channel's wait in seconds, if it gave one; fithub retries with backoff.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryGaveUp(NotifierError):
    """The channel refused for good: fithub's credentials (an auth failure), the message itself."""


class RecipientInvalid(NotifierError):
    """The channel refused the recipient's address (no such mailbox, an unregistered token)."""
