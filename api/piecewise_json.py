"""Large JSON bodies read in a pool thread, item by item: ``POST /obstacles/import``.

FastAPI reads a JSON body on the event loop (``Request.json``: the standard library's
``json.loads`` of the whole body, one C call that holds the interpreter). An import of 40 areas
of 4,900 points (4.9 MB of the 8 MB allowed) took ~110 ms of it, during which the worker
answered nothing: ``/health`` took 99 ms (its target is 50 during any load) and the worker's
routes waited as long. Moved to a thread whole, the call would still hold the interpreter as
long. So :func:`loads_in_pieces` reads the largest array of a top-level object (the
FeatureCollection's ``features``) one item at a time, a ``json.loads`` of a few milliseconds
each (a feature has at most 5,000 positions), and the event loop takes the interpreter between
them.

Its value, or its error, is exactly that of the whole body's reading,
:func:`~api.unique_keys.loads_unique` (``json.loads`` that refuses a key given twice in an
object): the items are cut where the body's own structure puts their commas (found with numpy
over the bytes: the quotes that open or close strings, the brackets and commas outside them),
each is read as it is, and the object around them with the array replaced by a marker string
that no body can hold (a random one per call). Whatever does not fit that reading (another
encoding than UTF-8, nesting deeper than a body of ours has, a top-level value that is not an
object, a piece that does not parse) is read whole, as before, so that a broken body gets the
error and the character position it always got. A body below :data:`PIECEWISE_FROM_BYTES`
is read whole too (in the thread: a few milliseconds at most).

:class:`PiecewiseJSONRoute` is the route class of the endpoints that take such bodies; FastAPI's
reading of the body (its content-type rules, its errors) stays as it is, only ``Request.json``
is replaced (:class:`PiecewiseJSONRequest`), as for every endpoint
(:class:`~api.unique_keys.UniqueKeysRoute`).
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from api.collector import collector_paused
from api.unique_keys import UniqueKeysRequest, UniqueKeysRoute, loads_unique

__all__ = ["PIECEWISE_FROM_BYTES", "PiecewiseJSONRequest", "PiecewiseJSONRoute", "loads_in_pieces"]

#: Bodies from this size on are read item by item (below, ``json.loads`` of the whole body
#: takes under ~6 ms).
PIECEWISE_FROM_BYTES = 256 * 1024
#: Bodies nested deeper are read whole (a GeoJSON FeatureCollection of MultiPolygons nests 8
#: deep; the whole body's reading says what is wrong with a deeper one, as it always did).
MAX_PIECEWISE_DEPTH = 32
#: Bodies with more backslashes are read whole (the escapes' search would cost more than it
#: saves; a GeoJSON import has a few in its texts, if any).
MAX_BACKSLASHES = 65536

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = (ord("{"), ord("["))
_CLOSE = (ord("}"), ord("]"))
_COMMA = ord(",")
_STRUCTURAL = np.asarray([*_OPEN, *_CLOSE, _COMMA], dtype=np.uint8)


def loads_in_pieces(body: bytes) -> Any:
    """``loads_unique(body)``: the same value or the same error, the largest array of a top-level
    object read one item at a time (see the module's docstring)."""
    if len(body) < PIECEWISE_FROM_BYTES or json.detect_encoding(body) != "utf-8":
        return loads_unique(body)
    cut = _cut(body)
    if cut is None:
        return loads_unique(body)
    start, end, commas = cut
    marker = f"stufenlos:items:{secrets.token_hex(16)}"
    try:
        outer = loads_unique(_text(body[:start] + f'"{marker}"'.encode() + body[end + 1 :]))
        bounds = [start, *commas, end]
        pieces = [body[a + 1 : b] for a, b in itertools.pairwise(bounds)]
        if len(pieces) == 1 and not pieces[0].strip():
            items: list[Any] = []  # "[]" or "[ ]"
        else:
            items = [loads_unique(_text(piece)) for piece in pieces]
    except (ValueError, RecursionError):  # (JSONDecodeError and UnicodeDecodeError are ValueErrors)
        return loads_unique(body)  # the whole body's own error, or its value
    keys = [k for k, v in outer.items() if v == marker] if isinstance(outer, dict) else []
    if len(keys) != 1:
        return loads_unique(body)
    outer[keys[0]] = items
    return outer


def _text(piece: bytes) -> str:
    """``piece`` decoded as ``json.loads`` decodes a UTF-8 body (lone surrogates kept)."""
    return piece.decode("utf-8", "surrogatepass")


def _cut(body: bytes) -> tuple[int, int, list[int]] | None:
    """Where the largest array of the top-level object starts and ends (byte offsets of its
    brackets) and the offsets of the commas between its items; None when the body is not an
    object, is unbalanced, nests deeper than :data:`MAX_PIECEWISE_DEPTH` or holds no array.

    A quote opens or closes a string unless an odd number of backslashes precedes it; a bracket
    or comma counts only outside strings (an even number of such quotes before it)."""
    b = np.frombuffer(body, dtype=np.uint8)
    quotes = _unescaped_quotes(b)
    if quotes is None:
        return None
    marks = np.flatnonzero(np.isin(b, _STRUCTURAL))
    marks = marks[np.searchsorted(quotes, marks) % 2 == 0]  # outside strings
    if marks.size == 0 or body[: marks[0]].strip() or b[marks[0]] != _OPEN[0]:
        return None  # not an object (or whitespace before it)
    kind = b[marks]
    step = np.where(np.isin(kind, _OPEN), 1, np.where(np.isin(kind, _CLOSE), -1, 0))
    depth = np.cumsum(step)  # after each mark
    if depth.min() < 0 or depth[-1] != 0 or depth.max() > MAX_PIECEWISE_DEPTH:
        return None
    if np.flatnonzero(depth == 0)[0] != marks.size - 1 or body[marks[-1] + 1 :].strip():
        return None  # something after the top-level object
    opens = np.flatnonzero((kind == _OPEN[1]) & (depth == 2))  # arrays that are its values
    if opens.size == 0:
        return None
    closes = np.flatnonzero((step == -1) & (depth == 1))  # each value's last bracket
    ends = closes[np.searchsorted(closes, opens)]
    if not np.all(kind[ends] == _CLOSE[1]):
        return None
    k = int(np.argmax(marks[ends] - marks[opens]))
    first, last = int(opens[k]), int(ends[k])
    inside = np.arange(first + 1, last)
    commas = marks[inside[(kind[inside] == _COMMA) & (depth[inside] == 2)]]
    return int(marks[first]), int(marks[last]), commas.tolist()


def _unescaped_quotes(b: np.ndarray) -> np.ndarray | None:
    """Offsets of the quotes in ``b`` that no odd run of backslashes precedes; None when the
    body holds more than :data:`MAX_BACKSLASHES` backslashes (read whole then)."""
    quotes = np.flatnonzero(b == _QUOTE)
    slashes = np.flatnonzero(b == _BACKSLASH)
    if slashes.size == 0:
        return quotes
    if slashes.size > MAX_BACKSLASHES:
        return None
    # the first backslash of each run, for every backslash
    starts = np.concatenate(([True], np.diff(slashes) != 1))
    first = slashes[np.maximum.accumulate(np.where(starts, np.arange(slashes.size), 0))]
    after = np.searchsorted(slashes, quotes) - 1  # the last backslash before each quote
    escaped = np.zeros(quotes.size, dtype=bool)
    has = after >= 0
    last = slashes[after[has]]
    run = last - first[after[has]] + 1
    escaped[has] = (last == quotes[has] - 1) & (run % 2 == 1)
    return quotes[~escaped]


class PiecewiseJSONRequest(UniqueKeysRequest):
    """A request whose JSON body is read in a pool thread by :func:`loads_in_pieces`."""

    async def json(self) -> Any:
        """The body's JSON value (kept, as Starlette keeps it)."""
        if not hasattr(self, "_json"):
            self._json = await run_in_threadpool(loads_in_pieces, await self.body())
        return self._json


class PiecewiseJSONRoute(UniqueKeysRoute):
    """An endpoint whose body FastAPI reads through :class:`PiecewiseJSONRequest`, handled with
    the garbage collector paused (:func:`~api.collector.collector_paused`): such a body is
    hundreds of thousands of lists, in each of the forms the request gives it."""

    request_class = PiecewiseJSONRequest

    async def respond(
        self, handle: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
    ) -> Response:
        with collector_paused():  # the body's lists set off full collections (api/collector.py)
            try:
                return await handle(request)
            finally:  # its last reference: freed before the collector runs again
                request.__dict__.pop("_json", None)
