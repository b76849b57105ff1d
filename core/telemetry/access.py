"""Who may watch whose live telemetry (``/ws/v1/telemetry/watch``).

You may always watch yourself (your other screens). A trainer may watch a client only while their
relation is active *and* the client shares live data (``share_live``, the ``live`` share flag of
the coaching API); the class view watches every such client at once. Anyone else is refused with
:class:`NotWatchable`, a 404 that does not say whether the user exists. The watch socket asks
again on every ``watch`` message and every :data:`RECHECK_S` seconds, so a client who stops
sharing (or ends the relation) stops being watched within that period.
"""

from __future__ import annotations

from collections.abc import Iterable

from fithub.core.accounts.models import CoachingRelation, RelationStatus
from fithub.core.telemetry.errors import NotWatchable

#: How often a watching socket asks again whom it may watch (revoked sharing takes effect by then).
RECHECK_S = 30.0
#: The most users one socket may watch (a class view of a larger roster keeps the first ones).
MAX_WATCHED = 500


async def live_clients(trainer_id: int) -> list[int]:
    """Ids of the trainer's active clients who share live data, in the order they joined."""
    rows = (
        await CoachingRelation.filter(
            trainer_id=trainer_id, status=RelationStatus.ACTIVE, share_live=True
        )
        .order_by("id")
        .values_list("client_id", flat=True)
    )
    return [int(value) for value in rows if value is not None]  # type: ignore[call-overload]


async def watchable(
    viewer_id: int,
    requested_ids: Iterable[int] | None,
    all_clients: bool = False,
    *,
    refuse: bool = True,
) -> list[int]:
    """The users ``viewer_id`` may watch for this request, requested ones first, without repeats.

    ``requested_ids`` None (and no class view) means yourself. With ``all_clients`` the list adds
    every active client sharing live data (possibly none yet). Raises :class:`NotWatchable` if any
    requested user may not be watched: the whole request is refused, naming nobody. With
    ``refuse=False`` (a re-check of a running watch) such users are left out instead.
    """
    requested = list(dict.fromkeys(requested_ids or ()))
    if requested_ids is None and not all_clients:
        requested = [viewer_id]
    others = [user_id for user_id in requested if user_id != viewer_id]
    clients = await live_clients(viewer_id) if others or all_clients else []
    if not refuse:
        requested = [u for u in requested if u == viewer_id or u in clients]
    elif any(user_id not in clients for user_id in others):
        raise NotWatchable(
            "You may watch yourself and the active clients who share live data with you; "
            "no such user, or the user does not share live data with you."
        )
    if all_clients:
        requested += [user_id for user_id in clients if user_id not in requested]
    return requested[:MAX_WATCHED]
