"""The FastAPI service the Social Flow backend reads ML results from."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.content.service import analyse_text
from socialflow_pipelines.domains.moderation.runtime import current_runtime as moderation_runtime
from socialflow_pipelines.platform.cache import RedisCache
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.serving.deps import AdminDep
from socialflow_pipelines.serving.ratelimit import UserRateLimiter
from socialflow_pipelines.serving.routers import analysis, moderation, recommendations, trending

API_PREFIX = "/api/v1/ml"
MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` before anything reads them (FastAPI parses a body
    before the auth dependency runs, so an unbounded body would cost memory even unauthenticated).
    Bodies must declare their length; chunked uploads are refused (411)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            length = dict(scope["headers"]).get(b"content-length")
            if length is None:
                await _json_error(send, 411, "a Content-Length header is required")
                return
            if not length.isdigit() or int(length) > self.max_bytes:
                await _json_error(send, 413, f"request body over {self.max_bytes} bytes")
                return
        await self.app(scope, receive, send)


async def _json_error(send: Send, status_code: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "status_code": status_code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "request"


def _route_label(request: Request) -> str:
    """The matched path template (bounded label set, unlike raw URLs), with the router prefix."""
    route = request.scope.get("route")
    if route is None:
        return "unmatched"
    template = getattr(route, "path_format", "")
    prefix = API_PREFIX if request.url.path.startswith(API_PREFIX) else ""
    return prefix + template


def preload_models(settings: Settings) -> None:
    """Load the published moderation and analysis models and run each once (lazy imports and
    first-call allocations included), so the first request is as fast as the next."""
    models = ModelStore(settings.model_dir)
    moderation_runtime(settings, models).text_moderator().moderate_texts(["warm up"])
    started = time.perf_counter()
    analyse_text(models, "warm up")
    log.info("models preloaded (analysis %.1f s)", time.perf_counter() - started)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (from the environment when none are given: uvicorn's factory);
    routes receive them through `SettingsDep`, never from a global."""
    settings = settings or Settings()
    registry = CollectorRegistry()
    requests_total = Counter(
        "socialflow_api_requests_total", "API requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "socialflow_api_request_seconds", "API latency", ["method", "route"], registry=registry
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.database = Database(settings.database_url)
        redis_url = settings.redis_connection_url
        app.state.cache = RedisCache(redis_url) if redis_url else None
        app.state.limiter = UserRateLimiter(settings.rate_limit, redis_url)
        if settings.preload_models:
            preload_models(settings)
        yield
        app.state.database.dispose()
        if app.state.cache is not None:
            app.state.cache.close()

    app = FastAPI(
        title="Social Flow ML API",
        version="1.0.0",
        description="Moderation, content analysis, trending and recommendations for the Social Flow backend.",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def measure(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        path = _route_label(request)
        latency.labels(request.method, path).observe(time.perf_counter() - started)
        requests_total.labels(request.method, path, str(response.status_code)).inc()
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "status_code": exc.status_code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal server error", "status_code": 500}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse({"detail": detail, "status_code": 422, "errors": errors}, status_code=422)

    @app.get("/health", tags=["ops"])
    def health(request: Request) -> dict:
        """Liveness and store reachability; public, and says nothing sensitive."""
        database_ok = True
        try:
            with request.app.state.database.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:
            database_ok = False
        cache = request.app.state.cache
        return {
            "status": "ok" if database_ok else "degraded",
            "database": "ok" if database_ok else "unreachable",
            "redis": "not configured" if cache is None else ("ok" if cache.ping() else "unreachable"),
        }

    @app.get("/metrics", tags=["ops"], response_class=Response)
    def metrics(_admin: AdminDep) -> Response:
        """Prometheus metrics (admin token: scrape with a bearer token)."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(trending.router, prefix=API_PREFIX)
    app.include_router(moderation.router, prefix=API_PREFIX)
    app.include_router(analysis.router, prefix=API_PREFIX)
    app.include_router(recommendations.router, prefix=API_PREFIX)
    return app
