"""A stream's running totals across sockets: what an earlier socket derived plus the current one.

A resumed stream starts a fresh derivation (core/telemetry/physiology.py) in whichever process it
lands; the totals already stored with the stream (time in zones, TRIMP, energy) are added to it,
so the summary never goes backwards after a reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOTALS = ("trimp_banister", "trimp_edwards", "energy_kcal")


@dataclass
class Summary:
    """What earlier sockets of the stream stored (``base``) and the totals they reached."""

    base: dict[str, Any] = field(default_factory=dict)
    carried: dict[str, Any] = field(default_factory=dict)

    def merge(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """``snapshot`` with the carried totals added."""
        merged = dict(self.base)
        for key, value in snapshot.items():  # a value not known yet keeps what was stored
            if value is not None or key not in merged:
                merged[key] = value
        carried = self.carried
        for name in TOTALS:
            before, now = carried.get(name), snapshot.get(name)
            if before is not None or now is not None:
                merged[name] = round((before or 0.0) + (now or 0.0), 2)
        before_zones: list[float] = carried.get("time_in_zones_s") or []
        now_zones: list[float] = snapshot.get("time_in_zones_s") or []
        if before_zones or now_zones:
            size = max(len(before_zones), len(now_zones))
            a = before_zones + [0.0] * (size - len(before_zones))
            b = now_zones + [0.0] * (size - len(now_zones))
            merged["time_in_zones_s"] = [round(x + y, 1) for x, y in zip(a, b, strict=True)]
        return merged

    @classmethod
    def resumed(cls, stored: dict[str, Any]) -> Summary:
        """The summary of a stream resumed from what was ``stored`` at its last batch."""
        carried = {name: stored.get(name) for name in (*TOTALS, "time_in_zones_s")}
        return cls(base=dict(stored), carried=carried)
