"""What ``stufenlos serve`` does: make sure the graph and the database are ready, run uvicorn."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from api.settings import Settings

#: Environment variable through which the head timeout reaches the protocol of every worker.
HEADER_TIMEOUT_ENV = "STUFENLOS_HEADER_TIMEOUT_S"
DEFAULT_HEADER_TIMEOUT_S = 5.0


def header_timeout_s() -> float:
    """The head-read timeout of this process (``STUFENLOS_HEADER_TIMEOUT_S``, else 5 s)."""
    value = os.environ.get(HEADER_TIMEOUT_ENV)
    return float(value) if value else DEFAULT_HEADER_TIMEOUT_S


class _HeadTimeout:
    """Close a connection that sends no complete request head within the timeout.

    uvicorn times out idle keep-alive connections only, and only until their first byte: a
    client that sends half a request line holds its connection forever. The timer runs from the
    connection's start and from the end of each response (when no pipelined request waits), and
    stops when a request head is complete; the body and the app's work are not timed here.
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive_task: asyncio.TimerHandle | None
    _head_timer: asyncio.TimerHandle | None = None

    def _arm_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(header_timeout_s(), self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self.timeout_keep_alive_task is not None:  # idle now: the next head is timed
            self._arm_head_timer()


class HeadTimeoutHttpToolsProtocol(_HeadTimeout, HttpToolsProtocol):
    """uvicorn's httptools protocol with a head-read timeout."""

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()


class HeadTimeoutH11Protocol(_HeadTimeout, H11Protocol):
    """uvicorn's h11 protocol with a head-read timeout (when httptools is not installed)."""

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that harden the server (``stufenlos serve`` and the tests use them).

    ``X-Forwarded-For`` is believed only from ``settings.forwarded_allow_ips`` (uvicorn's own
    default trusts every process on loopback); connections per worker are bounded (503 past
    ``max_connections``) and a request head must arrive within ``header_timeout_s``.
    """
    allow = settings.forwarded_allow_ips.strip()
    try:
        import httptools  # noqa: F401

        protocol = "api.server:HeadTimeoutHttpToolsProtocol"
    except ImportError:  # pragma: no cover - uvicorn[standard] ships httptools
        protocol = "api.server:HeadTimeoutH11Protocol"
    return {
        "http": protocol,
        "proxy_headers": bool(allow),
        "forwarded_allow_ips": allow or None,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": 16 * 1024,
    }


def serve(
    *,
    graph_dir: Path | None = None,
    osm: Path | None = None,
    dem: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "warning",
) -> int:
    """Run the HTTP API with uvicorn until it is stopped; return the exit status.

    ``osm`` builds that file once into the cache and serves it; otherwise ``graph_dir`` (default:
    the default area's graph). The graph is loaded once here so that a missing or broken graph
    fails with one sentence rather than inside a worker, and the database is migrated once,
    before the workers start (they would race on SQLite).
    """
    import uvicorn

    from api.db.commands import migrate_before_serving
    from api.settings import Settings
    from graphs import settings
    from graphs.store import load_graph

    graph_dir = graph_dir if graph_dir is not None else settings.default_graph_dir()
    if osm is not None:
        from graphs.pipeline import SourceSpec, build_to_dir

        graph_dir = settings.cache_dir / "graphs" / osm.name.split(".")[0]
        if not (graph_dir / "meta.json").is_file():
            build_to_dir(SourceSpec(osm=osm), graph_dir, dem_path=dem)
    load_graph(graph_dir)
    migrate_before_serving()
    os.environ["STUFENLOS_GRAPH_DIR"] = str(graph_dir)
    settings = Settings()
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_timeout_s)
    print(f"stufenlos: serving {graph_dir} on http://{host}:{port} (docs: /docs)", file=sys.stderr)
    uvicorn.run(
        "api.app:create_app", factory=True, host=host, port=port,
        workers=workers, log_level=log_level, access_log=False, **uvicorn_options(settings),
    )  # fmt: skip
    return 0
