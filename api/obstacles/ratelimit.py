"""A rate limit per client address shared by every worker through the database (citizen reports
need no login).

Each client address has one counter row per second (``rate_limit_hits``); the count is the sum
of the rows that started within the window, so the window slides (a hit counts for between
``window_s - 1`` and ``window_s`` seconds) and a burst across a minute boundary is not allowed
twice. A hit is one ``INSERT … ON CONFLICT DO UPDATE`` and a sum, in one transaction: on
PostgreSQL concurrent hits of one client queue on the row's lock, on SQLite on the database's
write lock. A refused hit is taken back in the same transaction (refusals do not extend the
wait), and ``Retry-After`` names when the oldest hits leave the window (at most ``window_s``).
Rows older than the window are pruned now and then by whichever worker passes by.

The client address is the socket peer's; it is the citizen's only when uvicorn rewrites it from
``X-Forwarded-For``, which ``api.server`` allows only for ``STUFENLOS_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import RateLimitHit
from api.db.upsert import dialect_insert

#: Longest client key stored (an IPv6 address with a zone fits).
MAX_CLIENT_CHARS = 64
#: Length of one counter row's time slot (seconds): a hit counts for between ``window_s - 1`` and
#: ``window_s`` seconds.
BUCKET_S = 1
#: How often (seconds) one worker deletes expired rows.
PRUNE_EVERY_S = 60.0


class SharedRateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per key, counted in the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        limit: int,
        window_s: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window_s < 1:
            raise ValueError("limit must be >= 1 and window_s >= 1")
        self.sessions, self.limit, self.window_s, self.clock = sessions, limit, window_s, clock
        self._next_prune_s = 0.0

    def hit(self, key: str) -> float | None:
        """Record an event for ``key``; None if allowed, else seconds until one is allowed."""
        key = key[:MAX_CLIENT_CHARS]
        now_s = self.clock()
        bucket_s = int(now_s // BUCKET_S) * BUCKET_S
        oldest_s = bucket_s - self.window_s + BUCKET_S  # buckets that started within the window
        with self.sessions.begin() as session:
            insert = dialect_insert(session.get_bind().dialect.name)
            counted = (
                insert(RateLimitHit)
                .values(client=key, window_start_s=bucket_s, hits=1)
                .on_conflict_do_update(
                    index_elements=["client", "window_start_s"],
                    set_={"hits": RateLimitHit.hits + 1},
                )
            )
            session.execute(counted)  # takes the row lock: this client's hits queue here
            rows = session.execute(
                select(RateLimitHit.window_start_s, RateLimitHit.hits)
                .where(RateLimitHit.client == key, RateLimitHit.window_start_s >= oldest_s)
                .order_by(RateLimitHit.window_start_s)
            ).all()
            wait_s: float | None = None
            if sum(int(hits) for _, hits in rows) > self.limit:
                wait_s = self._wait_s([(int(s), int(h)) for s, h in rows], now_s, bucket_s)
                session.execute(
                    update(RateLimitHit)
                    .where(RateLimitHit.client == key, RateLimitHit.window_start_s == bucket_s)
                    .values(hits=RateLimitHit.hits - 1)
                    .execution_options(synchronize_session=False)
                )
            if now_s >= self._next_prune_s:
                self._next_prune_s = now_s + PRUNE_EVERY_S
                session.execute(
                    delete(RateLimitHit)
                    .where(RateLimitHit.window_start_s < oldest_s)
                    .execution_options(synchronize_session=False)
                )
        return wait_s

    def _wait_s(self, rows: list[tuple[int, int]], now_s: float, bucket_s: int) -> float:
        """Seconds until the oldest buckets have left the window and ``limit - 1`` hits remain
        (then one more is allowed); ``rows`` in time order, this refused hit included."""
        excess = sum(hits for _, hits in rows) - 1 - (self.limit - 1)  # without this hit
        for start_s, hits in rows:
            excess -= hits if start_s != bucket_s else hits - 1
            if excess <= 0:
                return max(start_s + self.window_s - now_s, 0.0)
        return float(self.window_s)  # pragma: no cover - the current bucket always ends it

    @staticmethod
    def retry_after_header(wait_s: float) -> str:
        """Whole seconds for ``Retry-After`` (at least 1)."""
        return str(max(1, math.ceil(wait_s)))
