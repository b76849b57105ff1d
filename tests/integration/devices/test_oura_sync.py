"""Oura end to end through a real server (and a real worker on Redis): connect, sync, read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import (
    OURA,
    connect,
    connect_and_backfill,
    devices,
    query_db,
    read_all,
    seed,
    sync_now,
    wait_sync,
)
from tests.support import FithubServer


def _hr_count_since(oura: FakeOura, account: str, since: str) -> int:
    start = datetime.fromisoformat(since)
    return sum(
        1 for b in oura.items(account, "heartrate")
        if datetime.fromisoformat(b["timestamp"]) >= start
    )  # fmt: skip


async def test_connect_backfill_and_read_normalised_data(
    api, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    connected = await connect(api, user, oura, account)
    connection = connected["connection"]
    assert connection["status"] == "connected"
    assert connection["external_user_id"] == account
    assert set(connection["scopes"]) == {"personal", "daily", "heartrate", "workout"}
    assert connected["sync"]["trigger"] == "backfill"

    backfill = await wait_sync(api, user, connected["sync"]["id"])
    assert backfill["status"] == "succeeded", backfill
    assert backfill["errors"] == 0 and backfill["inserted"] > 0
    assert set(backfill["details"]["types"]) == {"daily", "activities", "sleep", "heart_rate"}
    assert backfill["details"]["types"]["heart_rate"]["pages"] > 1  # paged to the end

    # The tokens are sealed in the database and never written in clear, nor logged.
    rows = query_db(
        server,
        "SELECT credentials, credentials_key_id FROM device_connections WHERE user_id = $1",
        user.id,
    )
    (sealed, key_id), = rows
    assert sealed.startswith(f"{key_id}.")
    issued = oura.tokens_of(account)
    assert len(issued) >= 2
    logs = server.read_logs()
    for token in issued:
        assert token not in sealed and token not in logs
    listing = await devices(api, user)
    assert all(token not in str(listing) for token in issued)
    assert listing["connections"][0]["status"] == "connected"
    oura_provider = next(p for p in listing["providers"] if p["name"] == "oura")
    assert oura_provider["configured"] and oura_provider["supported"]
    assert oura_provider["breaker"]["state"] == "closed"

    samples = await read_all(api, user, "/api/v1/samples", kind="heart_rate", order="asc")
    assert len(samples) == _hr_count_since(oura, account, backfill["window_start"])
    times = [s["time"] for s in samples]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert samples[0]["unit"] == "bpm" and samples[0]["provider"] == "oura"

    days = await read_all(api, user, "/api/v1/daily")
    stored = {d["external_id"]: d for d in days}
    for item in oura.items(account, "daily_activity"):
        if item["id"] in stored:
            day = stored[item["id"]]
            assert day["steps"] == item["steps"]
            assert day["distance_m"] == item["equivalent_walking_distance"]
    assert len(days) >= 3

    workouts = await read_all(api, user, "/api/v1/activity", include_raw="true")
    assert workouts and all(w["raw"]["id"] == w["external_id"] for w in workouts)
    assert {w["sport"] for w in workouts} <= {"walking", "running", "cycling"}

    nights = await read_all(api, user, "/api/v1/sleep")
    assert nights and all(n["stages"] and not n["is_nap"] for n in nights)
    assert {s["stage"] for s in nights[0]["stages"]} == {"deep", "light", "rem", "awake"}
    hrv = await read_all(api, user, "/api/v1/samples", kind="hrv_rmssd")
    assert hrv and hrv[0]["unit"] == "ms" and hrv[0]["context"] == "sleep"

    # A window: only what started in it.
    day = days[0]["day"]
    one_day = await read_all(api, user, "/api/v1/daily", **{"from": day, "to": day})
    assert [d["day"] for d in one_day] == [day]

    # Someone else sees none of it.
    assert await read_all(api, await _other(api), "/api/v1/samples") == []


async def _other(api) -> Account:
    from tests.conftest import sign_up

    return await sign_up(api)


async def test_running_sync_again_writes_nothing_new_and_sees_changes(
    api, user: Account, oura: FakeOura
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    before = await read_all(api, user, "/api/v1/samples")

    again = await sync_now(api, user)
    assert again["status"] == "succeeded" and again["trigger"] == "manual"
    assert again["inserted"] == 0 and again["updated"] == 0 and again["unchanged"] > 0
    assert len(await read_all(api, user, "/api/v1/samples")) == len(before)

    # The vendor revises a workout: the next sync updates that one row.
    workout = oura.items(account, "workout")[-1]
    workout["calories"] = 999.0
    revised = await sync_now(api, user, data_types="activities")
    assert revised["data_types"] == ["activities"]
    assert set(revised["details"]["types"]) == {"activities"}
    assert revised["updated"] == 1 and revised["inserted"] == 0
    workouts = await read_all(api, user, "/api/v1/activity")
    assert [w["calories_kcal"] for w in workouts if w["external_id"] == workout["id"]] == [999.0]


async def test_an_access_token_expiring_mid_sync_is_refreshed(api, user: Account, oura: FakeOura):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    refreshes = len(oura.requests_to(oura.token_path))
    oura.inject(expire_tokens=True, skip=2, account=account)  # the third call finds it expired

    result = await sync_now(api, user)
    assert result["status"] == "succeeded", result
    assert len(oura.requests_to(oura.token_path)) == refreshes + 1
    listing = await devices(api, user)
    assert listing["connections"][0]["status"] == "connected"
    assert (await sync_now(api, user))["status"] == "succeeded"  # the new tokens were stored


async def test_a_refused_refresh_asks_the_user_to_connect_again(
    api, user: Account, oura: FakeOura
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    oura.refuse_refresh_for.add(account)
    oura.expire_access_tokens(account)

    result = await sync_now(api, user)
    assert result["status"] == "failed" and "reauth required" in result["error"], result
    connection = (await devices(api, user))["connections"][0]
    assert connection["status"] == "reauth_required"
    assert connection["next_sync_at"] is None
    refused = await api.post(f"{OURA}/sync", headers=user.auth)
    assert refused.status_code == 409 and refused.json()["code"] == "reauth_required"

    # Connecting again resumes syncing, keeping what was stored.
    oura.refuse_refresh_for.discard(account)
    again = await connect(api, user, oura, account)
    assert again["connection"]["status"] == "connected"
    resumed = await wait_sync(api, user, again["sync"]["id"])
    assert resumed["status"] == "succeeded" and resumed["inserted"] == 0


async def test_disconnect_revokes_the_grant_and_deletes_the_tokens(
    api, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    live = [t for t in oura.tokens_of(account) if t in oura.access_tokens]
    stored = len(await read_all(api, user, "/api/v1/samples"))

    gone = await api.delete(OURA, headers=user.auth)
    assert gone.status_code == 204, gone.text
    assert live and all(oura.is_revoked(token) for token in live)
    rows = query_db(
        server,
        "SELECT status, credentials, credentials_key_id FROM device_connections "
        "WHERE user_id = $1",
        user.id,
    )
    assert rows == [("disconnected", None, None)]
    connection = (await devices(api, user))["connections"][0]
    assert connection["status"] == "disconnected" and connection["synced_until"] == {}
    refused = await api.post(f"{OURA}/sync", headers=user.auth)
    assert refused.status_code == 409 and refused.json()["code"] == "connection_not_active"
    assert len(await read_all(api, user, "/api/v1/samples")) == stored  # the data stays
    again = await api.delete(OURA, headers=user.auth)
    assert again.status_code == 404


async def test_sync_logs_are_listed_newest_first(api, user: Account, oura: FakeOura):
    account = seed(oura)
    backfill = await connect_and_backfill(api, user, oura, account)
    manual = await sync_now(api, user)
    listing = await api.get(f"{OURA}/syncs", headers=user.auth, params={"limit": 1})
    assert listing.status_code == 200
    page = listing.json()
    assert [s["id"] for s in page["items"]] == [manual["id"]] and page["next_cursor"]
    rest = await api.get(f"{OURA}/syncs", headers=user.auth,
                         params={"cursor": page["next_cursor"]})  # fmt: skip
    assert [s["id"] for s in rest.json()["items"]] == [backfill["id"]]
    since = datetime.fromisoformat(manual["window_start"])
    assert datetime.now(UTC) - since < timedelta(days=3)  # look-back, not a new backfill
