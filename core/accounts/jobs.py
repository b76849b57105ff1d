"""Background jobs of the accounts domain."""

from __future__ import annotations

from datetime import timedelta

from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.jobs import job, job_runtime


@job("accounts.purge_expired_sessions")
async def purge_expired_sessions(older_than_days: int) -> None:
    """Delete sessions that ended more than ``older_than_days`` ago; idempotent."""
    count = await job_runtime().accounts.purge_expired_sessions(timedelta(days=older_than_days))
    await audit.record(
        "maintenance.sessions_purged",
        ClientInfo.system(),
        subject_id=None,
        details={"deleted": count, "older_than_days": older_than_days},
    )
