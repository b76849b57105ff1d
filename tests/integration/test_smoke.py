async def test_health(api):
    r = await api.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"

async def test_me(api, user):
    r = await api.get("/api/v1/users/me", headers=user.auth)
    assert r.json()["email"] == user.email
