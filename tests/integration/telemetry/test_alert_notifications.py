"""A ``telemetry.alert`` domain event (as the live alert evaluation emits it) reaches the person's
inbox on a running server, written in their language, once per rule and firing time."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account, sign_up
from tests.integration.notifications.inbox_helpers import inbox, wait_for
from tests.integration.telemetry.server_db import server_db
from tests.support import FithubServer

FIRED_AT = "2026-12-07T08:15:00+00:00"


async def emit_alert(server: FithubServer, account: Account, rule_id: int, **payload: Any) -> None:
    """Write the event to the server's outbox, as core/telemetry does when a rule fires."""
    from fithub.core.events.services import emit

    body = {"rule_id": rule_id, "name": "Too hard", "condition": "above_zone", "stream_id": 7,
            "bpm": 172, "zone": 5, "duration_s": 60, "t": FIRED_AT} | payload  # fmt: skip
    async with server_db(server):
        await emit("telemetry.alert", account.id, body)


async def alert_items(api: httpx.AsyncClient, account: Account, count: int) -> list[dict[str, Any]]:
    async def found() -> list[dict[str, Any]] | None:
        items = [i for i in await inbox(api, account) if i["kind"] == "telemetry.alert"]
        return items if len(items) >= count else None

    return await wait_for(f"{count} telemetry.alert inbox item(s)", found)


async def rule(api: httpx.AsyncClient, account: Account, **body: Any) -> int:
    body = {"name": "Too hard", "condition": "above_zone", "zone": 4} | body
    made = await api.post("/api/v1/telemetry/alerts", headers=account.auth, json=body)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_an_alert_lands_in_the_inbox_in_english_once_per_firing(
    api: httpx.AsyncClient, server: FithubServer, user: Account
) -> None:
    rule_id = await rule(api, user)
    await emit_alert(server, user, rule_id)
    await emit_alert(server, user, rule_id)  # the same firing again: no second notification
    [item] = await alert_items(api, user, 1)
    assert item["title"] == "Heart rate above zone 4"  # the rule's zone, from the rule
    # duration 60 s = 1 minute; 08:15 UTC in the default zone (UTC)
    assert ("Your heart rate went above zone 4. This lasted 1 minute. Last reading: 172 bpm, "
            "zone 5. Your alert “Too hard” fired on Dec 7, 2026, 8:15\u202fAM.") in item["text"]  # fmt: skip
    assert item["context"]["rule_id"] == rule_id and item["context"]["stream_id"] == 7

    later = "2026-12-07T08:40:00+00:00"
    await emit_alert(server, user, rule_id, condition="signal_lost", bpm=None, zone=None,
                     duration_s=45, t=later)  # fmt: skip
    items = await alert_items(api, user, 2)
    assert len(items) == 2  # the repeated first firing, read before this one, made nothing
    newest = items[0]
    assert newest["title"] == "Heart-rate signal lost"
    assert "Your heart-rate sensor stopped sending. This lasted 45 seconds." in newest["text"]
    assert "Last reading" not in newest["text"]


async def test_an_alert_is_written_in_german_for_a_german_speaker(
    api: httpx.AsyncClient, server: FithubServer
) -> None:
    person = await sign_up(api, locale="de", timezone="Europe/Berlin")
    rule_id = await rule(api, person, name="Zu schnell", condition="above_rate", zone=None, bpm=180)
    await emit_alert(server, person, rule_id, name="Zu schnell", condition="above_rate", bpm=181,
                     zone=None, duration_s=30)  # fmt: skip
    [item] = await alert_items(api, person, 1)
    assert item["title"] == "Puls über 180 bpm"  # the rule's threshold
    # 08:15 UTC is 09:15 in Berlin (CET, UTC+1 in December); no zone known: the rate alone
    assert ("Dein Puls ist über 180 bpm gestiegen. Das dauerte 30 Sekunden. Letzter Wert: "
            "181 bpm. Dein Alarm „Zu schnell“ wurde am 07.12.2026, 09:15 ausgelöst.") in item["text"]  # fmt: skip
