"""Background jobs on dramatiq: Redis when ``FITHUB_REDIS_URL`` is set, else an in-process broker.

Jobs are ``async`` functions registered with :func:`job`. dramatiq runs them on worker threads,
each handing its coroutine to the process's *job loop*: the API's own event loop in the embedded
mode, or a loop thread owned by ``fithub worker``. Jobs take ids, not objects, and are idempotent.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import current_millis

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
    "fithub.core.notifications.jobs",
    "fithub.core.recovery",
    "fithub.core.telemetry.jobs",
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
    keeper: BrokerKeeper | None = None


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
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url,
            namespace=settings.redis_namespace,
            heartbeat_timeout=settings.jobs_heartbeat_timeout_s * 1000,
            maintenance_chance=settings.jobs_maintenance_chance,
        )
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


def configured() -> bool:
    """Whether this process can enqueue jobs (:func:`configure` ran)."""
    return _state.actors is not None


def uses_in_process_broker() -> bool:
    return isinstance(_state.broker, StubBroker)


def start_worker(threads: int) -> dramatiq.Worker:
    """Start consuming this process's broker on ``threads`` worker threads."""
    if _state.broker is None:
        raise RuntimeError("configure() first")
    worker = dramatiq.Worker(_state.broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    _state.worker = worker
    if isinstance(_state.broker, RedisBroker):
        _state.keeper = BrokerKeeper(_state.broker)
        _state.keeper.start()
    return worker


async def stop_worker() -> None:
    """Stop the in-process worker without blocking the loop its jobs run on."""
    worker, _state.worker = _state.worker, None
    keeper, _state.keeper = _state.keeper, None
    if keeper is not None:
        keeper.stop()
    if worker is not None:
        await asyncio.to_thread(worker.stop, 5000)


class BrokerKeeper(threading.Thread):
    """Keeps a worker's Redis heartbeat fresh and returns dead workers' messages in seconds.

    dramatiq's Redis broker records a worker's heartbeat only when its consumers call Redis, so a
    worker whose threads are all busy with long jobs looks dead after ``heartbeat_timeout`` and
    its messages would be handed to another worker; and it returns a dead worker's unacknowledged
    messages only when a random roll (``maintenance_chance``) lands on that queue. This thread
    beats every third of the timeout and runs that maintenance on each queue each time, so a
    killed worker's messages are back within about ``heartbeat_timeout`` + a third of it.
    """

    def __init__(self, broker: RedisBroker) -> None:
        super().__init__(name="fithub-broker-keeper", daemon=True)
        self.broker = broker
        self.every_s = max(1.0, broker.heartbeat_timeout / 3000)
        self._stopped = threading.Event()

    def beat(self) -> None:
        """One heartbeat plus maintenance of every declared queue and its delay queue."""
        broker = self.broker
        queues = sorted(broker.get_declared_queues() | set(broker.delay_queues))
        for queue_name in queues:
            broker.scripts["dispatch"](
                keys=[broker.namespace],
                args=[
                    "qsize",  # read-only command; the script beats and maintains first
                    current_millis(),
                    queue_name,
                    broker.broker_id,
                    broker.heartbeat_timeout,
                    broker.dead_message_ttl,
                    1,  # do the maintenance now
                    broker._max_unpack_size(),  # type: ignore[no-untyped-call]
                ],
            )

    def run(self) -> None:
        while not self._stopped.wait(self.every_s):
            try:
                self.beat()
            except Exception:  # Redis hiccuped: beat again next period
                log.warning("broker heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stopped.set()


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


@dataclass(frozen=True)
class DeadLetter:
    """A message that failed all its retries: its id, job, and when it was dead-lettered (ms)."""

    message_id: str
    job: str
    at_ms: int


_REDRIVE_SCRIPT = """
local data = redis.call("hget", KEYS[2], ARGV[1])
if not data then return 0 end
redis.call("hset", KEYS[4], ARGV[1], data)
redis.call("rpush", KEYS[3], ARGV[1])
redis.call("zrem", KEYS[1], ARGV[1])
redis.call("hdel", KEYS[2], ARGV[1])
return 1
"""


def _dead_letter_keys(broker: RedisBroker) -> tuple[str, str, str, str]:
    queue = f"{broker.namespace}:{QUEUE}"
    return f"{queue}.XQ", f"{queue}.XQ.msgs", queue, f"{queue}.msgs"


def _read_dead_letters(limit: int) -> tuple[int, list[DeadLetter]]:
    broker = _state.broker
    if isinstance(broker, StubBroker):
        messages = broker.dead_letters_by_queue.get(QUEUE, [])
        return len(messages), [DeadLetter(str(m.message_id), m.actor_name, int(m.message_timestamp))
                               for m in messages[:limit]]  # fmt: skip
    if not isinstance(broker, RedisBroker):
        return 0, []
    xq, xq_msgs, _, _ = _dead_letter_keys(broker)
    client: Any = broker.client  # redis-py's sync answers are typed as unions with awaitables
    found: list[DeadLetter] = []
    for raw_id, score in client.zrange(xq, 0, limit - 1, withscores=True):
        data = client.hget(xq_msgs, raw_id)
        job_name = dramatiq.Message.decode(data).actor_name if data else "?"
        found.append(DeadLetter(raw_id.decode(), job_name, int(score)))
    return int(client.zcard(xq)), found


async def dead_letters(limit: int = 20) -> tuple[int, list[DeadLetter]]:
    """How many messages this process's broker dead-lettered (the shared ones on Redis), and
    the ``limit`` oldest."""
    return await asyncio.to_thread(_read_dead_letters, limit)


def _redrive_dead_letters() -> int:
    broker = _state.broker
    if isinstance(broker, StubBroker):
        messages = broker.dead_letters_by_queue.get(QUEUE, [])
        again, messages[:] = list(messages), []
        for proxy in again:  # one more attempt: its retry count stays spent
            broker.enqueue(proxy.copy())
        return len(again)
    if not isinstance(broker, RedisBroker):
        return 0
    keys = _dead_letter_keys(broker)
    client: Any = broker.client
    script = client.register_script(_REDRIVE_SCRIPT)
    return sum(
        int(script(keys=list(keys), args=[raw_id])) for raw_id in client.zrange(keys[0], 0, -1)
    )


async def redrive_dead_letters() -> int:
    """Put every dead-lettered message back on its queue; return how many."""
    return await asyncio.to_thread(_redrive_dead_letters)
