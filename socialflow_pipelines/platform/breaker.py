"""A circuit breaker: after a dependency fails, callers skip it for a few seconds instead of each
waiting out its timeout, then one call tries it again."""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    """Open for `cooldown_s` after a failure; `allow()` says whether to try the dependency now."""

    def __init__(self, cooldown_s: float = 5.0) -> None:
        self.cooldown_s = cooldown_s
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the next try (at least 1): a `Retry-After` value."""
        return max(1, int(self._open_until - time.monotonic() + 0.999))

    def allow(self) -> bool:
        return not self.is_open

    def failed(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown_s

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
