"""Background jobs of the coaching domain."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from fithub.core.audit import services as audit
from fithub.core.coaching import deadlines
from fithub.core.context import ClientInfo
from fithub.core.jobs import job


@job("coaching.mark_missed_assignments")
async def mark_missed_assignments() -> int:
    """Persist ``missed`` on pending assignments past their due date; idempotent. Run daily."""
    async with in_transaction() as conn:
        marked = await deadlines.mark_missed(conn)
        await audit.record(
            "maintenance.assignments_missed",
            ClientInfo.system(),
            subject_id=None,
            details={"marked": len(marked)},
        )
    return len(marked)
