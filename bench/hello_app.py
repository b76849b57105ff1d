"""The baseline for bench/http.py: a bare Quart app answering ``GET /`` with ``{"hello": "world"}``.

It is served exactly the way ``fithub serve`` serves fithub (see core/cli.py): one process, the
same event loop (uvloop where installed), ``hypercorn.asyncio.serve`` with the same ``Config`` (no access log,
``keep_alive_timeout=75``, ``graceful_timeout=10``). Whatever fithub costs beyond this app is the
price of fithub itself, not of Quart or hypercorn.

Run it alone with ``python -m bench.hello_app --port 8001``.
"""

from __future__ import annotations

import argparse
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from fithub.core.cli import run_event_loop

app = Quart(__name__)


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


def hypercorn_config(host: str, port: int) -> Config:
    """The same hypercorn settings as ``fithub serve`` (core/cli.py), access log off."""
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.keep_alive_timeout = 75
    config.graceful_timeout = 10
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    print(f"hello app serving on http://{args.host}:{args.port}", file=sys.stderr)
    run_event_loop(serve(app, hypercorn_config(args.host, args.port)))


if __name__ == "__main__":
    main()
