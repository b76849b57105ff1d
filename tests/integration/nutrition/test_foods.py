"""Foods through a real server: the built-in table (no network) and a fake Open Food Facts.

Covers search with typos, imports that update rather than duplicate, barcodes (a wrong check digit,
unknown, found and stored), a source that is down or throttled (503/429 with Retry-After), and
custom foods with their visibility.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.openfoodfacts import FakeOpenFoodFacts
from tests.conftest import Account
from tests.integration.helpers import assert_problem, error_fields
from tests.support import FithubServer, running_server

NUTRITION = "/api/v1/nutrition"


@pytest.fixture(scope="module")
def off() -> Iterator[FakeOpenFoodFacts]:
    with FakeOpenFoodFacts() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(off: FakeOpenFoodFacts) -> Iterator[FithubServer]:
    with running_server(off.fithub_env()) as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_faults(off: FakeOpenFoodFacts) -> Iterator[None]:
    yield
    off.clear_faults()


async def get(api: httpx.AsyncClient, who: Account, path: str, **params: Any) -> httpx.Response:
    return await api.get(f"{NUTRITION}{path}", params=params, headers=who.auth)


async def test_sources_are_listed(api: httpx.AsyncClient, shared_user: Account) -> None:
    response = await get(api, shared_user, "/sources")
    assert response.status_code == 200, response.text
    body = response.json()
    sources = {item["name"]: item for item in body["items"]}
    assert body["default_source"] == "builtin"
    assert sources["builtin"]["configured"] and not sources["builtin"]["needs_network"]
    assert not sources["builtin"]["barcodes"]
    assert sources["openfoodfacts"]["barcodes"] and sources["openfoodfacts"]["configured"]
    assert "ODbL" in sources["openfoodfacts"]["attribution"]


async def test_a_typo_finds_the_food_in_the_built_in_table(
    api: httpx.AsyncClient, shared_user: Account
) -> None:
    response = await get(api, shared_user, "/foods/search", q="chiken breast", page_size=5)
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["source"], page["page"], page["page_size"]) == ("builtin", 1, 5)
    assert page["total"] >= 1 and 1 <= len(page["items"]) <= 5
    first = page["items"][0]
    assert "chicken" in first["name"].lower() and "breast" in first["name"].lower()
    assert first["source"] == "builtin" and first["per_100"]["energy_kcal"] > 0


async def test_importing_twice_updates_the_same_food(
    api: httpx.AsyncClient, shared_user: Account, shared_other_user: Account
) -> None:
    body = {"source": "builtin", "source_id": "01001"}  # Butter, salted: 717 kcal per 100 g
    first = await api.post(f"{NUTRITION}/foods/import", json=body, headers=shared_user.auth)
    assert first.status_code == 200, first.text
    food = first.json()
    assert (food["name"], food["per_100"]["energy_kcal"], food["custom"]) == (
        "Butter, salted", 717, False)  # fmt: skip
    again = await api.post(f"{NUTRITION}/foods/import", json=body, headers=shared_other_user.auth)
    forced = await api.post(f"{NUTRITION}/foods/import", json={**body, "force": True},
                            headers=shared_user.auth)  # fmt: skip
    assert again.json()["id"] == forced.json()["id"] == food["id"]
    assert again.json()["fetched_at"] == food["fetched_at"]  # fresh: not fetched again
    assert forced.json()["fetched_at"] >= food["fetched_at"]
    # A search now names the stored food, and anyone may read it.
    hits = (await get(api, shared_other_user, "/foods/search", q="butter salted")).json()["items"]
    assert food["id"] in [hit["food_id"] for hit in hits if hit["source_id"] == "01001"]
    assert (await get(api, shared_other_user, f"/foods/{food['id']}")).status_code == 200


async def test_a_barcode_with_a_wrong_check_digit_is_422(
    api: httpx.AsyncClient, shared_user: Account
) -> None:
    # 301762042200 has GS1 check digit 3 (Nutella); 4 is wrong.
    response = await get(api, shared_user, "/barcodes/3017620422004")
    body = assert_problem(response, 422, "invalid_barcode")
    assert "expected 3" in body["detail"]
    assert error_fields(body) == {"code"}


async def test_a_barcode_is_looked_up_once_then_served_stored(
    api: httpx.AsyncClient, shared_user: Account, off: FakeOpenFoodFacts
) -> None:
    before = len(off.requests_to("/api/v2/product/"))
    first = await get(api, shared_user, "/barcodes/3017620422003")
    assert first.status_code == 200, first.text
    food = first.json()
    assert (food["source"], food["name"], food["barcode"]) == (
        "openfoodfacts", "Nutella", "3017620422003")  # fmt: skip
    assert food["per_100"]["energy_kcal"] == 539
    second = await get(api, shared_user, "/barcodes/3017620422003")
    assert second.json()["id"] == food["id"]
    assert len(off.requests_to("/api/v2/product/")) == before + 1


async def test_an_unknown_barcode_is_404(api: httpx.AsyncClient, shared_user: Account) -> None:
    # 500000000000: digits weighted 3,1,3,... from the right give 5 x 1 = 5; check (10 - 5) = 5.
    response = await get(api, shared_user, "/barcodes/5000000000005")
    assert_problem(response, 404, "food_not_found")


async def test_a_source_that_is_down_is_503_with_retry_after(
    api: httpx.AsyncClient, shared_user: Account, off: FakeOpenFoodFacts
) -> None:
    off.inject(status=503, path="/api/v2/")
    response = await get(api, shared_user, "/barcodes/5411188080213")  # Alpro, never fetched
    assert_problem(response, 503, "source_unavailable")
    assert response.headers["Retry-After"] == "60"  # Open Food Facts' wait after a 503


async def test_a_throttling_vendor_is_429_with_retry_after(
    api: httpx.AsyncClient, shared_user: Account, off: FakeOpenFoodFacts
) -> None:
    off.inject(status=429, retry_after=17, path="/cgi/")
    response = await get(api, shared_user, "/foods/search", q="cola throttled",
                         source="openfoodfacts")  # fmt: skip
    assert_problem(response, 429, "source_rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


async def test_odd_search_input_never_fails(api: httpx.AsyncClient, shared_user: Account) -> None:
    empty = await get(api, shared_user, "/foods/search", q="")
    assert empty.status_code == 200 and empty.json()["items"] == [] and empty.json()["total"] == 0
    unicode = await get(api, shared_user, "/foods/search", q="crème brûlée 🍰 日本")
    assert unicode.status_code == 200, unicode.text
    deep = await get(api, shared_user, "/foods/search", q="apple", page=1000, page_size=50)
    assert deep.status_code == 200 and deep.json()["items"] == []
    assert_problem(await get(api, shared_user, "/foods/search", q="apple", page=10**12), 422)
    assert_problem(await get(api, shared_user, "/foods/search", source="nope"), 404,
                   "unknown_source")  # fmt: skip


async def test_custom_foods_are_yours_alone(
    api: httpx.AsyncClient, shared_user: Account, shared_other_user: Account
) -> None:
    body = {"name": "Grandma's flapjack", "brand": "Home",
            "per_100": {"energy_kcal": 450, "protein_g": 6, "carbohydrate_g": 58, "fat_g": 22},
            "servings": [{"name": "1 square", "amount": 60}]}  # fmt: skip
    created = await api.post(f"{NUTRITION}/foods", json=body, headers=shared_user.auth)
    assert created.status_code == 201, created.text
    food = created.json()
    assert (food["custom"], food["source"], food["source_id"]) == (True, "custom", None)
    # 4 x 6 + 4 x 58 + 9 x 22 = 454 kcal from the macros: 450 is plausible.
    assert food["plausibility_warning"] is None
    found = await get(api, shared_user, "/foods/search", q="flapjak", source="custom")
    assert [hit["food_id"] for hit in found.json()["items"]] == [food["id"]]
    mine = await get(api, shared_user, "/foods/search", q="flapjack", mine="true")
    assert [hit["food_id"] for hit in mine.json()["items"]] == [food["id"]]
    listed = await get(api, shared_user, "/foods", limit=100)
    assert food["id"] in [item["id"] for item in listed.json()["items"]]

    stranger = shared_other_user
    assert_problem(await get(api, stranger, f"/foods/{food['id']}"), 404, "unknown_food")
    theirs = await get(api, stranger, "/foods/search", q="flapjack", source="custom")
    assert theirs.json()["items"] == []
    patched = await api.patch(f"{NUTRITION}/foods/{food['id']}", json={"name": "Stolen"},
                              headers=stranger.auth)  # fmt: skip
    assert_problem(patched, 404, "unknown_food")

    renamed = await api.patch(f"{NUTRITION}/foods/{food['id']}",
                              json={"name": "Flapjack", "servings": [{"name": "bar", "amount": 45}]},
                              headers=shared_user.auth)  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["servings"]) == (
        "Flapjack", [{"name": "bar", "amount": 45.0}])  # fmt: skip
    deleted = await api.delete(f"{NUTRITION}/foods/{food['id']}", headers=shared_user.auth)
    assert deleted.status_code == 204
    kept = await get(api, shared_user, f"/foods/{food['id']}")
    assert kept.status_code == 200 and kept.json()["archived"] is True
    gone = await get(api, shared_user, "/foods/search", q="flapjack", source="custom")
    assert gone.json()["items"] == []


async def test_implausible_custom_foods_are_refused(
    api: httpx.AsyncClient, shared_user: Account
) -> None:
    body = {"name": "Impossible", "per_100": {"energy_kcal": 950, "fat_g": 120},
            "servings": [{"name": "cup", "amount": 10}, {"name": "Cup", "amount": 20}]}  # fmt: skip
    response = await api.post(f"{NUTRITION}/foods", json=body, headers=shared_user.auth)
    problem = assert_problem(response, 422, "implausible_nutrients")
    # energy above 900 kcal, fat above 100 g (so the macros weigh 120 g > 101 g in 100 g), and
    # the serving "Cup" repeats "cup" (case aside).
    assert error_fields(problem) == {"per_100.energy_kcal", "per_100.fat_g", "per_100",
                                     "servings.1.name"}  # fmt: skip
    wrong_barcode = await api.post(
        f"{NUTRITION}/foods",
        json={"name": "Bar", "barcode": "3017620422004", "per_100": {"energy_kcal": 400}},
        headers=shared_user.auth,
    )
    assert_problem(wrong_barcode, 422, "invalid_barcode")


async def test_the_search_quota_is_enforced_before_calling_the_vendor(
    api: httpx.AsyncClient, shared_user: Account, off: FakeOpenFoodFacts
) -> None:
    # Open Food Facts allows 10 searches a minute; distinct queries so no cache answers them.
    before = len(off.requests_to("/cgi/"))
    statuses = []
    for index in range(12):
        response = await get(api, shared_user, "/foods/search", q=f"quota test {index}",
                             source="openfoodfacts")  # fmt: skip
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert_problem(response, 429, "source_rate_limited")
            assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert 429 in statuses and set(statuses) <= {200, 429}
    assert len(off.requests_to("/cgi/")) - before <= 10
