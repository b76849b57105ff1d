"""The newest-wins slot of one stream: a stream that falls behind drops only its own oldest frames."""

from __future__ import annotations

import asyncio

from fithub.streaming.frames import LatestSlot


async def test_a_stream_that_keeps_up_drops_nothing() -> None:
    slot: LatestSlot[int] = LatestSlot()
    got = []
    for frame in range(5):
        slot.put(frame)
        got.append(await slot.take())
    assert got == [0, 1, 2, 3, 4]
    assert (slot.stats.received, slot.stats.taken, slot.stats.dropped) == (5, 5, 0)


async def test_a_stream_behind_keeps_its_newest_frame_and_counts_the_rest() -> None:
    slot: LatestSlot[int] = LatestSlot()
    for frame in range(4):
        slot.put(frame)
    assert await slot.take() == 3
    slot.put(4)
    slot.close()
    assert await slot.take() == 4  # what was waiting at close is still analysed
    assert await slot.take() is None
    assert (slot.stats.received, slot.stats.taken, slot.stats.dropped) == (5, 2, 3)


async def test_slots_are_per_stream_so_a_flood_drops_none_of_another_streams_frames() -> None:
    flooding, steady = LatestSlot[int](), LatestSlot[int]()
    for frame in range(10):
        flooding.put(frame)
    steady.put(100)
    assert await asyncio.wait_for(steady.take(), 1) == 100
    assert await flooding.take() == 9
    assert steady.stats.dropped == 0 and flooding.stats.dropped == 9
