"""The FastAPI service the Social Flow backend reads ML results from."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy.exc as sa_exc
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.models.service import ModelRegistry
from socialflow_pipelines.platform.breaker import CircuitBreaker
from socialflow_pipelines.platform.cache import RedisCache
from socialflow_pipelines.platform.db.engine import (
    Database,
    DatabaseUnavailable,
    is_unavailable,
    is_unmigrated,
    opens_breaker,
)
from socialflow_pipelines.serving.auth import VerifiedTokens
from socialflow_pipelines.serving.deps import ERROR_RESPONSES, AdminDep
from socialflow_pipelines.serving.metrics import ServiceMetrics
from socialflow_pipelines.serving.ratelimit import RateLimiter
from socialflow_pipelines.serving.routers import (
    analysis,
    models,
    moderation,
    recommendations,
    trending,
    virality,
)

API_PREFIX = "/api/v1/ml"
MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class RequestMetrics:
    """Counts and times every response by method, route and status, errors included: it wraps
    `send`, so a response an exception handler made is counted like any other. An exception no
    handler took is answered here with the JSON 500 (Starlette's outermost middleware would re-raise
    it to the server, which then drops the client's keep-alive connection)."""

    def __init__(self, app: ASGIApp, requests_total: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests_total = requests_total
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code: int | None = None

        async def counted_send(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        except Exception:
            if status_code is not None:  # the response has begun: only the server can end it
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            status_code = 500
            await _json_error(send, 500, "internal server error")
        finally:
            route = _route_label(scope)
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
            self.requests_total.labels(scope["method"], route, str(status_code or 500)).inc()


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` before anything reads them (FastAPI parses a body
    before the auth dependency runs, so an unbounded body would cost memory even unauthenticated).
    Bodies must declare their length; chunked uploads are refused (411), a POST without a body is
    fine."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            if length is None and b"transfer-encoding" in headers:
                await _json_error(send, 411, "a Content-Length header is required")
                return
            if length is None:  # no body at all (the seed's `POST /models/load/{name}`)
                length = b"0"
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


def _route_label(scope: Scope) -> str:
    """The matched path template (a bounded label set, unlike raw URLs). Newer FastAPI puts the
    included router's own route in the scope, without the prefix it was included under."""
    template = getattr(scope.get("route"), "path_format", None)
    if template is None:
        return "unmatched"
    if scope["path"].startswith(f"{API_PREFIX}/") and not template.startswith(f"{API_PREFIX}/"):
        return API_PREFIX + template
    return template


# What the first raw-text /moderate or /analyze would otherwise wait seconds for.
PRELOADED = ("spam", "content_analyzer")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (from the environment when none are given: uvicorn's factory);
    routes receive them through `SettingsDep`, never from a global."""
    settings = settings or Settings()
    database = Database(
        settings.database_url,
        statement_timeout_s=settings.api_db_timeout_s,
        connect_timeout_s=settings.api_db_timeout_s,
        breaker=CircuitBreaker(settings.breaker_cooldown_s),
    )
    metrics = ServiceMetrics(database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.database = database
        redis_url = settings.redis_connection_url
        timeouts = {"timeout_s": settings.api_redis_timeout_s, "cooldown_s": settings.breaker_cooldown_s}
        app.state.cache = RedisCache(redis_url, on_read=metrics.cache_read, **timeouts) if redis_url else None
        app.state.limiter = RateLimiter(settings.rate_limit, redis_url, **timeouts)
        app.state.models = ModelRegistry(settings, on_load=metrics.model_loaded)
        app.state.tokens = VerifiedTokens()
        if settings.preload_models:
            for name in PRELOADED:
                app.state.models.load(name)
        # The models' millions of long-lived objects out of the collector's reach: a full
        # collection scanning them paused a worker for hundreds of milliseconds under load.
        gc.freeze()
        with contextlib.suppress(Exception):  # the id kind now, when the store answers (else on first use)
            await run_in_threadpool(lambda: app.state.database.id_type)
        yield
        app.state.database.dispose()
        if app.state.cache is not None:
            await app.state.cache.aclose()

    app = FastAPI(
        title="Social Flow ML API",
        version="1.0.0",
        description="Moderation, content analysis, trending and recommendations for the Social Flow backend.",
        lifespan=lifespan,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "status_code": exc.status_code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DatabaseUnavailable)
    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.ProgrammingError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        """503 for a store that cannot answer now: down or slow (its breaker opens, so requests
        skip it for a few seconds) or not migrated yet; any other SQL error is a defect (500)."""
        breaker = request.app.state.database.breaker
        if opens_breaker(exc):
            breaker.failed()
        elif not is_unavailable(exc) and not is_unmigrated(exc):
            log.error("store error on %s", request.url.path, exc_info=exc)
            return JSONResponse({"detail": "internal server error", "status_code": 500}, status_code=500)
        log.warning("results store unavailable on %s (%s)", request.url.path, type(exc).__name__)
        return JSONResponse(
            {"detail": "the results store is unavailable; try again shortly", "status_code": 503},
            status_code=503,
            headers={"Retry-After": str(breaker.retry_after_s)},
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            # A JSON syntax error's loc is ("body", character position): the field is the body.
            {"field": "body" if e["type"] == "json_invalid" else _field(tuple(e["loc"])), "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse({"detail": detail, "status_code": 422, "errors": errors}, status_code=422)

    ops = APIRouter(tags=["ops"])

    @ops.get("/health")
    def health(request: Request) -> dict:
        """Liveness and store reachability (bounded by the stores' timeouts); public, and says
        nothing sensitive. `degraded` when a store is down: reads then come from what is left."""
        database_ok = True
        try:
            with request.app.state.database.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:
            database_ok = False
        cache = request.app.state.cache
        redis_ok = cache is None or cache.ping()
        return {
            "status": "ok" if database_ok and redis_ok else "degraded",
            "database": "ok" if database_ok else "unreachable",
            "redis": "not configured" if cache is None else ("ok" if redis_ok else "unreachable"),
        }

    @ops.get("/metrics", response_class=Response, responses=ERROR_RESPONSES)
    def scrape(_admin: AdminDep) -> Response:
        """Prometheus metrics (admin token: scrape with a bearer token): responses by route and
        status, cache hit rate, model load times, and the pipeline's task figures."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RequestMetrics, requests_total=metrics.requests_total, latency=metrics.latency)
    # Routes are matched in order: the feed's two reads first, so they try the fewest patterns.
    app.include_router(recommendations.router, prefix=API_PREFIX)
    app.include_router(trending.router, prefix=API_PREFIX)
    app.include_router(moderation.router, prefix=API_PREFIX)
    app.include_router(analysis.router, prefix=API_PREFIX)
    app.include_router(models.router, prefix=API_PREFIX)
    app.include_router(virality.router, prefix=API_PREFIX)
    app.include_router(ops)
    app.include_router(ops, prefix=API_PREFIX)
    return app
