"""A rate limit per client address shared by every worker through the database (citizen reports
need no login).

Each client address has one counter row per fixed window (``rate_limit_hits``). A hit is one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (atomic on SQLite and PostgreSQL: concurrent hits of
one client serialise on the row), and the count is the *sliding-window estimate*

    hits in this window + hits in the previous window × (unexpired share of the previous window)

so that a burst across a window boundary is not allowed twice. A refused hit is taken back in the
same transaction: refusals do not extend the wait. Rows older than the previous window are pruned
now and then by whichever worker passes by.

The client address is the socket peer's; it is the citizen's only when uvicorn rewrites it from
``X-Forwarded-For``, which ``api.server`` allows only for ``STUFENLOS_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import RateLimitHit

#: Longest client key stored (an IPv6 address with a zone fits).
MAX_CLIENT_CHARS = 64
#: How often (seconds) one worker deletes expired rows.
PRUNE_EVERY_S = 60.0


def _upsert(dialect: str) -> Any:
    """The dialect's ``insert`` that has ``on_conflict_do_update``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"rate limit needs SQLite or PostgreSQL, not {dialect}")
    return insert


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
        window = self.window_s
        start_s = int(now_s // window) * window
        elapsed_s = now_s - start_s
        with self.sessions.begin() as session:
            insert = _upsert(session.get_bind().dialect.name)
            statement = (
                insert(RateLimitHit)
                .values(client=key, window_start_s=start_s, hits=1)
                .on_conflict_do_update(
                    index_elements=["client", "window_start_s"],
                    set_={"hits": RateLimitHit.hits + 1},
                )
                .returning(RateLimitHit.hits)
            )
            current = int(session.execute(statement).scalar_one()) - 1  # before this hit
            previous = session.scalar(
                select(RateLimitHit.hits).where(
                    RateLimitHit.client == key, RateLimitHit.window_start_s == start_s - window
                )
            )
            previous = int(previous or 0)
            estimate = current + previous * (window - elapsed_s) / window
            wait_s: float | None = None
            if estimate > self.limit - 1:
                wait_s = self._wait_s(current, previous, elapsed_s)
                session.execute(
                    update(RateLimitHit)
                    .where(RateLimitHit.client == key, RateLimitHit.window_start_s == start_s)
                    .values(hits=RateLimitHit.hits - 1)
                    .execution_options(synchronize_session=False)
                )
            if now_s >= self._next_prune_s:
                self._next_prune_s = now_s + PRUNE_EVERY_S
                session.execute(
                    delete(RateLimitHit)
                    .where(RateLimitHit.window_start_s < start_s - window)
                    .execution_options(synchronize_session=False)
                )
        return wait_s

    def _wait_s(self, current: int, previous: int, elapsed_s: float) -> float:
        """Seconds until the estimate drops to ``limit - 1`` (then one more hit is allowed)."""
        window, room = self.window_s, self.limit - 1
        if current <= room and previous > 0:  # the previous window's share fades in this one
            return max(window - elapsed_s - (room - current) * window / previous, 0.0)
        # this window's hits become the previous ones, fading from the next window's start
        return (window - elapsed_s) + window * max(1.0 - room / current, 0.0)

    @staticmethod
    def retry_after_header(wait_s: float) -> str:
        """Whole seconds for ``Retry-After`` (at least 1)."""
        return str(max(1, math.ceil(wait_s)))
