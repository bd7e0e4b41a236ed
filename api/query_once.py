"""A query parameter given more than once is refused, not read as its last value.

No operation of the API takes a list in its query. Starlette reads ``?profile=wheelchair&
profile=walk`` as ``walk`` (the last value), so a client that sends a parameter twice, by a bug
of its own, was answered for one of them without being told: a wheelchair route request got a
walking route with steps, ``POST /obstacles/import?mode=versioned&mode=overwrite`` overwrote
without the version check (a hostile-input battery, 2026-12-06). :class:`RepeatedQueryRefusal`
answers 422 ``invalid_request`` naming the parameter and its values, before the app reads the
request's body. Only names some operation of the app declares are refused: an unknown parameter
is no operation's business (``GET /routes`` refuses unknown ones itself).
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from api.asgi_types import ASGIApp, Receive, Scope, Send
from api.errors import error_response

__all__ = ["RepeatedQueryRefusal", "declared_query_names", "repeated_parameter"]


def declared_query_names(app: Any) -> frozenset[str]:
    """The query parameters (their names as sent) that the app's operations declare, as its
    OpenAPI document lists them (built once; ``stufenlos serve`` builds it in the serving
    parent, :func:`api.server.preload_app`, and its workers share it)."""
    return frozenset(
        parameter["name"]
        for item in app.openapi().get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", ())
        if parameter.get("in") == "query"
    )


def repeated_parameter(query_string: bytes, names: frozenset[str]) -> tuple[str, list[str]] | None:
    """The first of ``names`` the query gives more than once, with its values (as Starlette
    decodes a query: Latin-1 bytes, percent-decoded as UTF-8)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    counts = Counter(name for name, _ in pairs if name in names)
    for name, count in counts.items():
        if count > 1:
            return name, [value for key, value in pairs if key == name]
    return None


class RepeatedQueryRefusal:
    """Pure ASGI middleware: 422 for a declared query parameter given more than once."""

    def __init__(self, app: ASGIApp, routes_of: Any) -> None:
        self.app, self.routes_of = app, routes_of
        self._names: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query:
            if self._names is None:  # the routes are all there once the app serves
                self._names = declared_query_names(self.routes_of)
            repeated = repeated_parameter(query, self._names)
            if repeated is not None:
                name, values = repeated
                shown = ", ".join(repr(v) for v in values[:5]) + (" …" if len(values) > 5 else "")
                problem = f"given {len(values)} times ({shown}); give it once"
                response = error_response(
                    422, "invalid_request", f"query.{name}: {problem}",
                    {"errors": [{"field": f"query.{name}", "problem": problem}]},
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
