"""The media domain's internal exceptions: caught inside the domain, never shown to a client as such.

Uploads and analyses report these as a video's failure (its status and message), not as an HTTP
error::

    Exception
     ├── ValueError
     │    └── ContainerError        the bytes are not a supported video (core/media/containers.py)
     │         ├── UnknownContainer   not an MP4, MOV, WebM or Matroska file
     │         └── DamagedContainer   a supported container, cut short or incomplete
     └── AnalysisFailed             the clip could not be analysed (core/media/runner.py)
"""

from __future__ import annotations


class ContainerError(ValueError):
    """The bytes are not a supported video container, or the container is damaged."""


class UnknownContainer(ContainerError):
    """Not an MP4, MOV, WebM or Matroska file (whatever its name says)."""


class DamagedContainer(ContainerError):
    """A supported container that is cut short or lacks what a video needs."""


class AnalysisFailed(Exception):
    """The clip could not be analysed; ``kind`` says why, the message says it to people."""

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind
