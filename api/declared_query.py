"""The query of a request is read as its operation declares it: each parameter once, and no
parameter the operation does not take.

No operation of the API takes a list in its query, and none reads a parameter it does not
declare; Starlette reads ``?profile=wheelchair&profile=walk`` as ``walk`` (the last value) and
passes over a parameter no one asked for. So a client's mistake was answered as if it had asked
for something else, without a word (a hostile-input battery, 2026-12-06): a wheelchair route
request with the profile twice got a walking route with steps; ``POST /routes?profile=
wheelchair`` (the profile in the query instead of the body) a walking route; ``/priorities?
profil=blind`` the wheelchair's priorities; ``POST /obstacles/import?mode=versioned&mode=
overwrite`` overwrote without the version check. :class:`DeclaredQuery` answers 422
``invalid_request`` naming the parameter (its values, or what the operation takes), before the
app reads the body. A ``GET`` that declares no parameter (``/health``, ``/profiles``: nothing to
misread) takes any query, as do paths that are not the API's (the console, the docs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from api.asgi_types import ASGIApp, Receive, Scope, Send
from api.errors import error_response

__all__ = ["DeclaredQuery", "Operation", "operations_of", "query_problem"]

#: What an operation's refusal adds where another operation takes what was sent.
HINTS = {("GET", "/routes"): " (via points, alternatives and the rest: POST /routes)"}


@dataclass(frozen=True, slots=True)
class Operation:
    """A method on a path template of the API and the query parameters it declares."""

    method: str
    template: str
    pattern: re.Pattern[str]
    names: frozenset[str]
    has_body: bool = False


def operations_of(app: Any) -> list[Operation]:
    """The app's operations as its OpenAPI document lists them (built once; ``stufenlos
    serve`` builds it in the serving parent, :func:`api.preload.preload_app`, and its workers
    share it). A template's fixed paths come before those with parameters (``/obstacles/active``
    before ``/obstacles/{obstacle_id}``), as the app routes them."""
    found = []
    for template, item in app.openapi().get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            names = frozenset(
                p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
            )
            has_body = "requestBody" in operation
            found.append(Operation(method.upper(), template, pattern, names, has_body))
    return sorted(found, key=lambda op: "{" in op.template)


def query_problem(query_string: bytes, operation: Operation) -> tuple[str, str] | None:
    """``(parameter, problem)`` for the first parameter ``operation`` does not take as sent,
    or None (the query as Starlette decodes it: Latin-1 bytes, percent-decoded as UTF-8)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    takes = operation.names
    if not takes and operation.method == "GET":
        return None
    for name, count in Counter(name for name, _ in pairs).items():
        if name not in takes:
            what = f"takes {', '.join(sorted(takes))}" if takes else "takes no query parameters"
            if not takes and operation.has_body:
                what += ": its parameters are in the body"
            hint = HINTS.get((operation.method, operation.template), "")
            return name, f"unknown query parameter {name!r}; {operation.method} {operation.template} {what}{hint}"  # fmt: skip
        if count > 1:
            values = [value for key, value in pairs if key == name]
            shown = ", ".join(repr(v) for v in values[:5]) + (" …" if len(values) > 5 else "")
            return name, f"given {count} times ({shown}); give it once"
    return None


class DeclaredQuery:
    """Pure ASGI middleware: 422 for a query its operation does not take as sent."""

    def __init__(self, app: ASGIApp, routes_of: Any) -> None:
        self.app, self.routes_of = app, routes_of
        self._operations: list[Operation] | None = None

    def _operation(self, method: str, path: str) -> Operation | None:
        if self._operations is None:  # the routes are all there once the app serves
            self._operations = operations_of(self.routes_of)
        method = "GET" if method == "HEAD" else method
        for operation in self._operations:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        operation = self._operation(scope["method"], scope["path"]) if query else None
        problem = query_problem(query, operation) if operation is not None else None
        if problem is not None:
            name, text = problem
            response = error_response(
                422, "invalid_request", f"query.{name}: {text}",
                {"errors": [{"field": f"query.{name}", "problem": text}], "field": name},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
