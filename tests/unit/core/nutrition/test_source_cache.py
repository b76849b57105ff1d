"""The in-memory source cache: entries expire after their TTL and the least recently used go first."""

from __future__ import annotations

from fithub.core.nutrition.source_cache import MemorySourceCache, NamespacedCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache = MemorySourceCache(10, clock=clock)
    await cache.set("k", b"v", ttl_s=60)
    clock.now += 59.9
    assert await cache.get("k") == b"v"
    clock.now += 0.1  # 60 s after it was set
    assert await cache.get("k") is None
    assert len(cache) == 0


async def test_the_size_is_bounded_and_recent_use_keeps_an_entry() -> None:
    cache = MemorySourceCache(2, clock=Clock())
    await cache.set("a", b"1", 60)
    await cache.set("b", b"2", 60)
    assert await cache.get("a") == b"1"  # a is now more recent than b
    await cache.set("c", b"3", 60)
    assert (await cache.get("a"), await cache.get("b"), await cache.get("c")) == (b"1", None, b"3")
    assert len(cache) == 2


async def test_a_zero_ttl_stores_nothing_and_namespaces_do_not_collide() -> None:
    cache = MemorySourceCache(10, clock=Clock())
    await cache.set("k", b"v", 0)
    assert await cache.get("k") is None
    usda, off = NamespacedCache(cache, "usda"), NamespacedCache(cache, "openfoodfacts")
    await usda.set("k", b"from usda", 60)
    await off.set("k", b"from off", 60)
    assert (await usda.get("k"), await off.get("k")) == (b"from usda", b"from off")
