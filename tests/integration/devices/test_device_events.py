"""What device syncs tell the rest of fithub: ``sync.completed`` and ``data.stored`` events.

These domain events feed notifications and the outbound webhooks (docs/webhooks-outbound.md):
``data.stored`` names what a stored batch wrote, at most 500 vendor ids per event, and nothing
when a sync found nothing new.
"""

from __future__ import annotations

import json
from typing import Any

from fithub.core.devices.store import ANNOUNCE_BATCH
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import connect_and_backfill, query_db, seed, sync_now
from tests.support import FithubServer


def _events(server: FithubServer, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = query_db(
        server, "SELECT type, payload FROM domain_events WHERE user_id = $1 ORDER BY id", user_id
    )
    return [(kind, payload if isinstance(payload, dict) else json.loads(payload))
            for kind, payload in rows]  # fmt: skip


async def test_a_sync_announces_what_it_stored_and_a_quiet_sync_nothing(
    api, user: Account, oura: FakeOura, server: FithubServer
) -> None:
    account = seed(oura)
    backfill = await connect_and_backfill(api, user, oura, account)
    events = _events(server, user.id)
    completed = [p for kind, p in events if kind == "sync.completed"]
    assert [p["sync_id"] for p in completed] == [backfill["id"]]
    assert completed[0]["provider"] == "oura" and completed[0]["inserted"] == backfill["inserted"]
    stored = [p for kind, p in events if kind == "data.stored"]
    assert {p["data_type"] for p in stored} >= {"activity", "daily", "samples", "sleep"}
    assert all(0 < len(p["external_ids"]) <= ANNOUNCE_BATCH for p in stored)
    assert all(p["provider"] == "oura" and p["start"] <= p["end"] for p in stored)
    workout_ids = {w["id"] for w in oura.items(account, "workout")}
    announced = {i for p in stored if p["data_type"] == "activity" for i in p["external_ids"]}
    assert announced == workout_ids

    again = await sync_now(api, user)
    assert again["inserted"] == 0 and again["updated"] == 0
    after = _events(server, user.id)[len(events):]
    assert [kind for kind, _ in after] == ["sync.completed"]  # nothing new: no data.stored
