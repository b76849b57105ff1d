"""Structured JSON logs with a request id, Prometheus metrics per route, and stuck-work gauges."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from quart import Quart, Response, g, request

if TYPE_CHECKING:
    from fithub.core.config import Settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECRET_KEYS = re.compile(r"(password|token|secret|authorization|cookie)", re.IGNORECASE)

access_log = logging.getLogger("fithub.access")
STUCK_REFRESH_S = 5.0  # /metrics reads the stuck-work counts at most this often


class JsonFormatter(logging.Formatter):
    """One JSON object per line; keys that look like secrets are redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(
                {k: ("[redacted]" if _SECRET_KEYS.search(k) else v) for k, v in fields.items()}
            )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", as_json: bool = True) -> None:
    """Route every log record to stderr, as JSON lines unless ``as_json`` is false."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("hypercorn.access", "tortoise", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Metrics:
    """Request counts and latency histograms, labelled by route template (never by raw path)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fithub_http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fithub_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.telemetry_batches = Counter(
            "fithub_telemetry_batches_total",
            "Live telemetry batches by outcome (stored, duplicate, rejected, gap, conflict)",
            ["outcome"],
            registry=self.registry,
        )
        self.telemetry_samples = Counter(
            "fithub_telemetry_samples_total",
            "Live telemetry rows stored (samples, RR intervals and positions)",
            registry=self.registry,
        )
        self.telemetry_closes = Counter(
            "fithub_telemetry_closes_total",
            "Telemetry sockets closed by the server, by close code",
            ["code"],
            registry=self.registry,
        )

        self.stuck = Gauge(
            "fithub_stuck_work",
            "Background work stuck past its deadline (core/recovery.py), by kind",
            ["kind"],
            registry=self.registry,
        )
        self.stuck_oldest = Gauge(
            "fithub_stuck_work_oldest_seconds",
            "Age of the oldest stuck item of each kind (0 when there is none)",
            ["kind"],
            registry=self.registry,
        )
        self._stuck_read_at: float | None = None

    async def refresh_stuck(self, settings: Settings) -> None:
        """Read the stuck-work counts into the gauges, unless read in the last few seconds."""
        now = time.monotonic()
        if self._stuck_read_at is not None and now - self._stuck_read_at < STUCK_REFRESH_S:
            return
        self._stuck_read_at = now
        from fithub.core.recovery import stuck_work  # the database layer loads after this module

        try:
            found = await stuck_work(settings)
        except Exception:  # the scrape still answers; the gauges keep their last values
            logging.getLogger("fithub.recovery").warning("could not read stuck work", exc_info=True)
            return
        for item in found:
            self.stuck.labels(item.kind).set(item.count)
            self.stuck_oldest.labels(item.kind).set(item.oldest_s or 0.0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def install(app: Quart, metrics: Metrics) -> None:
    """Attach request ids, access logs and metrics to every request of ``app``."""

    @app.before_request
    async def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
        g.started = time.perf_counter()
        request_id_var.set(request_id)
        if request.path == "/metrics":
            await metrics.refresh_stuck(app.config["FITHUB"].settings)

    @app.after_request
    async def _finish(response: Response) -> Response:
        started = getattr(g, "started", None)
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(request.method, route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "route": route,
                        "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 2),
                    }
                },
            )
        return response
