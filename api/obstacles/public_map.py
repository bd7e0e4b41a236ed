"""The public map of the obstacles, ``GET /obstacles/active``, answered from the worker's memory.

Every start of the app asks for it, without a key. It used to read every active obstacle from the
database, validate the collection against its model and encode it, per call: with 3,000 active
obstacles 136 ms of a worker's interpreter each, and eight clients asking for it in a loop cut the
routes of two workers from 192 to 17 per second (p50 17 → 228 ms). The live obstacles' reload
(:class:`~api.obstacles.live.LiveObstacles`) reads the same rows anyway; it keeps them as the
map's features, each encoded (:func:`encoded_feature`: bytes hold an area of 4,900 points in
a tenth of the memory its decoded lists take, and the answer is their concatenation; a reload
keeps those of the obstacles it applied before at the same version), and :class:`ActiveMap`
keeps the encoded answer (plain and gzipped) while the same obstacles at the same versions are
active. A weak ``ETag`` names that set: a client that sends it back in ``If-None-Match`` is
answered ``304`` without a body.
While the database cannot be read the map is answered as last read, with ``stale_since`` (as
routes say it), instead of 503.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from starlette.responses import Response

from api.compression import zlib_gzip_body
from api.responses import exact_bytes, json_body

if TYPE_CHECKING:
    from datetime import datetime

#: The active obstacles as ``(id, version)`` pairs: what names a map.
Applied = tuple[tuple[str, int], ...]
#: Clients may keep the map but ask again each time (with the ETag: 304 while it holds).
CACHE_CONTROL = "no-cache"


class ObstacleRow(Protocol):
    """What the map says of an obstacle (a row of the live obstacles' reload, or an ORM row)."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def geometry(self) -> dict[str, Any]: ...
    @property
    def effect(self) -> dict[str, Any]: ...
    @property
    def reason(self) -> str: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime | None: ...


def public_feature(row: ObstacleRow) -> dict[str, Any]:
    """One obstacle as a feature of the public map: geometry, effect, reason and validity (not
    its author or history)."""
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": row.geometry,
        "properties": {
            "id": row.id,
            "effect": row.effect,
            "reason": row.reason,
            "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        },
    }


def encoded_feature(row: ObstacleRow) -> bytes:
    """:func:`public_feature` as JSON (what the map's answer is made of), kept by the live
    obstacles for as long as the obstacle is active: in memory of its length
    (:func:`~api.responses.exact_bytes`; orjson's own held 4 kB for a point's 217 bytes)."""
    return exact_bytes(json_body(public_feature(row)))


class _Encoded(NamedTuple):
    key: tuple[Any, ...]
    etag: str
    plain: bytes
    gzipped: bytes | None  # None: below the size worth compressing


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2; ``*``)."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == opaque:
            return True
    return False


class ActiveMap:
    """The encoded answer of the public map for one set of active obstacles (the last asked)."""

    def __init__(self, attribution: str, gzip_level: int, min_gzip_bytes: int) -> None:
        self.attribution, self.gzip_level = attribution, gzip_level
        self.min_gzip_bytes = min_gzip_bytes
        self._encoded: _Encoded | None = None
        self._lock = threading.Lock()
        self.encodings = 0  # how often an answer was encoded (for tests)

    def cached(
        self, applied: Applied, stale_since: str | None, *, gzip_ok: bool, if_none_match: str | None
    ) -> Response | None:
        """The answer for the obstacles ``applied`` (their ``(id, version)`` pairs) and
        ``stale_since`` if it is the one kept (else None: :meth:`answer` makes it)."""
        encoded = self._encoded
        if encoded is None or encoded.key != (applied, stale_since):
            return None
        return self._response(encoded, gzip_ok=gzip_ok, if_none_match=if_none_match)

    def answer(
        self,
        applied: Applied,
        features: Sequence[bytes],
        stale_since: str | None,
        *,
        gzip_ok: bool,
        if_none_match: str | None,
    ) -> Response:
        """The answer for the obstacles ``applied`` and ``stale_since``, made of ``features``
        (:func:`encoded_feature`, in the order of ``applied``) unless it is kept; what it makes
        is kept."""
        key = (applied, stale_since)
        with self._lock:  # one encoding of a set, however many ask for it at once
            encoded = self._encoded
            if encoded is None or encoded.key != key:
                encoded = self._encode(key, features, stale_since)
                self._encoded = encoded
        return self._response(encoded, gzip_ok=gzip_ok, if_none_match=if_none_match)

    def _encode(
        self, key: tuple[Any, ...], features: Sequence[bytes], stale_since: str | None
    ) -> _Encoded:
        tail: dict[str, Any] = {"attribution": self.attribution}
        if stale_since is not None:
            tail["stale_since"] = stale_since
        plain = b"".join(
            (
                b'{"type":"FeatureCollection","features":[',
                b",".join(features),
                b"],",
                json_body(tail)[1:],  # the object's members after the features
            )
        )
        packed = None
        if len(plain) >= self.min_gzip_bytes:
            packed = zlib_gzip_body(plain, self.gzip_level)
        etag = f'W/"{hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()}"'
        self.encodings += 1
        return _Encoded(key, etag, plain, packed)

    @staticmethod
    def _response(encoded: _Encoded, *, gzip_ok: bool, if_none_match: str | None) -> Response:
        headers = {"ETag": encoded.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
        if etag_matches(if_none_match, encoded.etag):
            return Response(status_code=304, headers=headers)
        if gzip_ok and encoded.gzipped is not None:
            headers["Content-Encoding"] = "gzip"
            return Response(encoded.gzipped, media_type="application/json", headers=headers)
        return Response(encoded.plain, media_type="application/json", headers=headers)
