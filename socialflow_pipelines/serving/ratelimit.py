"""Per-caller rate limits (100 a minute by default) with the `limits` library: a moving window kept
in Redis when it is configured (shared by every API replica), in process memory otherwise, or
while Redis is down or slow (bounded by socket timeouts, then skipped by a circuit breaker).

Callers are users by id, and unauthenticated clients by address, so a flood of bad tokens is
limited too."""

from __future__ import annotations

import logging
import math
import time

from fastapi import HTTPException, status
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from socialflow_pipelines.platform.breaker import CircuitBreaker

log = logging.getLogger(__name__)


class RateLimiter:
    """Async, so a request's count costs the event loop one Redis round trip and no thread hop;
    a frozen Redis holds only the requests waiting on it (up to `timeout_s`), not the loop."""

    def __init__(
        self, rate: str, redis_url: str | None, *, timeout_s: float = 0.25, cooldown_s: float = 5.0
    ) -> None:
        self.rate = parse(rate)
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.shared = (
            MovingWindowRateLimiter(
                storage_from_string(
                    f"async+{redis_url}",
                    implementation="redispy",
                    socket_timeout=timeout_s,
                    socket_connect_timeout=timeout_s,
                )
            )
            if redis_url
            else None
        )
        self.breaker = CircuitBreaker(cooldown_s)

    async def check(self, caller: str) -> None:
        """Count one request of `caller`; 429 with the seconds until the window frees one."""
        limiter = self.memory
        allowed = None
        if self.shared is not None and self.breaker.allow():
            try:
                allowed = await self.shared.hit(self.rate, "caller", caller)
                limiter = self.shared
                self.breaker.succeeded()
            except Exception as exc:  # Redis down or slow: this process's window, keep serving
                self.breaker.failed()
                log.warning("rate limit store unavailable (%s); using in-process limits", type(exc).__name__)
        if allowed is None:
            allowed = await self.memory.hit(self.rate, "caller", caller)
        if not allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"rate limit of {self.rate} exceeded",
                headers={"Retry-After": str(await self._seconds_left(limiter, caller))},
            )

    async def _seconds_left(self, limiter: MovingWindowRateLimiter, caller: str) -> int:
        try:
            reset = (await limiter.get_window_stats(self.rate, "caller", caller)).reset_time
        except Exception:  # the store failed between the hit and this read: the whole window
            return self.rate.get_expiry()
        return max(1, math.ceil(reset - time.time()))
