"""Preferences, settings and one-click unsubscribe through ``/api/v1/notifications`` on a running
server: round trips, and 422 problems that leave everything as it was."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.notifications.inbox_helpers import set_preferences
from tests.integration.readonly_db import select
from tests.support import FithubServer

PREFERENCES = "/api/v1/notifications/preferences"
SETTINGS = "/api/v1/notifications/settings"


async def table(api: httpx.AsyncClient, account: Account) -> dict[str, dict[str, Any]]:
    answer = await api.get(PREFERENCES, headers=account.auth)
    assert answer.status_code == 200, answer.text
    return {row["kind"]: row for row in answer.json()["items"]}


async def settings(api: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    answer = await api.get(SETTINGS, headers=account.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_preferences_round_trip(api: httpx.AsyncClient, user: Account) -> None:
    before = await table(api, user)
    record = before["record.achieved"]
    assert record["channels"] == {"inapp": True, "email": False, "push": True, "sms": False}
    assert before["account.password_reset"]["urgent"] is True
    assert before["account.password_reset"]["channels"]["email"] is True

    changed = await set_preferences(
        api, user, ("record.achieved", "sms", True), ("record.achieved", "push", False)
    )
    assert changed.status_code == 200, changed.text
    rows = {row["kind"]: row for row in changed.json()["items"]}
    expected = {"inapp": True, "email": False, "push": False, "sms": True}
    assert rows["record.achieved"]["channels"] == expected
    assert (await table(api, user))["record.achieved"]["channels"] == expected
    assert (await table(api, user))["goal.achieved"] == before["goal.achieved"]  # untouched

    back = await set_preferences(api, user, ("record.achieved", "push", True))
    assert back.status_code == 200
    assert (await table(api, user))["record.achieved"]["channels"]["push"] is True


async def test_bad_preferences_are_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    before = await table(api, user)
    valid = ("goal.achieved", "sms", True)
    for bad, field in (
        (("no.such.kind", "email", True), "1.kind"),
        (("goal.achieved", "carrier-pigeon", True), "1.channel"),
        (("account.password_reset", "email", False), "1.enabled"),
        (("security.new_sign_in", "email", False), "1.enabled"),
    ):
        answer = await set_preferences(api, user, valid, bad)
        body = assert_problem(answer, 422, "validation_failed")
        assert error_fields(body) == {field}, body
        assert await table(api, user) == before  # the valid change was not stored either
    for body in ({"kind": "goal.achieved"}, [{"kind": "goal.achieved", "channel": "sms"}],
                 [{"kind": "goal.achieved", "channel": "sms", "enabled": True, "extra": 1}]):  # fmt: skip
        answer = await api.put(PREFERENCES, json=body, headers=user.auth)
        assert_problem(answer, 422)
    not_json = await api.put(PREFERENCES, content=b"kind=x", headers={
        **user.auth, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_problem(not_json, 415)
    assert await table(api, user) == before
    assert await table(api, other_user) == before  # one user's choices are theirs alone


async def test_a_phone_number_is_checked_and_stored_in_e164(
    api: httpx.AsyncClient, user: Account
) -> None:
    assert await settings(api, user) == {"quiet_hours": None, "phone_number": None,
                                         "timezone": "UTC"}  # fmt: skip
    put = await api.put(SETTINGS, json={"phone_number": "+44 20 7946 0958"}, headers=user.auth)
    assert put.status_code == 200, put.text
    assert put.json()["phone_number"] == "+442079460958"  # stored in E.164
    assert await settings(api, user) == put.json()
    again = await api.put(SETTINGS, json={"phone_number": "+1 (415) 555-2671"}, headers=user.auth)
    assert again.json() == {**put.json(), "phone_number": "+14155552671"}

    for number, words in (
        ("020 7946 0958", "international format"),
        ("+44 20 7946 095x", "only digits"),
        ("+1 555 0100", "not a valid phone number"),
    ):
        answer = await api.put(SETTINGS, json={"phone_number": number,
                                               "quiet_hours": None}, headers=user.auth)  # fmt: skip
        body = assert_problem(answer, 422, "validation_failed")
        assert error_fields(body) == {"phone_number"}
        assert words in body["errors"][0]["message"], body
        assert number not in answer.text  # the message does not repeat the number
    for quiet_hours in ({"start": "22:00", "end": "22:00"}, {"start": "24:00", "end": "07:00"},
                        {"start": "7:00", "end": "08:00"}, {"start": "22:00"}):  # fmt: skip
        answer = await api.put(SETTINGS, json={"quiet_hours": quiet_hours, "phone_number": None},
                               headers=user.auth)  # fmt: skip
        assert_problem(answer, 422, "validation_failed")
    assert await settings(api, user) == again.json()  # nothing stored half-done

    cleared = await api.put(SETTINGS, json={"phone_number": None}, headers=user.auth)
    assert cleared.json() == {"quiet_hours": None, "phone_number": None, "timezone": "UTC"}


async def test_quiet_hours_round_trip(api: httpx.AsyncClient, user: Account) -> None:
    quiet = {"start": "22:30", "end": "07:00"}
    put = await api.put(SETTINGS, json={"quiet_hours": quiet}, headers=user.auth)
    assert put.status_code == 200, put.text
    assert put.json()["quiet_hours"] == quiet
    assert (await settings(api, user))["quiet_hours"] == quiet
    cleared = await api.put(SETTINGS, json={"quiet_hours": None}, headers=user.auth)
    assert cleared.json()["quiet_hours"] is None
    assert (await settings(api, user))["quiet_hours"] is None


async def test_one_click_unsubscribe(
    api: httpx.AsyncClient, server: FithubServer, user: Account
) -> None:
    await settings(api, user)  # made on first use, with the link's token
    rows = await select(
        server, "SELECT unsubscribe_token FROM notification_settings WHERE user_id = $1", user.id
    )
    link = f"/api/v1/notifications/unsubscribe/{rows[0]['unsubscribe_token']}"
    assert (await table(api, user))["goal.achieved"]["channels"]["email"] is True

    page = await api.get(link, params={"kind": "goal.achieved"})  # a mail client opening it
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text and "One-Click" in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert (await table(api, user))["goal.achieved"]["channels"][
        "email"
    ] is True  # GET changes nothing

    done = await api.post(link, params={"kind": "goal.achieved"},
                          data={"List-Unsubscribe": "One-Click"})  # RFC 8058, no token  # fmt: skip
    assert done.status_code == 200, done.text
    assert "Unsubscribed" in done.text
    after = await table(api, user)
    assert after["goal.achieved"]["channels"]["email"] is False
    assert after["goal.achieved"]["channels"]["inapp"] is True
    again = await api.post(link, params={"kind": "goal.achieved"},
                           data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    assert again.status_code == 200  # idempotent

    urgent = await api.post(link, params={"kind": "account.password_reset"},
                            data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    assert_problem(urgent, 422, "validation_failed")
    unknown_kind = await api.get(link, params={"kind": "no.such.kind"})
    assert_problem(unknown_kind, 422, "validation_failed")
    no_body = await api.post(link, params={"kind": "sync.failing"})
    assert_problem(no_body, 422)
    for method in ("GET", "POST"):
        wrong = await api.request(method, "/api/v1/notifications/unsubscribe/not-a-token",
                                  params={"kind": "sync.failing"},
                                  data={"List-Unsubscribe": "One-Click"} if method == "POST" else None)  # fmt: skip
        assert_problem(wrong, 404, "not_found")
    assert (await table(api, user))["sync.failing"]["channels"]["email"] is True
