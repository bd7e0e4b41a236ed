"""JSON bodies whose objects name each key once: a key given twice is refused, not guessed.

``{"profile": {"name": "wheelchair"}, "profile": {"name": "walk"}}`` is JSON that RFC 8259
leaves to the reader (names "SHOULD be unique"; I-JSON, RFC 7493, forbids duplicates). The
standard library and orjson keep the last value, silently: that request got a walking route.
Which one the client meant nobody knows (a client that merges objects badly, two layers of a
proxy that each read another one), so the API refuses it with 422 ``invalid_request`` naming
the key, as it refuses a body that does not parse.

:func:`loads_unique` is ``json.loads`` (its value, its errors) with that one rule more, through
the object hook of the standard library's C scanner (about 5 µs for a route request).
:class:`UniqueKeysRoute` reads every endpoint's body with it (FastAPI otherwise calls
``json.loads`` itself), :func:`api.piecewise_json.loads_in_pieces` a large import's pieces, and
:func:`has_duplicate_keys` checks what the route fast path read with orjson
(:func:`api.fastpath.parse_route_request`; about 1 µs for a body as apps write it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

__all__ = [
    "DUPLICATE_KEY",
    "SAID_KEY_CHARS",
    "DuplicateKeyError",
    "UniqueKeysRequest",
    "UniqueKeysRoute",
    "has_duplicate_keys",
    "loads_unique",
]

#: The message of :class:`DuplicateKeyError` up to the key (how the 422 answer of
#: :mod:`api.errors` recognises it).
DUPLICATE_KEY = "a key given twice in one object: "
#: The bytes JSON allows between its tokens (RFC 8259, section 2).
_JSON_WHITESPACE = b" \t\n\r"
#: A longer key is named by its first characters and "…" (the answer does not echo a body).
SAID_KEY_CHARS = 80


class DuplicateKeyError(json.JSONDecodeError):
    """A JSON object names ``key`` more than once. A :class:`json.JSONDecodeError`, so that
    FastAPI answers it as it answers a body that does not parse (a 422 of the body); its place
    is not known (the scanner's object hook is not told where an object is), so ``pos`` is 0
    and the answer names the key instead."""

    def __init__(self, key: str, doc: str) -> None:
        said = key if len(key) <= SAID_KEY_CHARS else key[:SAID_KEY_CHARS] + "…"
        super().__init__(f"{DUPLICATE_KEY}{json.dumps(said, ensure_ascii=False)}", doc, 0)
        self.key = key


class _DuplicateError(Exception):
    """Raised inside the scanner by :func:`_object`; made a :class:`DuplicateKeyError` (which
    needs the document) by :func:`loads_unique`."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object from its ``(key, value)`` pairs, as ``json.loads`` makes it, unless a
    key comes twice."""
    made = dict(pairs)
    if len(made) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateError(key)
            seen.add(key)
    return made


def loads_unique(body: str | bytes) -> Any:
    """``json.loads(body)`` — the same value, the same errors — except that an object naming a
    key twice raises :class:`DuplicateKeyError` (the first such key the scanner finishes)."""
    try:
        return json.loads(body, object_pairs_hook=_object)
    except _DuplicateError as dup:
        doc = body if isinstance(body, str) else body.decode("utf-8", "replace")
        raise DuplicateKeyError(dup.key, doc) from None


def has_duplicate_keys(body: bytes, parsed: Any) -> bool:
    """Whether ``body`` has an object that names a key twice, given ``parsed``: the value
    orjson read from it (which keeps a repeated key's last value, silently).

    First a sufficient test that costs about 1 µs: orjson's own writing of ``parsed`` is
    ``body`` but for JSON's whitespace (space, tab, line feed, carriage return: removed from
    both, inside strings too; that never moves a quote, a backslash or a bracket, so both texts
    keep their members). Then ``body`` has as many members (``:`` outside strings) as
    ``parsed`` has keys, and a key given twice would have left ``parsed`` one fewer. That
    holds for a body written compactly or with ``json.dumps``' separators, its numbers in their
    shortest form and its text unescaped, as apps write them; any other is read again by
    :func:`loads_unique` (about 5 µs for a route request). A body the standard library does
    not read as orjson does counts as none: it goes to FastAPI either way."""
    try:
        written = orjson.dumps(parsed)
    except orjson.JSONEncodeError:  # (orjson writes what it read; a safety net)
        written = b""
    if written.translate(None, _JSON_WHITESPACE) == body.translate(None, _JSON_WHITESPACE):
        return False
    try:
        loads_unique(body)
    except DuplicateKeyError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


class UniqueKeysRequest(Request):
    """A request whose JSON body is read by :func:`loads_unique`."""

    async def json(self) -> Any:
        """The body's JSON value (kept, as Starlette keeps it)."""
        if not hasattr(self, "_json"):
            self._json = loads_unique(await self.body())
        return self._json


class UniqueKeysRoute(APIRoute):
    """An endpoint whose body FastAPI reads through :class:`UniqueKeysRequest` (every router
    of the API is made with it; ``tests/api/test_unique_keys.py`` checks that none is not)."""

    #: The request class the handler is given.
    request_class: type[Request] = UniqueKeysRequest

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await self.respond(handle, self.request_class(request.scope, request.receive))

        return handler

    async def respond(
        self, handle: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
    ) -> Response:
        """``handle(request)``: what a subclass wraps (:class:`api.piecewise_json.
        PiecewiseJSONRoute` pauses the garbage collector around it)."""
        return await handle(request)
