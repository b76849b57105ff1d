"""A base for fake vendor servers: OAuth 2.0 endpoints, paging, fault injection, a request log.

A :class:`FakeVendor` is an aiohttp app served by ``aiohttp.test_utils.TestServer`` on loopback,
on a thread of its own, so it answers whoever calls it (the test, a provider, a fithub server
in another process) while the test's own loop is busy or blocked. Subclasses add the vendor's
data routes in :meth:`FakeVendor.add_routes` and seed data in :meth:`FakeVendor.seed`.

Faults are queued with :meth:`FakeVendor.inject` and hit the next matching requests::

    fake.inject(status=429, retry_after=2, times=3)   # three 429s, then normal answers
    fake.inject(status=500, times=10)                 # a vendor outage
    fake.inject(delay_s=5)                            # slower than the client's timeout
    fake.inject(malformed=True)                       # 200 with a body that is not JSON
    fake.inject(expire_tokens=True, skip=2)           # the third request finds its token expired
    fake.inject(status=500, account="a1")             # only requests with a1's bearer token
    fake.expire_access_tokens()                       # every issued access token now gets 401
    fake.refuse_refresh = True                        # refresh grants get 400 invalid_grant
    fake.refuse_refresh_for.add("a1")                 # ... only a1's

Helpers the vendor fakes share: :meth:`FakeVendor.upsert` (store seeded items),
:meth:`FakeVendor.paginate` (opaque next-page tokens), :meth:`FakeVendor.drop_tokens` (a user
leaves), :func:`with_headers` (rate-limit headers on every answer), :func:`noise` (stable
pseudo-random data) and :func:`path_under` (fault and limit paths).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Middleware

from fithub.plugins.testing.oauth import Grant, OAuth2Endpoints, PendingCode
from fithub.plugins.types import AppCredentials, DataType

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def noise(*parts: object) -> int:
    """A stable pseudo-random number from the parts (the same seed gives the same data)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def path_under(path: str, prefixes: str) -> bool:
    """Whether ``path`` starts with ``prefixes``, or with any of several joined by ``|``."""
    return any(path.startswith(prefix) for prefix in prefixes.split("|"))


async def with_headers(
    request: web.Request,
    handler: Handler,
    headers: dict[str, str],
    refusal: web.StreamResponse | None = None,
) -> web.StreamResponse:
    """``refusal`` when given, else the handler's answer; ``headers`` go on either.

    An error the handler raises (an ``HTTPException``) gets them too, so a 401 or a 404 carries
    the rate-limit headers as the vendor's would.
    """
    if refusal is not None:
        response = refusal
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(headers)
            raise
    response.headers.update(headers)
    return response


@dataclass
class Fault:
    """A misbehaviour for the next ``times`` requests under ``path`` (after letting ``skip`` pass).

    ``account`` limits it to requests made with that account's bearer token.
    """

    status: int | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    malformed: bool = False
    expire_tokens: bool = False
    path: str = ""
    times: int = 1
    skip: int = 0
    account: str | None = None
    hits: int = 0
    seen: int = 0


@dataclass
class RecordedRequest:
    """One request the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    at: float  # time.monotonic() when it arrived
    status: int = 0
    account: str | None = None
    total: int | None = None  # items matching the query, on paged data routes
    fault: bool = False


RECORD = web.RequestKey("fake_record", RecordedRequest)


class FakeVendor(OAuth2Endpoints):
    """Generic OAuth 2.0 vendor; subclass it for a vendor's paths, shapes and data."""

    name: ClassVar[str] = "fake"
    # Where faults apply unless told otherwise (several prefixes may be joined by "|").
    data_prefix: ClassVar[str] = "/v1/"
    # OAuth paths, client credentials and refresh-token rotation: see OAuth2Endpoints.
    access_ttl_s: float = 3600.0  # subclasses set the vendor's; a test may change an instance's
    page_size: int = 50

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: TestServer | None = None
        self.url = ""
        self.reset()

    # -- state ----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget accounts, grants, faults and the request log (the server keeps running)."""
        with self._lock:
            self.accounts: dict[str, dict[str, list[dict[str, Any]]]] = {}
            self.codes: dict[str, PendingCode] = {}
            self.access_tokens: dict[str, Grant] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.revoked: set[str] = set()
            self.issued_refresh: dict[str, Grant] = {}
            self.faults: list[Fault] = []
            self.requests: list[RecordedRequest] = []
            self.refuse_refresh = False
            self.refuse_refresh_for: set[str] = set()

    def add_account(self, account: str | None = None) -> str:
        """A vendor user (created empty when new); returns its id."""
        account = account or secrets.token_hex(6)
        with self._lock:
            self.accounts.setdefault(account, {})
        return account

    def items(self, account: str, collection: str) -> list[dict[str, Any]]:
        """The stored items of one collection of one account (a live list: edit it in place)."""
        with self._lock:
            return self.accounts.setdefault(account, {}).setdefault(collection, [])

    def upsert(
        self,
        account: str,
        collection: str,
        item: dict[str, Any],
        key: str = "id",
        *,
        order: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """Store ``item``, replacing the stored one with the same ``key`` (seeding twice is safe).

        With ``order``, a new item is filed in that order (the collection is kept sorted by it).
        """
        items = self.items(account, collection)
        with self._lock:
            for i, existing in enumerate(items):
                if existing[key] == item[key]:
                    items[i] = item
                    return
            items.append(item)
            if order is not None:
                items.sort(key=order)

    def drop_tokens(self, account: str) -> None:
        """Every token of ``account`` stops working (the user left): access tokens are revoked."""
        with self._lock:
            for token, grant in list(self.access_tokens.items()):
                if grant.account == account:
                    del self.access_tokens[token]
                    self.revoked.add(token)
            for token, grant in list(self.refresh_tokens.items()):
                if grant.account == account:
                    del self.refresh_tokens[token]

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Store realistic data for ``account`` in [start, end): every data type the vendor has."""
        raise NotImplementedError

    def data_types(self) -> Sequence[DataType]:
        """The data types :meth:`seed` fills (the contract test fetches each)."""
        return ()

    def inject(
        self,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        delay_s: float = 0.0,
        malformed: bool = False,
        expire_tokens: bool = False,
        path: str | None = None,
        times: int = 1,
        skip: int = 0,
        account: str | None = None,
    ) -> Fault:
        """Misbehave on the next ``times`` requests under ``path`` (default: the data routes)."""
        fault = Fault(
            status=status,
            retry_after=retry_after,
            delay_s=delay_s,
            malformed=malformed,
            expire_tokens=expire_tokens,
            path=self.data_prefix if path is None else path,
            times=times,
            skip=skip,
            account=account,
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def credentials(self, redirect_uri: str = "http://127.0.0.1/callback") -> AppCredentials:
        """App credentials pointing a provider at this fake."""
        return AppCredentials(self.client_id, self.client_secret, redirect_uri, base_url=self.url)

    def fithub_env(self) -> dict[str, str]:
        """The ``FITHUB_<NAME>_*`` settings that point a fithub server at this (started) fake.

        Subclasses add vendor options (``FITHUB_<NAME>_OPTIONS`` as JSON: webhook secrets, ...).
        """
        prefix = f"FITHUB_{self.name.upper()}_"
        return {
            f"{prefix}CLIENT_ID": self.client_id,
            f"{prefix}CLIENT_SECRET": self.client_secret,
            f"{prefix}BASE_URL": self.url,
        }

    # -- the server -------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the vendor's data routes (subclasses)."""

    def middlewares(self) -> list[Middleware]:
        """The app's middlewares, outermost first: the fault injection and request log here.

        A vendor adds its own around it (error envelopes) or inside it (rate limits).
        """
        return [self._middleware]

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=self.middlewares())
        self.add_oauth_routes(app)
        self.add_routes(app.router)
        return app

    def start(self) -> FakeVendor:
        """Serve on 127.0.0.1 (a free port) from a thread of its own; ``self.url`` is its root."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = TestServer(self.make_app(), host="127.0.0.1")
                loop.run_until_complete(self._server.start_server())
                self.url = str(self._server.make_url("")).rstrip("/")
            except BaseException as exc:  # report to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._server.close())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = self._loop = self._server = None

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- middleware: faults and the request log ---------------------------------------------------

    def _bearer_account(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        grant = self.access_tokens.get(header.removeprefix("Bearer ").strip())
        return grant.account if grant is not None else None

    def _next_fault(self, request: web.Request) -> Fault | None:
        with self._lock:
            account = self._bearer_account(request)
            for fault in self.faults:
                if not path_under(request.path, fault.path) or fault.hits >= fault.times:
                    continue
                if fault.account is not None and fault.account != account:
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.hits += 1
                if fault.expire_tokens and account is not None:
                    self.expire_access_tokens(account)
                return fault
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = RecordedRequest(
            request.method, request.path, dict(request.query), time.monotonic()
        )
        with self._lock:
            self.requests.append(record)
        request[RECORD] = record
        fault = None if request.path == self.authorize_path else self._next_fault(request)
        if fault is not None:
            record.fault = True
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.status is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = (
                        str(int(fault.retry_after))
                        if float(fault.retry_after).is_integer()
                        else str(fault.retry_after)
                    )
                record.status = fault.status
                return web.json_response(
                    {"detail": f"injected {fault.status}"}, status=fault.status, headers=headers
                )
            if fault.malformed:
                record.status = 200
                return web.Response(text='{"data": [{"id": ', content_type="application/json")
        response = await handler(request)
        record.status = response.status
        return response

    def note_account(self, request: web.Request, account: str) -> None:
        request[RECORD].account = account

    def paginate(
        self,
        request: web.Request,
        items: Sequence[dict[str, Any]],
        token: str | None,
        *,
        size: int | None = None,
        refuse: Callable[[], web.HTTPException] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of ``items`` from the opaque ``token``; the next page's token or None.

        A page holds ``size`` items (default :attr:`page_size`). A token that is not one of
        ours raises ``refuse()`` (default: a JSON 400). The request log's ``total`` counts
        ``items``.
        """
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError as exc:
            if refuse is not None:
                raise refuse() from exc
            raise web.HTTPBadRequest(
                text='{"detail": "bad next_token"}', content_type="application/json"
            ) from exc
        request[RECORD].total = len(items)
        end = offset + (self.page_size if size is None else size)
        following = (
            base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
        )
        return list(items[offset:end]), following
