"""gzip for the route answer, with Intel's ISA-L (``isal``) instead of zlib.

A route answer is about 12 kB of JSON that compresses to 3.5–4.2 kB. zlib at level 4 took
about 0.13 ms of every route (a tenth of the whole answer in process); ISA-L's deflate, built
for speed, takes a fifth of that at its level 2 for about 5 % more bytes. Measured on 100
``bench_api`` answers: zlib 4 0.129 ms / 3,404 B, ISA-L 3 0.044 ms / 3,494 B, ISA-L 2
0.031 ms / 3,597 B, zlib-ng 4 0.094 ms / 3,400 B; and again on 300 (mean bytes): ISA-L 3
0.044 ms / 3,465 B, 2 0.027 ms / 3,563 B, 1 0.028 ms / 3,572 B, 0 0.020 ms / 4,115 B. Level 2
was the default then: 0.017 ms less of every route than level 3 for 100 bytes more (level 0
would save 0.007 ms more for 550). Those are times of gzip alone, back to back. Inside whole
answers, where the rest of an answer evicts its tables between two calls, level 2 took 85–92 µs
and level 0 45–49 µs (``bench_answer_stages.py``, two alternating runs each, 2026-12-03), and a
server of two workers at concurrency 8 answered 805–1,110 routes/s at level 2 and 898–1,358 at
level 0 (three alternating pairs, each won by level 0, ``/proc`` CPU per answer 1.65–2.24 against
1.35–2.01 ms). On a faster host with several routes per turn of the loop (2026-12-04,
:mod:`api.loop_routes`; one server per level, alternating twice, 2,000 trips): c8 3,022–3,091
against 2,892–2,925 routes/s, c64 3,182–3,251 against 3,054–3,107, CPU per answer 0.612–0.624 /
0.585–0.596 against 0.647–0.650 / 0.614–0.623 ms. Over 300 answers (12.6 kB of JSON on average): level 0 4,154 B (p95 5,432), 2
3,595 B (4,701), 3 3,511 B; 27, 39 and 85 µs alone. Level 0 is the default: 560 more bytes,
which a mobile link carries in the same first flight of TCP segments (both fit the initial
window of ten), for half of gzip's time in every answer; ``STUFENLOS_ROUTE_GZIP_LEVEL=2``
chooses the smaller answer. The stream is ordinary gzip (RFC 1952): every client's zlib
decodes it.

Only ``POST /routes`` and ``GET /routes`` compress here (where the route is computed, see
:func:`api.routes.routing.route_answer`); other answers go through Starlette's gzip middleware
at ``Settings.gzip_level``.
"""

from __future__ import annotations

from collections.abc import Iterable

from isal import igzip

__all__ = ["ISAL_LEVELS", "accepts_gzip", "gzip_body"]

#: ISA-L's compression levels: 0 fastest … 3 smallest.
ISAL_LEVELS = range(0, 4)


def gzip_body(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member at ISA-L ``level`` (0–3), with modification time 0 so that
    equal answers compress to equal bytes."""
    if level not in ISAL_LEVELS:
        raise ValueError(f"ISA-L levels are 0-3, got {level}")
    return igzip.compress(data, compresslevel=level, mtime=0)


def accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's ``Accept-Encoding`` (the first one) names gzip. ``headers``: the raw
    list of the ASGI scope or of the serving protocol (names in lower case); every route path
    asks this (:mod:`api.fastpath`, :mod:`api.direct`, the FastAPI route endpoints)."""
    for name, value in headers:
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False
