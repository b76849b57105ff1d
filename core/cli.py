"""The ``fithub`` command line: serve, worker, migrate, seed-demo, create-admin, doctor, analyze, ..."""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from fithub.core.config import Settings, load_settings

T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (Linux, macOS), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)
    return uvloop.run(main)


def _settings() -> Settings:
    try:
        return load_settings()
    except Exception as exc:  # pydantic's message names the bad variable
        raise click.ClickException(f"invalid configuration: {exc}") from exc


async def _with_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from fithub.core.db import close_db, init_db

    await init_db(settings)
    try:
        return await work()
    finally:
        await close_db()


@click.group()
@click.version_option(package_name="fithub")
def main() -> None:
    """fithub: fitness integration gateway. Configure with FITHUB_* environment variables."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--access-log/--no-access-log", default=False, help="hypercorn's access log")
def serve(host: str, port: int, access_log: bool) -> None:
    """Serve the API with hypercorn."""
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    from fithub.core.app import create_app
    from fithub.streaming.deflate import refuse_deflate_on

    refuse_deflate_on()  # camera frames are JPEG: deflating them only costs CPU
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = "-" if access_log else None
    config.errorlog = logging.getLogger("hypercorn.error")  # our JSON handler, not its own
    config.keep_alive_timeout = 75
    config.graceful_timeout = 10
    settings = _settings()
    config.websocket_max_message_size = settings.live_max_message_bytes * 2  # ours answers first
    app = create_app(settings)
    logging.getLogger("fithub").info(
        "fithub serving on http://%s:%s  (docs: http://%s:%s/docs)", host, port, host, port
    )
    run_event_loop(hypercorn_serve(app, config))


@main.command()
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def worker(threads: int) -> None:
    """Run a job worker (needs FITHUB_REDIS_URL; without it the API runs jobs itself)."""
    from fithub.core import jobs
    from fithub.core.bootstrap import build_runtime
    from fithub.core.db import close_db, init_db
    from fithub.core.observability import configure_logging
    from fithub.core.schedules import run_scheduler, schedules_for

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("FITHUB_REDIS_URL is not set: the API process runs jobs itself.")
    configure_logging(settings.log_level, settings.log_json)
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, name="fithub-job-loop", daemon=True)
    loop_thread.start()
    asyncio.run_coroutine_threadsafe(init_db(settings), loop).result()
    runtime = build_runtime(settings)
    jobs.configure(runtime, loop)
    scheduler = asyncio.run_coroutine_threadsafe(
        run_scheduler(runtime.redis, schedules_for(settings), namespace=settings.redis_namespace),
        loop,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    running = jobs.start_worker(threads)
    logging.getLogger("fithub").info(
        "fithub worker: %s threads on %s", threads, settings.redis_url.split("@")[-1]
    )
    stop.wait()
    scheduler.cancel()
    running.stop(timeout=10_000)
    asyncio.run_coroutine_threadsafe(runtime.devices.close(), loop).result()
    asyncio.run_coroutine_threadsafe(runtime.nutrition.close(), loop).result()
    asyncio.run_coroutine_threadsafe(runtime.notifications.close(), loop).result()
    asyncio.run_coroutine_threadsafe(close_db(), loop).result()
    loop.call_soon_threadsafe(loop.stop)


@main.command()
def migrate() -> None:
    """Apply pending database migrations, then load the exercise catalog (idempotent)."""
    from tortoise.migrations.api import migrate as migrate_api

    from fithub.core.db import close_db, tortoise_config

    settings = _settings()

    async def run() -> None:
        try:
            await migrate_api(config=tortoise_config(settings))
        finally:
            await close_db()

    asyncio.run(run())
    click.echo("database is up to date", err=True)
    from fithub.core.exercises.catalog import after_migrate

    report = asyncio.run(_with_db(settings, after_migrate))
    click.echo(report.summary(), err=True)


@main.command("makemigrations")
@click.option("--name", default=None, help="a short name for the migration")
def makemigrations(name: str | None) -> None:
    """(Developers) write a migration for model changes into migrations/."""
    import subprocess
    from pathlib import Path

    import fithub
    import fithub.migrations

    # The tortoise command writes beside the parent package's first path; point it at the
    # source tree so the file lands in migrations/ even in an editable install.
    root = Path(fithub.migrations.__path__[0]).parent
    code = (
        "import fithub, sys; fithub.__path__ = [sys.argv[1]];"
        "from tortoise.cli.cli import main; sys.argv = sys.argv[1:2] + sys.argv[2:];"
        "sys.exit(main())"
    )
    args = [
        sys.executable,
        "-c",
        code,
        str(root),
        "-c",
        "fithub.core.tortoise_conf.TORTOISE_ORM",
        "makemigrations",
    ] + (["--name", name] if name else [])
    raise SystemExit(subprocess.call(args))


@main.command("rekey-device-tokens")
def rekey_device_tokens() -> None:
    """Seal stored vendor tokens again with the current secret key (after rotating it).

    Rotate by moving secrets/secret_key into secrets/retired/ (any file name) and restarting:
    a new key is made, and tokens sealed with a retired key still open. This command seals them
    all again now (syncs also do it one connection at a time); then the retired file can go.
    """
    from fithub.core.devices.connections import rekey_all
    from fithub.core.devices.gateway import ProviderGateway
    from fithub.core.keys import load_or_create_keys
    from fithub.core.ratelimit import MemoryLimiter
    from fithub.plugins.manager import load_plugins

    settings = _settings()
    keys = load_or_create_keys(settings.resolved_data_dir)

    async def work() -> int:
        gateway = ProviderGateway(settings, keys, None, MemoryLimiter(), load_plugins())
        try:
            return await rekey_all(gateway)
        finally:
            await gateway.close()

    done = asyncio.run(_with_db(settings, work))
    click.echo(f"{done} device connection(s) sealed again with the current key")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load demo data if the database has no users yet; print the demo login."""
    from fithub.core.demo import seed_if_empty

    settings = _settings()
    created = asyncio.run(_with_db(settings, seed_if_empty))
    if created:
        click.echo("demo data loaded")
    else:
        click.echo("database already has users; demo data not loaded")
    from fithub.core.demo import DEMO_EMAIL, DEMO_PASSWORD

    click.echo(f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.option("--password", default=None, help="read from the terminal (or stdin) when omitted")
def create_admin(email: str, display_name: str, password: str | None) -> None:
    """Create an administrator account, or promote an existing account to administrator."""
    from pydantic import ValidationError

    from fithub.core.accounts.schemas import RegisterRequest
    from fithub.core.demo import create_or_promote_admin

    if password is None:
        password = (
            getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        )
    try:
        RegisterRequest(email=email, password=password, display_name=display_name)
    except ValidationError as exc:  # name each bad field; never echo its value (a password)
        problems = (f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.ClickException("; ".join(problems)) from exc
    settings = _settings()

    async def work() -> Any:
        return await create_or_promote_admin(settings, email, password, display_name)

    created = asyncio.run(_with_db(settings, work))
    click.echo(("created" if created else "promoted") + f" administrator {email}")


@main.command()
@click.option("--redrive", is_flag=True, help="re-enqueue what is listed")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def doctor(redrive: bool, as_json: bool) -> None:
    """List stuck background work (syncs, inbox rows, dead letters) and optionally re-drive it."""
    from fithub.core.recovery import report_and_redrive

    settings = _settings()
    logging.disable(logging.INFO)  # the report is the output; job logs would interleave
    report, redriven = asyncio.run(
        _with_db(settings, lambda: report_and_redrive(settings, redrive))
    )
    if as_json:
        import json

        click.echo(json.dumps({"stuck": report, "redriven": redriven}))
        return
    click.echo(f"{'kind':<18}{'count':>7}{'oldest (s)':>12}  ids")
    for row in report:
        oldest = "-" if row["oldest_s"] is None else f"{row['oldest_s']:.0f}"
        click.echo(f"{row['kind']:<18}{row['count']:>7}{oldest:>12}  {' '.join(row['ids'])}")
    if not settings.redis_url:
        click.echo("dead letters: in the server's memory (embedded): GET /api/v1/admin/recovery")
    if redriven is not None:
        later = "" if settings.redis_url else " (the server enqueues them at its next sweep)"
        click.echo("re-driven: " + ", ".join(f"{k} {v}" for k, v in redriven.items()) + later)


@main.group()
def plugin() -> None:
    """Write fithub plugins."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="where to create the package folder")  # fmt: skip
def plugin_new(name: str, parent: Path) -> None:
    """Create a provider package for NAME (entry point, fake vendor, passing contract test)."""
    from fithub.plugins.scaffold import Names, ScaffoldError, create_package

    try:
        root = create_package(name, parent)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    dist = Names.of(name).dist
    click.echo(f"created {root}")
    click.echo(f"next: pip install -e '{root}[test]' && python -m pytest {root}")
    click.echo(f"then make {dist} talk to your vendor: see {root / 'README.md'}")


@plugin.command("check")
@click.argument("name")
@click.option("--docs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="the provider's docs page [default: docs/providers/NAME.md]")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--min-tier", type=click.Choice(["bronze", "silver", "gold"]), default=None,
              help="exit with status 1 below this tier")  # fmt: skip
def plugin_check(name: str, docs: Path | None, as_json: bool, min_tier: str | None) -> None:
    """Run the provider kit on NAME against its fake vendor and print the tier it reaches."""
    import json

    from fithub.plugins.testing.quality import TIERS, check_named

    try:
        report = run_event_loop(check_named(name, docs=docs))
    except LookupError as exc:
        raise click.UsageError(str(exc.args[0])) from exc
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.render())
    if min_tier is not None and (
        report.tier is None or TIERS.index(report.tier) < TIERS.index(min_tier)
    ):
        raise SystemExit(1)


def _add_commands() -> None:
    from fithub.core.media.cli import analyze

    main.add_command(analyze)


_add_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
