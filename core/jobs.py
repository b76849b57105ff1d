"""Background jobs on dramatiq: Redis when ``FITHUB_REDIS_URL`` is set, else an in-process broker.

Jobs are ``async`` functions registered with :func:`job`. dramatiq runs them on worker threads,
each handing its coroutine to the process's *job loop*: the API's own event loop in the embedded
mode, or a loop thread owned by ``fithub worker``. Jobs take ids, not objects, and are idempotent.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

if TYPE_CHECKING:
    from fithub.core.runtime import Runtime

log = logging.getLogger("fithub.jobs")

# Modules whose import registers jobs; later domains add theirs here.
JOB_MODULES: tuple[str, ...] = (
    "fithub.core.accounts.jobs",
    "fithub.core.coaching.jobs",
    "fithub.core.devices.jobs",
    "fithub.core.devices.imports.jobs",
    "fithub.core.devices.inbox",
    "fithub.core.media.jobs",
    "fithub.streaming.jobs",
)
QUEUE = "fithub"
JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    max_retries: int
    time_limit_ms: int


_registry: dict[str, JobSpec] = {}


@dataclass
class _State:
    broker: dramatiq.Broker | None = None
    actors: dict[str, dramatiq.Actor[Any, Any]] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    runtime: Runtime | None = None
    worker: dramatiq.Worker | None = None


_state = _State()


def job(
    name: str, *, max_retries: int = 3, time_limit_ms: int = 10 * 60_000
) -> Callable[[JobFunction], JobFunction]:
    """Register an async function as the job ``name`` (``domain.verb``)."""

    def decorator(function: JobFunction) -> JobFunction:
        _registry[name] = JobSpec(name, function, max_retries, time_limit_ms)
        return function

    return decorator


def job_runtime() -> Runtime:
    """The runtime of the process the job runs in."""
    if _state.runtime is None:
        raise RuntimeError("jobs are not configured in this process")
    return _state.runtime


def _on_job_loop(spec: JobSpec) -> Callable[..., Any]:
    def run(*args: Any) -> None:
        loop = _state.loop
        if loop is None or loop.is_closed():
            raise RuntimeError("no job loop is running")
        coroutine = spec.function(*args)
        if not asyncio.iscoroutine(coroutine):
            raise TypeError(f"job {spec.name} must be an async function")
        asyncio.run_coroutine_threadsafe(coroutine, loop).result()
        return None  # results are logged by the job itself; dramatiq keeps none

    run.__name__ = spec.name.replace(".", "_")
    return run


def configure(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> dramatiq.Broker:
    """Create the broker for this process and declare every registered job as an actor."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    settings = runtime.settings
    broker: dramatiq.Broker
    if settings.redis_url:
        broker = RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace)  # type: ignore[no-untyped-call]
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    dramatiq.set_broker(broker)
    actors = {
        spec.name: dramatiq.Actor(
            _on_job_loop(spec),
            broker=broker,
            actor_name=spec.name,
            queue_name=QUEUE,
            priority=0,
            options={"max_retries": spec.max_retries, "time_limit": spec.time_limit_ms},
        )
        for spec in _registry.values()
    }
    _state.broker, _state.actors, _state.loop, _state.runtime = broker, actors, loop, runtime
    return broker


def uses_in_process_broker() -> bool:
    return isinstance(_state.broker, StubBroker)


def start_worker(threads: int) -> dramatiq.Worker:
    """Start consuming this process's broker on ``threads`` worker threads."""
    if _state.broker is None:
        raise RuntimeError("configure() first")
    worker = dramatiq.Worker(_state.broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    _state.worker = worker
    return worker


async def stop_worker() -> None:
    """Stop the in-process worker without blocking the loop its jobs run on."""
    worker, _state.worker = _state.worker, None
    if worker is not None:
        await asyncio.to_thread(worker.stop, 5000)


async def enqueue(name: str, *args: Any, delay_ms: int | None = None) -> str:
    """Send job ``name`` with JSON-serialisable ``args`` (after ``delay_ms``); return the message id."""
    if _state.actors is None or name not in _state.actors:
        raise RuntimeError(f"unknown job {name!r}")
    actor = _state.actors[name]
    options: dict[str, Any] = {} if delay_ms is None else {"delay": max(0, int(delay_ms))}
    if isinstance(_state.broker, RedisBroker):
        message = await asyncio.to_thread(actor.send_with_options, args=args, **options)
    else:
        message = actor.send_with_options(args=args, **options)
    return str(message.message_id)


async def broker_ping() -> None:
    """Raise unless the broker can take messages (Redis answers, or the in-process worker runs)."""
    broker = _state.broker
    if isinstance(broker, RedisBroker):
        await asyncio.to_thread(broker.client.ping)
    elif broker is None or (_state.worker is None and uses_in_process_broker()):
        raise RuntimeError("no worker is running for the in-process broker")
