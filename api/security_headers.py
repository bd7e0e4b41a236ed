"""The security headers of every answer: ``nosniff``, ``Referrer-Policy``, ``X-Frame-Options``, a
Content-Security-Policy per kind of page and ``Cache-Control``.

Constants and one pure ASGI middleware (:class:`SecurityHeaders`); :mod:`api.direct` sends
:data:`API_HEADERS` with the routes it answers itself. Importing this module loads nothing of
the routing engine (the serving protocol imports it before numba may be).
"""

from __future__ import annotations

from api.asgi_types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "API_CSP",
    "API_HEADERS",
    "CONSOLE_CSP",
    "CONSOLE_PATH",
    "DOCS_ASSETS_PATH",
    "DOCS_CSP",
    "DOCS_PATH",
    "SecurityHeaders",
    "console_csp",
]


#: Content-Security-Policy of the API's answers (JSON, GeoJSON): nothing may load or frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: Content-Security-Policy of ``/docs``: scripts, styles and images of this origin only (Swagger
#: UI sets inline styles and data: images), no framing.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_PATH = "/docs"
#: Where the console build's Swagger UI files are served (``make console``).
DOCS_ASSETS_PATH = "/docs/assets"
#: Content-Security-Policy of the web console (``/console/``): its own scripts, styles, images and
#: API calls (same origin), no inline script, no framing. Styles may be inline (map libraries set
#: style attributes). An installation's base-map tile server is added to ``img-src`` and
#: ``connect-src`` by :func:`console_csp` (``STUFENLOS_CONSOLE_TILE_ORIGINS``).
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; worker-src 'self' blob:; "
    "manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def console_csp(tile_origins: list[str]) -> str:
    """The console's CSP with the origins of a base-map tile server allowed for images and
    fetches (nothing else)."""
    extra = "".join(f" {o}" for o in tile_origins)
    return CONSOLE_CSP.replace(
        "img-src 'self' data: blob:", f"img-src 'self' data: blob:{extra}"
    ).replace("connect-src 'self'", f"connect-src 'self'{extra}")


CONSOLE_PATH = "/console"
_COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
#: The security headers of every API answer (JSON, GeoJSON); :mod:`api.direct` sends them too.
API_HEADERS = [*_COMMON_HEADERS, (b"content-security-policy", API_CSP.encode())]
_DOCS_HEADERS = [*_COMMON_HEADERS, (b"content-security-policy", DOCS_CSP.encode())]


class SecurityHeaders:
    """Add ``nosniff``, ``Referrer-Policy``, ``X-Frame-Options``, a strict CSP (a looser one on
    ``/docs`` and ``/console``) and ``Cache-Control: no-store`` (unless the app set one;
    ``/docs/assets`` are cached for a day, ``/console`` files revalidated) to every HTTP response.
    Pure ASGI: a list extension per response."""

    def __init__(self, app: ASGIApp, console_csp: str = CONSOLE_CSP) -> None:
        self.app = app
        self.console_headers = [
            *_COMMON_HEADERS,
            (b"content-security-policy", console_csp.encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(DOCS_PATH):
            extra = _DOCS_HEADERS
            cache = b"public, max-age=86400" if path.startswith(DOCS_ASSETS_PATH) else b"no-store"
        elif path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/"):
            extra, cache = self.console_headers, b"no-cache"  # revalidated: a rebuild shows at once
        else:
            extra, cache = API_HEADERS, b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", cache))
                headers.extend(extra)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
