"""Test helpers: a real fithub server (hypercorn) in a subprocess, over a real database and broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

FITHUB = [sys.executable, "-m", "fithub.core.cli"]
DEFAULT_TEST_ENV = {
    "FITHUB_ENV": "test",
    "FITHUB_PASSWORD_HASHING": "test-only-fast",  # the suite signs up hundreds of users
    "FITHUB_LOG_LEVEL": "INFO",
    "FITHUB_TRUSTED_PROXIES": '["127.0.0.1"]',
    "FITHUB_LOGIN_MAX_PER_ACCOUNT": "5",
    "FITHUB_LOGIN_MAX_PER_ADDRESS": "20",
    "FITHUB_MAX_BODY_BYTES": "65536",
    # No test reaches a real food database: a test that needs one starts a fake and points here.
    "FITHUB_OPENFOODFACTS_BASE_URL": "http://127.0.0.1:9",
    "FITHUB_USDA_BASE_URL": "http://127.0.0.1:9",
}
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_url() -> str | None:
    return os.environ.get("FITHUB_DATABASE_URL") or None


def redis_url() -> str | None:
    return os.environ.get("FITHUB_REDIS_URL") or None


class PostgresDatabase:
    """A throw-away database on the server named by FITHUB_DATABASE_URL, dropped afterwards."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.replace("postgresql://", "postgres://", 1)
        self.name = f"fithub_test_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(self.base_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.base_url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self) -> str:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def drop(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


@dataclass
class FithubServer:
    """A running ``fithub serve`` (plus ``fithub worker`` when Redis is configured)."""

    env: dict[str, str]
    data_dir: Path
    port: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run_cli(self, *args: str, input_text: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*FITHUB, *args], env=self.env, input=input_text, text=True,
                              capture_output=True, timeout=timeout)

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log_path = self.data_dir / f"{name}.log"
        handle = log_path.open("wb")
        proc = subprocess.Popen([*FITHUB, *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        self.processes.append(proc)
        self.logs.append(log_path)
        return proc

    def start(self) -> None:
        migrated = self.run_cli("migrate")
        if migrated.returncode != 0:
            raise RuntimeError(f"fithub migrate failed:\n{migrated.stderr}")
        self.port = free_port()
        server = self._spawn("server", "serve", "--port", str(self.port))
        if self.env.get("FITHUB_REDIS_URL"):
            self._spawn("worker", "worker", "--threads", "2")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.read_logs()}")
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready:\n{self.read_logs()}")

    def start_worker(self, threads: int = 2) -> subprocess.Popen[bytes]:
        """Start one more ``fithub worker`` (its own log file; a killed one's log is kept)."""
        return self._spawn(f"worker-{len(self.logs)}", "worker", "--threads", str(threads))

    def restart_server(self, within_s: float = 60) -> subprocess.Popen[bytes]:
        """Start ``fithub serve`` again on the same port (after a kill) and wait until it is ready."""
        server = self._spawn(f"server-{len(self.logs)}", "serve", "--port", str(self.port))
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.read_logs()[-5000:]}")
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=1).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready again")

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL one of the processes (a crash: no shutdown code runs) and reap it."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.processes.remove(proc)

    def kill_the_job_runner(self) -> None:
        """SIGKILL the process running jobs (the worker with Redis, else the server); start anew."""
        self.kill(self.processes[-1])  # the worker when there is one
        if self.env.get("FITHUB_REDIS_URL"):
            self.start_worker()
        else:
            self.restart_server()

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()

    def read_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


def poll(what: str, check: Callable[[], T | None], within_s: float, every_s: float = 0.2) -> T:
    """``check()`` until it returns something truthy; fail after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {within_s:.0f} s"
        time.sleep(every_s)


def make_server(extra_env: dict[str, str] | None = None) -> tuple[FithubServer, PostgresDatabase | None]:
    """Prepare (not start) a server with its own data folder and, on PostgreSQL, its own database."""
    data_dir = Path(tempfile.mkdtemp(prefix="fithub-test-"))
    env = {**os.environ, **DEFAULT_TEST_ENV, "FITHUB_DATA_DIR": str(data_dir),
           # servers sharing the test Redis must not take each other's jobs or keys
           "FITHUB_REDIS_NAMESPACE": f"fithub-test-{uuid.uuid4().hex[:10]}"}
    env.pop("FITHUB_DATABASE_URL", None)
    database = None
    if postgres_url():
        database = PostgresDatabase(postgres_url() or "")
        env["FITHUB_DATABASE_URL"] = database.create()
    env.update(extra_env or {})
    return FithubServer(env=env, data_dir=data_dir), database


@contextlib.contextmanager
def running_server(
    extra_env: dict[str, str] | None = None, *, no_unhandled_errors: bool = True
) -> Iterator[FithubServer]:
    """A started server (see :func:`make_server`), stopped and removed on exit.

    With ``no_unhandled_errors`` the block fails if the server ever answered with a 500.
    """
    srv, database = make_server(extra_env)
    try:
        srv.start()
        yield srv
        if no_unhandled_errors:
            logs = srv.read_logs()
            assert '"unhandled error"' not in logs, "the server answered with a 500:\n" + logs[-5000:]
    finally:
        cleanup(srv, database)


def cleanup(server: FithubServer, database: PostgresDatabase | None) -> None:
    server.stop()
    if database is not None:
        database.drop()
    shutil.rmtree(server.data_dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def in_process_database(data_dir: Path) -> AsyncIterator[None]:
    """Tortoise with every model's table, in this process: a fresh PostgreSQL database when
    ``FITHUB_DATABASE_URL`` is set (dropped afterwards), else SQLite in ``data_dir``."""
    from tortoise import Tortoise

    from fithub.core.config import Settings
    from fithub.core.db import tortoise_config

    url = postgres_url()
    database = PostgresDatabase(url) if url else None
    env: dict[str, object] = {"data_dir": data_dir}
    if database is not None:
        env["database_url"] = await asyncio.to_thread(database.create)
    await Tortoise.init(config=tortoise_config(Settings(**env)))  # type: ignore[arg-type]
    await Tortoise.generate_schemas()
    try:
        yield
    finally:
        await Tortoise.close_connections()
        if database is not None:
            await asyncio.to_thread(database.drop)
