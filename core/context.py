"""Who is asking and from where: passed from routes (or sockets, or jobs) into services."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientInfo:
    """The origin of a request, recorded in sessions and the audit log."""

    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls) -> ClientInfo:
        """For work started by fithub itself (command line, jobs)."""
        return cls(ip_address=None, user_agent="fithub-system", request_id=None)
