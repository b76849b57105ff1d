"""A fake Hello vendor for the tests: fithub's FakeVendor plus the one data route."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar

from aiohttp import web

from fithub.plugins import DataType
from fithub.plugins.testing import FakeVendor


class FakeHello(FakeVendor):
    name: ClassVar[str] = "hello"
    data_prefix: ClassVar[str] = "/v1/"

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.DAILY,)

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        day = start.date()
        while datetime.combine(day, time.min, UTC) < end:
            self.items(account, "days").append({"date": day.isoformat(), "steps": 8000})
            day += timedelta(days=1)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/days", self._days)
        router.add_get("/v1/me", self._me)

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"user_id": self.account_for(request)})

    async def _days(self, request: web.Request) -> web.Response:
        account = self.account_for(request, "steps")
        start = date.fromisoformat(request.query["start"])
        end = date.fromisoformat(request.query["end"])
        days = [d for d in self.items(account, "days")
                if start <= date.fromisoformat(d["date"]) <= end]  # fmt: skip
        page, following = self.paginate(request, days, request.query.get("page"))
        return web.json_response({"days": page, "next": following})
