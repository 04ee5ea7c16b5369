"""Bearer JWT authentication (HS256, secret shared with the Social Flow backend) and roles.

Claims: `sub` is the user id (a string, as RFC 7519 has it: a UUID, or an integer deployment's
digits; anything else is refused), `exp` is required, and `is_admin: true` (or `role: "admin"`)
marks an administrator. Nothing about a token is ever logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.ids import IdType, InvalidId, canonical_id

bearer = HTTPBearer(auto_error=False, description="JWT signed with SOCIALFLOW_JWT_SECRET (HS256)")


@dataclass(frozen=True)
class Principal:
    user_id: str
    is_admin: bool


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


class VerifiedTokens:
    """Tokens whose signature and claims were checked, until their `exp`: the backend sends the
    same token on every request of a session, and verifying it again each time was a tenth of a
    cached read's cost. Bounded (cleared when full); an expired entry is never served."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, expires_at = entry
        if time.time() >= expires_at:
            del self._entries[token]
            return None
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token] = (principal, expires_at)


def decode_token(
    token: str, settings: Settings, id_type: IdType, verified: VerifiedTokens | None = None
) -> Principal:
    if verified is not None and (known := verified.get(token)) is not None:
        return known
    if settings.jwt_secret is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not configured")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("invalid token") from exc
    sub = claims["sub"]
    try:
        if not isinstance(sub, str):
            raise InvalidId("sub is not a string")
        user_id = canonical_id(sub, id_type)
    except InvalidId as exc:
        raise _unauthorized("invalid token: sub must be a user id") from exc
    is_admin = claims.get("is_admin") is True or claims.get("role") == "admin"
    principal = Principal(user_id=user_id, is_admin=is_admin)
    if verified is not None:
        verified.put(token, principal, float(claims["exp"]))
    return principal


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    try:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized("missing bearer token")
        state = request.app.state
        id_type = state.database.id_type
        principal = decode_token(credentials.credentials, state.settings, id_type, state.tokens)
    except HTTPException as refused:
        # Unauthenticated callers are limited by address, so bad tokens cannot be sent without end.
        await request.app.state.limiter.check(f"anonymous:{request.client.host if request.client else '-'}")
        raise refused
    request.state.principal = principal
    return principal


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return principal


def issue_token(
    user_id: str,
    *,
    is_admin: bool = False,
    ttl: timedelta = timedelta(hours=12),
    settings: Settings,
) -> str:
    """A token as the backend would issue it: for the demo, tests and operators' scripts."""
    if settings.jwt_secret is None:
        raise RuntimeError("SOCIALFLOW_JWT_SECRET is not set")
    now = datetime.now(UTC)
    claims = {"sub": user_id, "is_admin": is_admin, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithm)


CurrentUser = Annotated[Principal, Depends(current_principal)]
AdminUser = Annotated[Principal, Depends(admin_principal)]
