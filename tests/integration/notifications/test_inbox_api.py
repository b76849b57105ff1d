"""The inbox through ``/api/v1/notifications`` on a running server: a personal record logged through
the API becomes an inbox item; read, read-all, dismiss and the unread count follow; nobody else can
see, read, dismiss or inspect it."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.integration.conftest import Catalog
from tests.integration.helpers import assert_problem
from tests.integration.notifications.inbox_helpers import (
    deliveries,
    inbox,
    log_personal_record,
    unread,
    wait_for_record_items,
)


async def test_a_personal_record_lands_in_the_inbox_and_is_read_then_dismissed(
    api: httpx.AsyncClient, user: Account, catalog: Catalog
) -> None:
    assert await unread(api, user) == 0
    logged = await log_personal_record(api, user, catalog.id("Squat"), weight=100)
    items = await wait_for_record_items(api, user)
    item = items[0]
    assert item["context"]["set_id"] == logged["set"]["id"]
    assert item["title"] and item["text"] and item["read_at"] is None
    assert item["created_at"].endswith("Z") or "+" in item["created_at"]
    everything = await inbox(api, user)
    assert [i["id"] for i in everything] == sorted((i["id"] for i in everything), reverse=True)
    count = await unread(api, user)
    assert count == len(everything) >= 1

    marked = await api.post(f"/api/v1/notifications/{item['id']}/read", headers=user.auth)
    assert marked.status_code == 200, marked.text
    assert marked.json()["id"] == item["id"] and marked.json()["read_at"] is not None
    assert await unread(api, user) == count - 1
    again = await api.post(f"/api/v1/notifications/{item['id']}/read", headers=user.auth)
    assert again.json()["read_at"] == marked.json()["read_at"]  # reading twice changes nothing
    unread_ids = {i["id"] for i in await inbox(api, user, unread="true")}
    assert item["id"] not in unread_ids and len(unread_ids) == count - 1
    assert item["id"] in {i["id"] for i in await inbox(api, user, unread="false")}

    all_read = await api.post("/api/v1/notifications/read-all", headers=user.auth)
    assert all_read.status_code == 200 and all_read.json() == {"marked": count - 1}
    assert await unread(api, user) == 0
    assert await inbox(api, user, unread="true") == []

    gone = await api.post(f"/api/v1/notifications/{item['id']}/dismiss", headers=user.auth)
    assert gone.status_code == 204, gone.text
    assert item["id"] not in {i["id"] for i in await inbox(api, user)}
    assert len(await inbox(api, user)) == len(everything) - 1
    # its deliveries stay visible: one per channel this server delivers on, no addresses
    for row in await deliveries(api, user, item["id"]):
        assert set(row) == {"id", "channel", "status", "attempts", "last_error",
                            "provider_message_id", "sent_at"}  # fmt: skip


async def test_the_inbox_pages_newest_first(
    api: httpx.AsyncClient, user: Account, catalog: Catalog
) -> None:
    await log_personal_record(api, user, catalog.id("Deadlift"), weight=120)
    items = await wait_for_record_items(api, user)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await api.get("/api/v1/notifications", params=params, headers=user.auth)
        assert page.status_code == 200, page.text
        seen += [i["id"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= len(items) and seen == sorted(seen, reverse=True)
    bad = await api.get("/api/v1/notifications", params={"cursor": "%%"}, headers=user.auth)
    assert_problem(bad, 422, "validation_failed")


async def test_another_user_cannot_see_read_dismiss_or_inspect_it(
    api: httpx.AsyncClient, user: Account, other_user: Account, catalog: Catalog
) -> None:
    await log_personal_record(api, user, catalog.id("Bench Press"), weight=80)
    item = (await wait_for_record_items(api, user))[0]
    assert await inbox(api, other_user) == []
    assert await unread(api, other_user) == 0
    for method, path in (
        ("POST", f"/api/v1/notifications/{item['id']}/read"),
        ("POST", f"/api/v1/notifications/{item['id']}/dismiss"),
        ("GET", f"/api/v1/notifications/{item['id']}/deliveries"),
    ):
        answer = await api.request(method, path, headers=other_user.auth)
        assert_problem(answer, 404, "not_found")
    read_all = await api.post("/api/v1/notifications/read-all", headers=other_user.auth)
    assert read_all.json() == {"marked": 0}
    mine = {i["id"]: i for i in await inbox(api, user)}
    assert item["id"] in mine and mine[item["id"]]["read_at"] is None  # untouched
    assert await unread(api, user) >= 1


async def test_the_inbox_needs_a_token(api: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/notifications/unread-count"),
        ("POST", "/api/v1/notifications/read-all"),
        ("GET", "/api/v1/notifications/push-tokens"),
    ):
        assert_problem(await api.request(method, path), 401)
    missing = await api.post(
        "/api/v1/notifications/9223372036854775807/read", headers={"Authorization": "Bearer x"}
    )
    assert missing.status_code == 401
