"""Per-user rate limits (100 a minute by default) with the `limits` library: a moving window kept
in Redis when it is configured (shared by every API replica), in process memory otherwise."""

from __future__ import annotations

import logging

from fastapi import HTTPException, status
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from socialflow_pipelines.serving.auth import Principal

log = logging.getLogger(__name__)


class UserRateLimiter:
    def __init__(self, rate: str, redis_url: str | None) -> None:
        self.rate = parse(rate)
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.shared = MovingWindowRateLimiter(storage_from_string(redis_url)) if redis_url else None

    def check(self, principal: Principal) -> None:
        key = str(principal.user_id)
        allowed = None
        if self.shared is not None:
            try:
                allowed = self.shared.hit(self.rate, "user", key)
            except Exception as exc:  # Redis down: fall back to this process's window, keep serving
                log.warning("rate limit store unavailable (%s); using in-process limits", type(exc).__name__)
        if allowed is None:
            allowed = self.memory.hit(self.rate, "user", key)
        if not allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"rate limit of {self.rate} exceeded",
                headers={"Retry-After": str(self.rate.get_expiry())},
            )
