"""Whether the obstacles' database answers the live overlay's reads, and since when not.

Routes need no database: the obstacles they honour are in memory. The database only tells a
worker what changed (another worker's write, a revision poll) and, at a validity boundary,
which obstacles start or end. When it cannot be read (a PostgreSQL server down or restarting,
an SQLite file locked beyond its busy timeout, a server that does not answer a read within
:data:`~api.obstacles.bounded_read.READ_WAIT_S`), :class:`~api.obstacles.live.LiveObstacles` goes
on with the obstacles it last read, says so in every route (``obstacles.stale_since``, the
time of that read) and in ``/health``, and tries again after :data:`RETRY_S` — not before every
route, so that an outage costs the routes nothing and the log one line (and one when the
database answers again).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from api.db.availability import first_line
from graphs.stamps import utc_stamp

log = logging.getLogger("stufenlos.obstacles")

#: How long after a failed read the next one is tried (seconds).
RETRY_S = 1.0


class DatabaseOutage:
    """The state of the overlay's reads: when one last succeeded, since when they fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: the wall-clock time of the last read that succeeded (None: none yet)
        self.read_at: datetime | None = None
        #: the wall-clock time of the first failed read since the last success (None: reachable)
        self.since: datetime | None = None
        self._retry_at = 0.0  # monotonic seconds: no read is tried before, while failing
        self._read_mono = -float("inf")  # monotonic seconds of the last read that succeeded

    @property
    def down(self) -> bool:
        """Whether the last read failed."""
        return self.since is not None

    def waiting(self) -> bool:
        """Whether reads fail and the next try is not due yet (skip the read: go on as read)."""
        return self.retry_in_s() > 0.0

    def read_age_s(self) -> float:
        """Seconds since the last read that succeeded (infinite: none yet)."""
        return time.monotonic() - self._read_mono

    def retry_in_s(self) -> float:
        """Seconds until the next try is due (0.0 when reads succeed or it is due now)."""
        if self.since is None:
            return 0.0
        return max(0.0, self._retry_at - time.monotonic())

    def postpone(self) -> None:
        """A try is starting: the next is not due for :data:`RETRY_S`."""
        self._retry_at = time.monotonic() + RETRY_S

    def failed(self, now: datetime, exc: BaseException) -> None:
        """A read failed at ``now``: wait :data:`RETRY_S` before the next; log the first."""
        with self._lock:
            self._retry_at = time.monotonic() + RETRY_S
            if self.since is not None:
                return
            self.since = now
        read = utc_stamp(self.read_at) if self.read_at else "never"
        log.warning(
            "the obstacle database cannot be read (%s); routes use the obstacles read at %s "
            "and say so (obstacles.stale_since) until it answers",
            first_line(exc), read,
        )  # fmt: skip

    def succeeded(self, now: datetime) -> None:
        """A read succeeded at ``now``; log the end of an outage."""
        with self._lock:
            was = self.since
            self.since = None
            self.read_at = now
            self._read_mono = time.monotonic()
        if was is not None:
            log.warning(
                "the obstacle database answers again (unreachable since %s)",
                utc_stamp(was),
            )

    def stale_since(self) -> str | None:
        """While reads fail: the time of the last one that succeeded (ISO 8601, UTC), the time
        the obstacles routes honour are known to be current at; None otherwise."""
        if self.since is None:
            return None
        read_at = self.read_at
        return utc_stamp(read_at) if read_at is not None else None
