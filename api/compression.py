"""gzip for the route answer, with Intel's ISA-L (``isal``) instead of zlib.

A route answer is about 12 kB of JSON that compresses to about 3.5 kB. zlib at level 4 took
about 0.13 ms of every route (a tenth of the whole answer in process); ISA-L's deflate, built
for speed, takes a fifth of that at its level 2 for about 5 % more bytes. Measured on 100
``bench_api`` answers: zlib 4 0.129 ms / 3,404 B, ISA-L 3 0.044 ms / 3,494 B, ISA-L 2
0.031 ms / 3,597 B, zlib-ng 4 0.094 ms / 3,400 B; and again on 300 (mean bytes): ISA-L 3
0.044 ms / 3,465 B, 2 0.027 ms / 3,563 B, 1 0.028 ms / 3,572 B, 0 0.020 ms / 4,115 B. Level 2
is the default: 0.017 ms less of every route for 100 bytes more (level 0 would save 0.007 ms
more for 550). Level 0 was made the default twice and taken back twice: served, it did not
win clearly. On 2026-12-03 (a slower host) ``bench_peers.py`` alternating gave c8 1,109 against
1,096 routes/s and c64 1,009 against 1,084; on 2026-12-04 (several routes per turn of the loop,
:mod:`api.loop_routes`) one server per level, three alternating rounds, 2,000 trips: c8
3,018-3,096 against 2,992-3,049 routes/s, c64 3,216-3,251 against 3,133-3,222, CPU per answer
within 2 % (an earlier pair of rounds had shown 4-5 %), and ``bench_peers.py`` alternating c8
2,930 against 2,909, c64 3,049 against 3,206. For 15 % more bytes per answer (4,154 against
3,595 B over 300 answers) that is not enough: the default stays 2. The stream is ordinary gzip
(RFC 1952): every client's zlib decodes it.

ISA-L's smallest memory level (``MEM_LEVEL_MIN``): by default it takes a buffer of 280–350 kB
for every answer (level 1–3), which the serving process's fixed mmap threshold
(:func:`api.heap.fix_mmap_threshold`, 128 KiB) would map and fault in anew each time, 0.027 ms
and two system calls an answer (c64 0.89× the routes/s in ``benchmarks/bench_load.py``). At the
smallest level the buffer comes from the heap: over 300 answers of 6 kB, 1,700.7 against 1,700.9
bytes, 0.021 against 0.018 ms with glibc's default threshold.

Only ``POST /routes`` and ``GET /routes`` compress here (where the route is computed, see
:func:`api.route_answers.route_answer`); the public map's big answers are compressed with zlib
where they are built, off the event loop, with zlib (:func:`zlib_gzip_body`:
:mod:`api.routes.network`, :mod:`api.obstacles.public_map`); other answers go through Starlette's gzip middleware at
``Settings.gzip_level``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable

from isal import igzip_lib
from starlette.middleware.gzip import GZipMiddleware, IdentityResponder
from starlette.types import Receive, Scope, Send

__all__ = ["ISAL_LEVELS", "NegotiatedGZip", "accepts_gzip", "gzip_body", "zlib_gzip_body"]

#: ISA-L's compression levels: 0 fastest … 3 smallest.
ISAL_LEVELS = range(0, 4)


def gzip_body(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member at ISA-L ``level`` (0–3), with modification time 0 so that
    equal answers compress to equal bytes."""
    if level not in ISAL_LEVELS:
        raise ValueError(f"ISA-L levels are 0-3, got {level}")
    return igzip_lib.compress(
        data, level=level, flag=igzip_lib.COMP_GZIP, mem_level=igzip_lib.MEM_LEVEL_MIN
    )  # a gzip header with modification time 0, as ISA-L writes it


def zlib_gzip_body(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member at zlib ``level`` (1–9; ``Settings.gzip_level``), with
    modification time 0: the big answers of the public map (:mod:`api.routes.network`,
    :mod:`api.obstacles.public_map`), compressed where they are made, as Starlette's middleware
    would compress them on the event loop."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's ``Accept-Encoding`` (the first one) accepts gzip: named (``x-gzip``
    too) or by ``*``, with a quality above 0 (``gzip;q=0`` refuses it, RFC 9110 12.5.3).
    ``headers``: the raw list of the ASGI scope or of the serving protocol (names in lower
    case); every route path asks this (:mod:`api.fastpath`, :mod:`api.direct`, the FastAPI
    route endpoints, :class:`NegotiatedGZip`)."""
    for name, value in headers:
        if name == b"accept-encoding":
            value = value.lower()
            if b";" not in value:  # no qualities (what browsers and apps send): named or not
                return b"gzip" in value
            return _gzip_quality(value) > 0.0
    return False


def _gzip_quality(value: bytes) -> float:
    """The quality an ``Accept-Encoding`` value (lower case) gives gzip: its own, else that of
    ``*``, else 0; an unreadable quality is 0."""
    star = 0.0
    for part in value.split(b","):
        coding, _, params = part.partition(b";")
        quality = 1.0
        for param in params.split(b";"):
            key, _, number = param.strip().partition(b"=")
            if key == b"q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
                if not 0.0 <= quality <= 1.0:  # NaN, out of range: unreadable
                    quality = 0.0
        coding = coding.strip()
        if coding in (b"gzip", b"x-gzip"):
            return quality
        if coding == b"*":
            star = quality
    return star


class NegotiatedGZip(GZipMiddleware):
    """Starlette's gzip middleware for the answers other than routes, which compresses
    whenever ``gzip`` appears in ``Accept-Encoding`` (``gzip;q=0`` too): here only when
    :func:`accepts_gzip` says the client takes it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not accepts_gzip(scope["headers"]):
            # as Starlette answers a client that does not name gzip (``Vary`` and all)
            identity = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
            await identity(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
