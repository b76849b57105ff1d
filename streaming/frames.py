"""Backpressure for one stream: a single slot where the newest frame wins.

The receiver puts every frame; the analyser takes the newest. A frame replaced before it was taken
is dropped and counted, so memory holds at most one waiting frame per stream however fast the
phone sends, and the count reaches the client in ``state`` events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class SlotStats:
    received: int = 0
    taken: int = 0
    dropped: int = 0


class LatestSlot(Generic[T]):
    """Holds the newest unprocessed item; ``put`` never blocks."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._ready = asyncio.Event()
        self._closed = False
        self.stats = SlotStats()

    def put(self, item: T) -> None:
        """Offer an item; an item still waiting is replaced (and counted as dropped)."""
        if self._closed:
            return
        self.stats.received += 1
        if self._item is not None:
            self.stats.dropped += 1
        self._item = item
        self._ready.set()

    async def take(self) -> T | None:
        """Wait for the newest item; None once closed and empty."""
        while self._item is None:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        item, self._item = self._item, None
        self.stats.taken += 1
        return item

    def close(self) -> None:
        """No more items: a waiting ``take`` returns what is left, then None."""
        self._closed = True
        self._ready.set()
