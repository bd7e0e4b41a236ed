"""UTC time stamps as the project writes them: ISO 8601 to the second, ``Z``-suffixed.

One definition for every stamp a file or an answer carries: a graph's ``built_at``, a benchmark
run's ``timestamp``, ``created_at`` and ``finished_at``, and ``/health``'s and the routes' times
of the obstacles' database (each module wrote the same expression before). In the lowest layer
that all of them may import (``graphs``; docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_stamp(at: datetime | None = None) -> str:
    """``at`` (default: now) in UTC, ``2026-12-06T20:49:34Z``; a naive ``at`` is local time."""
    moment = datetime.now(UTC) if at is None else at.astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
