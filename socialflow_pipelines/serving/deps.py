"""Request-scoped dependencies: the settings, the stores, and the authenticated, rate-limited caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.cache import RedisCache
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.serving.auth import Principal, admin_principal, current_principal


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_cache(request: Request) -> RedisCache | None:
    return request.app.state.cache


def limited_user(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    request.app.state.limiter.check(principal)
    return principal


def limited_admin(request: Request, principal: Annotated[Principal, Depends(admin_principal)]) -> Principal:
    request.app.state.limiter.check(principal)
    return principal


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
CacheDep = Annotated[RedisCache | None, Depends(get_cache)]
UserDep = Annotated[Principal, Depends(limited_user)]
AdminDep = Annotated[Principal, Depends(limited_admin)]
