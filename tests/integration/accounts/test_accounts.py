"""Accounts over HTTP: registration, sign-in, profile, password, deletion and sessions."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.integration.helpers import (
    assert_problem,
    bearer,
    error_fields,
    login,
    login_ok,
    random_email,
)

NEW_PASSWORD = "a-brand-new-passphrase"


async def _me(api, token: str):
    return await api.get("/api/v1/users/me", headers=bearer(token))


# -- registration ---------------------------------------------------------------------------------


async def test_register_makes_the_account(api):
    email = random_email()
    response = await api.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "display_name": "  Ada  ",
            "birth_date": "1990-05-17",
            "height_cm": 171.5,
            "timezone": "Europe/Paris",
            "locale": "fr-CA",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "verification_sent"
    tokens = await login_ok(api, email, PASSWORD)
    body = (await _me(api, tokens["access_token"])).json()
    assert isinstance(body["id"], int)
    assert body["email"] == email
    assert body["email_verified"] is False
    assert body["display_name"] == "Ada"
    assert body["birth_date"] == "1990-05-17"
    assert body["height_cm"] == 171.5
    assert body["timezone"] == "Europe/Paris"
    assert body["locale"] == "fr-CA"
    assert (body["unit_system"], body["privacy"], body["role"]) == ("metric", "private", "user")
    assert body["gender"] is None and body["weight_kg"] is None
    assert "password" not in body and "password_hash" not in body


async def test_register_cannot_choose_a_role(api):
    response = await api.post(
        "/api/v1/auth/register",
        json={
            "email": random_email(),
            "password": PASSWORD,
            "display_name": "Mallory",
            "role": "admin",
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert "role" in error_fields(body)


async def test_register_rejects_a_short_password_and_a_bad_email(api):
    response = await api.post(
        "/api/v1/auth/register",
        json={
            "email": "not-an-email",
            "password": "short",
            "display_name": "X",
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert error_fields(body) == {"email", "password"}


async def test_a_taken_email_whatever_the_case_makes_no_second_account(api):
    email = random_email()
    first = await api.post(
        "/api/v1/auth/register",
        json={"email": email.upper(), "password": PASSWORD, "display_name": "A"},
    )
    assert first.status_code == 202, first.text
    tokens = await login_ok(api, email.swapcase(), PASSWORD)
    me = (await _me(api, tokens["access_token"])).json()
    assert me["email"] == email  # stored in lower case

    for candidate in (email, email.upper(), email.capitalize()):
        again = await api.post(
            "/api/v1/auth/register",
            json={"email": candidate, "password": "another-password-1", "display_name": "B"},
        )
        assert (again.status_code, again.json()) == (202, first.json())

    assert_problem(await login(api, email, "another-password-1"), 401, "bad_credentials")
    tokens = await login_ok(api, email, PASSWORD)
    assert (await _me(api, tokens["access_token"])).json() == me


# -- login ------------------------------------------------------------------------------------------


async def test_login_returns_a_token_pair(api, user):
    response = await login(api, user.email, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["access_token"].count(".") == 2
    assert body["refresh_token"] and body["session_id"]
    assert body["session_id"] != user.session_id  # every login opens its own session
    assert (await _me(api, body["access_token"])).json()["email"] == user.email


async def test_wrong_password_and_unknown_email_look_the_same(api, user):
    wrong = assert_problem(await login(api, user.email, "not-the-password"), 401, "bad_credentials")
    unknown = assert_problem(await login(api, random_email(), PASSWORD), 401, "bad_credentials")
    assert wrong["detail"] == unknown["detail"]


# -- profile --------------------------------------------------------------------------------------


async def test_get_me(api, reader):
    response = await _me(api, reader.access_token)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["display_name"]) == (
        reader.id,
        reader.email,
        "Test User",
    )


async def test_patch_changes_only_the_fields_sent(api, user):
    first = await api.patch(
        "/api/v1/users/me",
        headers=user.auth,
        json={"display_name": "Grace", "height_cm": 180.0, "gender": "female"},
    )
    assert first.status_code == 200, first.text
    second = await api.patch(
        "/api/v1/users/me",
        headers=user.auth,
        json={"timezone": "America/New_York", "unit_system": "imperial"},
    )
    assert second.status_code == 200, second.text

    stored = (await _me(api, user.access_token)).json()
    assert stored["display_name"] == "Grace"
    assert stored["height_cm"] == 180.0
    assert stored["gender"] == "female"
    assert stored["timezone"] == "America/New_York"
    assert stored["unit_system"] == "imperial"
    assert stored["locale"] == "en" and stored["privacy"] == "private"
    assert stored == second.json()


async def test_patch_null_clears_an_optional_field(api, user):
    await api.patch("/api/v1/users/me", headers=user.auth, json={"weight_kg": 70.5})
    response = await api.patch("/api/v1/users/me", headers=user.auth, json={"weight_kg": None})
    assert response.status_code == 200, response.text
    assert (await _me(api, user.access_token)).json()["weight_kg"] is None


async def test_patch_null_for_a_required_field_is_422(api, reader):
    for field in ("display_name", "timezone", "locale", "unit_system", "privacy"):
        response = await api.patch("/api/v1/users/me", headers=reader.auth, json={field: None})
        body = assert_problem(response, 422, "validation_failed")
        assert error_fields(body) == {field}
    assert (await _me(api, reader.access_token)).json()["display_name"] == "Test User"


async def test_patch_reports_each_invalid_field(api, reader):
    response = await api.patch(
        "/api/v1/users/me",
        headers=reader.auth,
        json={
            "timezone": "Mars/Olympus_Mons",
            "locale": "not a locale!",
            "birth_date": "2999-01-01",
            "height_cm": 5,
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert error_fields(body) == {"timezone", "locale", "birth_date", "height_cm"}
    for item in body["errors"]:
        assert item["message"]


async def test_patch_rejects_dates_before_1900_and_nonsense(api, reader):
    for value in ("1899-12-31", "yesterday", "2020-02-30"):
        response = await api.patch(
            "/api/v1/users/me", headers=reader.auth, json={"birth_date": value}
        )
        assert error_fields(assert_problem(response, 422)) == {"birth_date"}, value


async def test_patch_cannot_change_email_or_role(api, reader):
    for field, value in (("email", random_email()), ("role", "admin")):
        response = await api.patch("/api/v1/users/me", headers=reader.auth, json={field: value})
        assert error_fields(assert_problem(response, 422)) == {field}
    stored = (await _me(api, reader.access_token)).json()
    assert (stored["email"], stored["role"]) == (reader.email, "user")


# -- password ---------------------------------------------------------------------------------


async def test_change_password(api, user):
    other_session = await login_ok(api, user.email, PASSWORD)

    response = await api.post(
        "/api/v1/users/me/password",
        headers=user.auth,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204, response.text

    assert_problem(await login(api, user.email, PASSWORD), 401, "bad_credentials")
    await login_ok(api, user.email, NEW_PASSWORD)
    assert (await _me(api, user.access_token)).status_code == 200  # this session is kept
    assert_problem(await _me(api, other_session["access_token"]), 401, "session_ended")
    refreshed = await api.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
    )
    assert_problem(refreshed, 401, "session_ended")


async def test_change_password_needs_the_current_one(api, user):
    response = await api.post(
        "/api/v1/users/me/password",
        headers=user.auth,
        json={"current_password": "a-wrong-guess", "new_password": NEW_PASSWORD},
    )
    assert_problem(response, 401, "wrong_password")
    await login_ok(api, user.email, PASSWORD)
    assert_problem(await login(api, user.email, NEW_PASSWORD), 401, "bad_credentials")


async def test_change_password_rejects_a_short_new_one(api, user):
    response = await api.post(
        "/api/v1/users/me/password",
        headers=user.auth,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert error_fields(assert_problem(response, 422)) == {"new_password"}
    await login_ok(api, user.email, PASSWORD)


# -- deletion ---------------------------------------------------------------------------------


async def test_delete_account_with_a_wrong_password_is_refused(api, user):
    response = await api.request(
        "DELETE", "/api/v1/users/me", headers=user.auth, json={"password": "not-my-password"}
    )
    assert_problem(response, 401, "wrong_password")
    assert (await _me(api, user.access_token)).status_code == 200
    await login_ok(api, user.email, PASSWORD)


async def test_delete_account(api, user):
    response = await api.request(
        "DELETE", "/api/v1/users/me", headers=user.auth, json={"password": PASSWORD}
    )
    assert response.status_code == 204, response.text

    assert_problem(await login(api, user.email, PASSWORD), 401, "bad_credentials")
    assert_problem(await _me(api, user.access_token), 401)
    refreshed = await api.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert_problem(refreshed, 401)
    # The address is free again.
    again = await api.post(
        "/api/v1/auth/register",
        json={"email": user.email, "password": PASSWORD, "display_name": "Again"},
    )
    assert again.status_code == 202, again.text
    tokens = await login_ok(api, user.email, PASSWORD)
    assert (await _me(api, tokens["access_token"])).json()["id"] != user.id


# -- sessions ---------------------------------------------------------------------------------


async def test_sessions_list_marks_the_current_one(api, user):
    phone = await login_ok(api, user.email, PASSWORD, headers={"User-Agent": "FitPhone/1.0"})
    response = await api.get("/api/v1/sessions", headers=user.auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    by_id = {item["id"]: item for item in page["items"]}
    assert set(by_id) == {user.session_id, phone["session_id"]}
    assert by_id[user.session_id]["current"] is True
    assert by_id[phone["session_id"]]["current"] is False
    assert by_id[phone["session_id"]]["user_agent"] == "FitPhone/1.0"
    assert by_id[phone["session_id"]]["ip_address"] == api.headers["X-Forwarded-For"]

    seen_from_phone = (
        await api.get("/api/v1/sessions", headers=bearer(phone["access_token"]))
    ).json()
    assert {item["id"] for item in seen_from_phone["items"] if item["current"]} == {
        phone["session_id"]
    }


async def test_sessions_pagination(api, user):
    await login_ok(api, user.email, PASSWORD)
    await login_ok(api, user.email, PASSWORD)

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await api.get("/api/v1/sessions", headers=user.auth, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) == 1
        seen.append(page["items"][0]["id"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and len(set(seen)) == 3
    assert user.session_id in seen


async def test_sessions_rejects_a_bad_limit_or_cursor(api, reader):
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = await api.get("/api/v1/sessions", headers=reader.auth, params=params)
        assert field in error_fields(assert_problem(response, 422)), params


async def test_revoke_one_session(api, user):
    phone = await login_ok(api, user.email, PASSWORD)
    response = await api.delete(f"/api/v1/sessions/{phone['session_id']}", headers=user.auth)
    assert response.status_code == 204, response.text

    assert_problem(await _me(api, phone["access_token"]), 401, "session_ended")
    assert (await _me(api, user.access_token)).status_code == 200
    listed = (await api.get("/api/v1/sessions", headers=user.auth)).json()
    assert [item["id"] for item in listed["items"]] == [user.session_id]
    again = await api.delete(f"/api/v1/sessions/{phone['session_id']}", headers=user.auth)
    assert_problem(again, 404, "not_found")


async def test_revoke_someone_elses_session_is_404(api, user, reader):
    response = await api.delete(f"/api/v1/sessions/{reader.session_id}", headers=user.auth)
    assert_problem(response, 404, "not_found")
    assert (await _me(api, reader.access_token)).status_code == 200
    for bogus in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert_problem(await api.delete(f"/api/v1/sessions/{bogus}", headers=user.auth), 404)


async def test_logout_ends_only_this_session(api, user):
    other = await login_ok(api, user.email, PASSWORD)
    response = await api.post("/api/v1/auth/logout", headers=user.auth)
    assert response.status_code == 204, response.text

    assert_problem(await _me(api, user.access_token), 401, "session_ended")
    refreshed = await api.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert_problem(refreshed, 401, "session_ended")
    assert (await _me(api, other["access_token"])).status_code == 200


async def test_logout_all_ends_every_session(api, user, reader):
    second = await login_ok(api, user.email, PASSWORD)
    response = await api.post("/api/v1/auth/logout-all", headers=user.auth)
    assert response.status_code == 204, response.text

    for token in (user.access_token, second["access_token"]):
        assert_problem(await _me(api, token), 401, "session_ended")
    for token in (user.refresh_token, second["refresh_token"]):
        refreshed = await api.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert_problem(refreshed, 401, "session_ended")
    assert (await _me(api, reader.access_token)).status_code == 200  # other accounts untouched
    await login_ok(api, user.email, PASSWORD)  # and one can sign in again
