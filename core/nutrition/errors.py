"""The nutrition domain's errors (listed in the tree of core/errors.py).

::

    FithubError
     ├── FoodSourceFailed            502 source_error            a source answered with an error
     ├── FoodSourceNotConfigured     503 source_not_configured   e.g. usda without an API key
     └── FoodSourceUnavailable       503 source_unavailable      down or timed out, with Retry-After

A source's spent quota is a plain ``RateLimited`` (429) with ``code="source_rate_limited"`` and
``Retry-After``; an unknown food, source or serving is ``NotFound`` / ``ValidationFailed`` with a
precise code (``unknown_food``, ``unknown_source``, ``food_not_found``, ``invalid_barcode``,
``unknown_serving``, ``implausible_amount``).
"""

from __future__ import annotations

from fithub.core.errors import FithubError


class FoodSourceFailed(FithubError):
    """A nutrition source answered with an error fithub cannot turn into anything better."""

    status, code = 502, "source_error"


class FoodSourceNotConfigured(FithubError):
    """The source needs settings this deployment does not have (an API key)."""

    status, code = 503, "source_not_configured"


class FoodSourceUnavailable(FithubError):
    """The source is down or did not answer in time; ``Retry-After`` says when to try again."""

    status, code = 503, "source_unavailable"
