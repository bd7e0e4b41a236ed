"""Fast JSON responses: orjson is several times quicker than the standard library on routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import orjson
from fastapi.responses import JSONResponse
from starlette.responses import Response

from api.collector import run_paused
from api.compression import accepts_gzip, gzip_body, zlib_gzip_body

if TYPE_CHECKING:
    from pydantic import BaseModel
    from starlette.requests import Request

#: orjson's options for every JSON body the API writes.
JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY

_JSON_TYPE = (b"content-type", b"application/json")
_GZIPPED = ((b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding"))


def json_body(content: Any) -> bytes:
    """``content`` as the API writes JSON (orjson, numpy scalars allowed)."""
    return orjson.dumps(content, option=JSON_OPTIONS)


def exact_bytes(data: bytes) -> bytes:
    """``data`` in a bytes object whose memory is its length: for JSON kept for long.

    orjson writes into a buffer it grows ahead of the text and hands that buffer back as the
    bytes object without shrinking it (orjson 3.13: 608 bytes of JSON held 8 kB of the C heap,
    1.8 kB held 16 kB, 14 kB of a long list 0.5 MB). An answer's body is sent and dropped; a
    body kept in a cache keeps the whole buffer resident."""
    return bytes(memoryview(data))


class FastJSONResponse(JSONResponse):
    """JSON via orjson (numpy scalars allowed; NaN is never produced by the API's own bodies)."""

    def render(self, content: Any) -> bytes:
        """Serialise ``content``."""
        return json_body(content)


class EncodedAnswer(NamedTuple):
    """A ``200`` JSON answer, serialised and, where asked, gzip-compressed: its body and the
    headers Starlette's ``Response`` gives it (``raw_headers``: content encoding and ``Vary``
    when compressed, then length and type). The serving protocol writes it as it is
    (:mod:`api.direct`); :meth:`response` is the same answer as a Starlette ``Response`` for
    an ASGI cycle. A route answer is made this way rather than as a ``JSONResponse`` and then
    a second ``Response`` for the compressed body: no framework object where none is sent."""

    body: bytes
    raw_headers: list[tuple[bytes, bytes]]
    status_code: int = 200

    @classmethod
    def of(
        cls,
        content: Any,
        *,
        gzip_level: int | None,
        min_gzip_bytes: int,
        compress: Callable[[bytes, int], bytes] = gzip_body,
    ) -> EncodedAnswer:
        """``content`` as orjson writes it for :class:`FastJSONResponse`, compressed at
        ``gzip_level`` when that is not None and the body has at least ``min_gzip_bytes``; by
        ISA-L (:func:`~api.compression.gzip_body`, the routes') unless ``compress`` says
        otherwise (the public map's: :func:`~api.compression.zlib_gzip_body`)."""
        body = json_body(content)
        if gzip_level is None or len(body) < min_gzip_bytes:
            return cls(body, [(b"content-length", b"%d" % len(body)), _JSON_TYPE])
        body = compress(body, gzip_level)
        return cls(body, [*_GZIPPED, (b"content-length", b"%d" % len(body)), _JSON_TYPE])

    @property
    def gzipped(self) -> bool:
        """Whether the body is gzip-compressed."""
        return self.raw_headers[0] == _GZIPPED[0]

    def response(self) -> Response:
        """The answer as a Starlette ``Response`` (the same status, headers and body)."""
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if self.gzipped else None
        return Response(self.body, media_type="application/json", headers=headers)


class Settings(Protocol):
    """What :func:`encoded_response` reads of the app's settings (``api.settings.Settings``,
    which imports modules that import this one)."""

    @property
    def gzip_level(self) -> int: ...
    @property
    def gzip_min_bytes(self) -> int: ...


def encoded_response(content: Any, request: Request, settings: Settings) -> Response:
    """A large answer (the public map's lines, the staff's list and export of the obstacles)
    encoded by orjson and gzipped where the client takes it, in the pool thread that calls
    this: returned as a plain dict or model, FastAPI would validate it against its model there
    and then, on the event loop, encode it with the standard library's json, and the gzip
    middleware would compress it there (some 30 ms of a 5,000-piece map, 170-220 ms of an
    export of 40 areas of 4,900 points) while the loop answers nothing. The gzip middleware
    leaves an encoded body as it is."""
    gzip_ok = accepts_gzip(request.scope["headers"])
    return EncodedAnswer.of(
        content,
        gzip_level=settings.gzip_level if gzip_ok else None,
        min_gzip_bytes=settings.gzip_min_bytes,
        compress=zlib_gzip_body,
    ).response()


def encoded_model(build: Callable[[], BaseModel], request: Request, settings: Settings) -> Response:
    """The model ``build()`` makes, as its JSON (what FastAPI writes of a response model),
    made and encoded (:func:`encoded_response`) in the pool thread that calls this, with the
    garbage collector paused (:mod:`api.collector`): the staff's lists of obstacles, their
    export, an obstacle's history and the citizens' reports hold the obstacles' geometry, an
    area of thousands of points in each (40 such areas: 4.5 MB, 170-220 ms of the event loop
    when FastAPI encoded it there). What the model was made of is freed before the collector
    runs again."""
    return run_paused(
        lambda: encoded_response(build().model_dump(mode="json", by_alias=True), request, settings)
    )
