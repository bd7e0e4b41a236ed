"""An in-memory sliding-window rate limit per client (citizen reports need no login).

Per process: with several workers each allows the limit. Behind a reverse proxy, run uvicorn with
``--proxy-headers`` so that the client address is the citizen's, not the proxy's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

#: Most clients remembered; the least recently seen are forgotten first.
MAX_CLIENTS = 10_000


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per key."""

    def __init__(
        self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record an event for ``key``; None if allowed, else seconds until one is allowed."""
        now = self.clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                events = self._events[key] = deque()
                while len(self._events) > MAX_CLIENTS:
                    self._events.popitem(last=False)
            self._events.move_to_end(key)
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window_s - now, 0.0)
            events.append(now)
            return None

    @staticmethod
    def retry_after_header(wait_s: float) -> str:
        """Whole seconds for ``Retry-After`` (at least 1)."""
        return str(max(1, math.ceil(wait_s)))
