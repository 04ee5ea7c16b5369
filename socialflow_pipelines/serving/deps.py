"""Request-scoped dependencies: the settings, the stores, the authenticated, rate-limited caller,
and the checks and error shapes every route shares. They are `async def` because none blocks
(the limiter awaits Redis): FastAPI runs a plain `def` dependency in a worker thread, a hop that
cost more than the rest of a cached read."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.cache import RedisCache
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.ids import InvalidId
from socialflow_pipelines.serving.auth import Principal, admin_principal, current_principal


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error the API sends: `detail` names the problem (and, on a 422, each field)."""

    detail: str
    status_code: int
    errors: list[FieldError] | None = None


_ERRORS = {
    400: "a body that cannot be read (not UTF-8)",
    401: "missing, malformed, expired or forged token",
    403: "the caller's role or ownership does not allow it",
    404: "no such item or model",
    411: "a body without Content-Length",
    413: "a body over the size limit",
    422: "a field is missing or invalid (named in detail and errors)",
    429: "rate limit exceeded (Retry-After says when to try again)",
    503: "a store is unavailable (Retry-After says when to try again)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _ERRORS.items()
}


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.database


def cache_headers(cache: RedisCache | None) -> dict[str, str]:
    """While the cache's breaker is open (Redis down or hanging), answers say they came from the
    store: `X-Cache: unavailable` (and /metrics counts the reads)."""
    return {"X-Cache": "unavailable"} if cache is not None and cache.breaker.is_open else {}


async def get_cache(request: Request, response: Response) -> RedisCache | None:
    cache = request.app.state.cache
    response.headers.update(cache_headers(cache))
    return cache


def feed_response(body: dict[str, Any], cache: RedisCache | None) -> Response:
    """The feed's hot reads (recommendations, trending) as orjson bytes, skipping FastAPI's
    validation of the return value (a third of what a cached read costs); the route's
    `response_model` still documents the body, and the schema fuzz test holds the two together."""
    return Response(orjson.dumps(body), media_type="application/json", headers=cache_headers(cache))


async def limited_user(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    await request.app.state.limiter.check(principal.user_id)
    return principal


async def limited_admin(
    request: Request, principal: Annotated[Principal, Depends(admin_principal)]
) -> Principal:
    await request.app.state.limiter.check(principal.user_id)
    return principal


def backend_id(database: Database, value: str, loc: tuple[str, ...]) -> str:
    """`value` as a canonical id of the deployment's kind; a 422 naming the field otherwise."""
    try:
        return database.canonical_id(value)
    except InvalidId as exc:
        kind = "a UUID" if database.id_type == "uuid" else "a positive integer id"
        raise RequestValidationError([{"loc": loc, "msg": f"must be {kind}", "type": "value_error"}]) from exc


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
CacheDep = Annotated[RedisCache | None, Depends(get_cache)]
UserDep = Annotated[Principal, Depends(limited_user)]
AdminDep = Annotated[Principal, Depends(limited_admin)]
