"""The telemetry domain's errors: those a client sees, and the ones its socket uses internally.

Client-facing (listed in the tree of core/errors.py, under NotFound and ValidationFailed)::

    FithubError
     ├── NotWatchable          404 not_watchable
     └── BatchRejected         422 batch_rejected

Internal (caught inside the domain, never shown to a client as such)::

    Exception
     └── SequenceConflict      another socket stored the stream's next batch (storage, socket)

A Bluetooth payload that does not parse raises ``PayloadError`` (a ValueError of the pure
``gatt.py``), which ``batch.py`` turns into one of BatchRejected's errors.
"""

from __future__ import annotations

from fithub.core.errors import NotFound, ValidationFailed


class NotWatchable(NotFound):
    """A requested user is not yourself nor an active client sharing live data with you."""

    code = "not_watchable"


class BatchRejected(ValidationFailed):
    """The whole batch is refused; ``errors`` say which items and why."""

    code = "batch_rejected"


class SequenceConflict(Exception):
    """The stream's last stored batch is not ``seq - 1`` any more (another socket stored it)."""
