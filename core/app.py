"""The Quart application factory."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from quart import Quart, Response, current_app, g, request
from quart.wrappers import Request
from quart_schema import QuartSchema
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    DataSource,
)

from fithub.core import cors, docs_ui, inputs, jobs, observability, openapi, problems, responses
from fithub.core.accounts.routes import bp as accounts_bp
from fithub.core.audit.routes import bp as audit_bp
from fithub.core.auth import BEARER_SCHEME
from fithub.core.body.routes import bp as body_bp
from fithub.core.bootstrap import build_runtime
from fithub.core.coaching.routes import bp as coaching_bp
from fithub.core.config import Settings, load_settings
from fithub.core.db import close_db, init_db
from fithub.core.devices.data_routes import bp as device_data_bp
from fithub.core.devices.imports import routes as device_import_routes
from fithub.core.devices.routes import bp as devices_bp
from fithub.core.devices.webhooks import bp as webhooks_bp
from fithub.core.errors import NotFound, UnsupportedMediaType, ValidationFailed
from fithub.core.exercises.routes import bp as exercises_bp
from fithub.core.json_io import OrjsonProvider
from fithub.core.media import routes as media_routes
from fithub.core.notifications.reminder_routes import bp as reminders_bp
from fithub.core.notifications.routes import bp as notifications_bp
from fithub.core.notifications.webhook_routes import bp as outbound_webhooks_bp
from fithub.core.nutrition.diary_routes import bp as nutrition_diary_bp
from fithub.core.nutrition.food_routes import bp as foods_bp
from fithub.core.nutrition.meal_routes import bp as nutrition_meals_bp
from fithub.core.nutrition.recipe_routes import bp as nutrition_recipes_bp
from fithub.core.nutrition.target_routes import bp as nutrition_targets_bp
from fithub.core.privacy.routes import bp as privacy_bp
from fithub.core.progress.goal_routes import bp as goals_bp
from fithub.core.progress.routes import bp as progress_bp
from fithub.core.request_body import FithubHTTPConnection, StreamedBody
from fithub.core.schedules import run_scheduler, schedules_for
from fithub.core.security import headers as security_headers
from fithub.core.system.recovery_routes import bp as recovery_bp
from fithub.core.system.routes import bp as system_bp
from fithub.core.telemetry.routes import bp as telemetry_bp
from fithub.core.telemetry.workout_routes import bp as workout_heart_rate_bp
from fithub.core.version import __version__
from fithub.core.workouts.routes import bp as workouts_bp
from fithub.core.workouts.template_routes import bp as templates_bp
from fithub.streaming.coordinator import create_live_coordinator
from fithub.streaming.routes import bp as streaming_bp

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FithubRequest(Request):
    """A request whose JSON parse errors become a 400 problem, not a bare HTML page.

    ``body_limits`` gives a few routes (video uploads) their own body limit and a
    :class:`StreamedBody`: it must be set when the request is created, because the body starts
    arriving before the route runs.
    """

    body_limits: ClassVar[dict[tuple[str, str], int]] = {}

    def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
        limit = self.body_limits.get((method, path))
        if limit is not None:
            kwargs["max_content_length"] = limit
            self.body_class = StreamedBody
        super().__init__(method, scheme, path, *args, **kwargs)
        if limit is not None:
            self.max_content_length = limit

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed by :func:`fithub.core.inputs.load_json` (UTF-8, depth, clean values)."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        data = await self.get_data(cache=cache, as_text=False)
        try:
            result = inputs.load_json(data if isinstance(data, bytes) else data.encode())
        except Exception:
            if not silent:
                raise
            result = None
        if cache:
            self._cached_json[silent] = result
        return result


async def _refuse_unstorable_input() -> None:
    """404 for a path segment, 422 for a query value, that no route could store or look up."""
    for value in (request.view_args or {}).values():
        if inputs.path_problem(value):
            raise NotFound(f"Nothing is served at {request.path}.")
    if not request.args or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    errors = inputs.check_query(
        request.args, getattr(view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE, None)
    )
    if errors:
        raise ValidationFailed("The query string did not validate.", errors=errors)


async def _require_json_body() -> None:
    """415 for a JSON endpoint called with another content type."""
    if request.method not in BODY_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    expects = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
    if expects is not None and expects[1] == DataSource.JSON and not request.is_json:
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {request.mimetype or 'no content type'})."
        )


async def _await_unread_body(response: Response) -> Response:
    """Answer once the request body is in, or say that the connection will close.

    hypercorn silently drops a keep-alive connection whose response ends before the request
    body has arrived (a 401 or 405 sent without reading it); a client reusing it then fails.
    """
    if getattr(g, "fithub_abandon_body", False):  # the route gave up on a too large body
        response.headers["Connection"] = "close"
    elif request.method in BODY_METHODS:
        try:
            await asyncio.wait_for(request.get_data(), timeout=5)
        except Exception:  # too large, too slow or cut off: the connection cannot be reused
            response.headers["Connection"] = "close"
    return response


def create_app(settings: Settings | None = None) -> Quart:
    """Build the app: routes, validation, problem details, metrics, and start-up/shut-down hooks."""
    settings = settings or load_settings()
    observability.configure_logging(settings.log_level, settings.log_json)
    app = Quart("fithub.core.app", static_folder=None)
    runtime = build_runtime(settings)
    limits = media_routes.body_limits(settings) | device_import_routes.body_limits(runtime.devices)

    class AppRequest(FithubRequest):
        body_limits = limits

    app.request_class = AppRequest
    app.url_map.converters.update(inputs.CONVERTERS)
    app.asgi_http_class = FithubHTTPConnection
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False)
    metrics = observability.Metrics()
    app.config["FITHUB"] = runtime
    app.config["FITHUB_METRICS"] = metrics
    app.config["FITHUB_LIVE"] = create_live_coordinator(runtime)

    QuartSchema(
        app,
        info={
            "title": "fithub",
            "version": __version__,
            "description": "Fitness integration hub: accounts, training, devices, live streaming.",
        },
        security_schemes=BEARER_SCHEME,
        swagger_ui_path=None,  # /docs and /redoc: fithub.core.docs_ui, assets served offline
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=openapi.FithubOpenAPIProvider,
    )
    app.json = OrjsonProvider(app)  # after QuartSchema, which installs its own
    app.config[responses.CHECK_CONFIG] = settings.checks_responses
    observability.install(app, metrics)
    problems.install(app)
    openapi.install(app)
    app.before_request(_refuse_unstorable_input)
    app.before_request(_require_json_body)
    app.after_request(_await_unread_body)
    cors.install(app, settings.cors_origins)
    security_headers.install(app, settings)
    blueprints = (
        system_bp,
        recovery_bp,
        docs_ui.bp,
        accounts_bp,
        audit_bp,
        exercises_bp,
        workouts_bp,
        workout_heart_rate_bp,
        templates_bp,
        progress_bp,
        goals_bp,
        notifications_bp,
        reminders_bp,
        body_bp,
        coaching_bp,
        privacy_bp,
        devices_bp,
        webhooks_bp,
        outbound_webhooks_bp,
        device_data_bp,
        device_import_routes.bp,
        media_routes.bp,
        telemetry_bp,
        streaming_bp,
        foods_bp,
        nutrition_targets_bp,
        nutrition_recipes_bp,
        nutrition_diary_bp,
        nutrition_meals_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.before_serving
    async def _start() -> None:
        await init_db(settings)
        jobs.configure(runtime, asyncio.get_running_loop())
        if jobs.uses_in_process_broker():
            jobs.start_worker(settings.in_process_worker_threads)
            app.config["FITHUB_SCHEDULER"] = asyncio.create_task(
                run_scheduler(None, schedules_for(settings))
            )

    @app.after_serving
    async def _stop() -> None:
        scheduler = app.config.pop("FITHUB_SCHEDULER", None)
        if scheduler is not None:
            scheduler.cancel()
        await app.config["FITHUB_LIVE"].close()
        await jobs.stop_worker()
        await runtime.devices.close()
        await runtime.nutrition.close()
        await runtime.notifications.close()
        await runtime.fanout.close()
        await close_db()
        if runtime.redis is not None:
            await runtime.redis.aclose()

    return app


def asgi_app() -> Any:
    """Entry for ASGI servers: ``hypercorn 'fithub.core.app:asgi_app()'``."""
    return create_app()
