"""Service settings, read from the environment (prefix ``STUFENLOS_``) by pydantic-settings.

Each default is named where the library needs it (``routing.engine.DEFAULT_MAX_SNAP_M``, the
metric cache size, the obstacle matching tolerance, the live overlay's poll interval) and referred to here by name.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.affinity import AffinityMode
from api.compression import ISAL_LEVELS
from api.obstacles.live import DEFAULT_POLL_S
from graphs import settings as graph_settings
from routing.engine import DEFAULT_MAX_SNAP_M, DEFAULT_SETTLE_BUDGET_FACTOR
from routing.obstacles.matching import DEFAULT_TOLERANCE_M, MAX_TOLERANCE_M

#: A CSP source of one origin: ``https://tiles.example.org[:8443]`` (``*.`` allowed in front).
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class Settings(BaseSettings):
    """Everything the service can be configured with (``STUFENLOS_GRAPH_DIR=…`` etc.)."""

    model_config = SettingsConfigDict(env_prefix="STUFENLOS_", extra="ignore")

    graph_dir: Path = Field(default_factory=graph_settings.default_graph_dir)
    max_snap_m: float = Field(
        DEFAULT_MAX_SNAP_M, gt=0, le=5000, description="snap radius in metres"
    )
    settle_budget_factor: float = Field(
        DEFAULT_SETTLE_BUDGET_FACTOR,
        gt=0,
        description="most nodes one search settles, × the graph's node count",
    )
    metric_cache_bytes: int | None = Field(
        None,
        ge=0,
        description="bytes of customised profile metrics (costs, landmarks) kept per worker "
        "besides the presets' (default: 12 metrics of the served graph, at most 256 MiB; "
        "routing.metric)",
    )
    landmark_refresh: bool = Field(
        True,
        description="fresh landmarks for a metric that staff obstacles made searches slower on, "
        "computed in a thread of the worker once they pay (routing.landmark_refresh)",
    )
    max_body_bytes: int = Field(64 * 1024, gt=0, description="largest accepted request body")
    max_via_points: int = Field(10, ge=0, le=100)
    max_alternatives: int = Field(3, ge=0, le=5)
    max_matrix_cells: int = Field(10_000, ge=1, description="largest POST /matrix (cells)")
    matrix_cost_budget: int = Field(
        100_000_000, ge=1, description="POST /matrix without an API key: cells × graph nodes"
    )
    matrix_cost_budget_keyed: int = Field(
        10_000_000_000, ge=1, description="POST /matrix with a valid API key: cells × graph nodes"
    )
    cors_origins: list[str] = Field(default_factory=list)
    gzip_min_bytes: int = Field(1024, ge=0)
    gzip_level: int = Field(
        4, ge=1, le=9, description="zlib level of answers other than routes: 1 fastest … 9 smallest"
    )
    route_gzip_level: int = Field(
        2, ge=min(ISAL_LEVELS), le=max(ISAL_LEVELS),
        description="ISA-L level of route answers (api/compression.py): 0 fastest … 3 smallest",
    )  # fmt: skip
    fast_routes: bool = Field(
        True,
        description="answer well-formed POST /routes without FastAPI's per-request machinery "
        "(api/fastpath.py; same answers, about 0.2 ms less per route)",
    )
    direct_routes: bool = Field(
        True,
        description="answer a well-formed POST /routes at the HTTP protocol of stufenlos serve, "
        "without an ASGI task, middlewares or response messages (api/direct.py; the same bytes, "
        "about 0.1 ms less per route); needs fast_routes",
    )
    balance_connections: bool = Field(
        True,
        description="with more than one worker, each worker accepts a new connection only while "
        "no other worker holds fewer open ones (api/balance.py; otherwise whichever worker "
        "wakes first takes every waiting connection)",
    )
    idle_loop_routes: bool = Field(
        True,
        description="compute a one-leg route without a rest limit on the event loop, in turn with the "
        "worker's other such routes (api/loop_routes.py; no thread hand-over: about 0.2 ms less at "
        "concurrency 1, and with several routes per turn 9-25 % more routes/s under load); false: "
        "every route in the CPU thread",
    )
    loop_turn_routes: int = Field(
        8,
        ge=1,
        le=64,
        description="routes a turn of the event loop computes at most before it writes their answers "
        "together (api/loop_routes.py; 1: each answer written after its route)",
    )
    loop_turn_ms: float = Field(
        4.0,
        gt=0,
        le=100,
        description="milliseconds after which a turn of the event loop starts no further route: what "
        "other requests of the worker wait for the loop at most, besides one route",
    )
    # --- obstacles and citizen reports (api/obstacles, api/routes/{obstacles,reports}.py)
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<cache_dir>/stufenlos.db"
    )
    max_import_bytes: int = Field(8 * 1024 * 1024, gt=0, description="POST /obstacles/import")
    max_report_bytes: int = Field(8 * 1024, gt=0, description="largest citizen report body")
    reports_per_minute: int = Field(5, ge=1, description="citizen reports per client IP")
    obstacle_tolerance_m: float = Field(
        DEFAULT_TOLERANCE_M, gt=0, le=MAX_TOLERANCE_M, description="matching tolerance in metres"
    )
    obstacle_poll_s: float = Field(
        DEFAULT_POLL_S,
        ge=0,
        le=60,
        description=(
            "how often (s) a worker checks the database for writes of workers on other hosts "
            "(workers on one host learn of them at once through a shared beacon)"
        ),
    )
    obstacles_attribution: str = Field(
        "Obstacles: Stadt Kaiserslautern", description="credit on GET /obstacles/active"
    )
    # --- the HTTP server (api/server.py) and the app's own hardening (api/app.py)
    forwarded_allow_ips: str = Field(
        "",
        description="comma-separated proxy addresses whose X-Forwarded-For/-Proto is believed "
        "('*' any); empty: the socket peer is the client",
    )
    header_timeout_s: float = Field(
        5.0, gt=0, le=300, description="a connection that sends no complete request head within "
        "this time (after it opens or after the previous response) is closed",
    )  # fmt: skip
    body_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="a connection that sends not the whole body of a "
        "request within this time after its head is closed",
    )  # fmt: skip
    worker_cpu_affinity: AffinityMode = Field(
        "off",
        description="auto: with at least as many workers as CPUs, worker i's event loop and CPU "
        "thread stay on CPU i while no worker has jobs queued (api/affinity.py); off: the "
        "kernel's scheduler places every thread",
    )
    keep_alive_s: int = Field(5, ge=1, le=300, description="idle keep-alive connections close")
    max_connections: int = Field(
        1000, ge=1, description="open connections per worker; past it requests get 503"
    )
    docs: bool = Field(True, description="serve /docs (Swagger UI from local assets)")
    max_network_features: int = Field(
        5000, ge=1, description="most network pieces one GET /network answers"
    )
    max_priority_trips: int = Field(
        1000, ge=1, description="most benchmark trips one GET /priorities routes"
    )
    bench_dir: Path | None = Field(
        None,
        description="where benchmark runs of POST /bench/runs are kept "
        "(default: <cache_dir>/bench_runs)",
    )
    max_bench_jobs: int = Field(1, ge=1, le=8, description="benchmark runs going on at once")
    max_bench_pairs: int = Field(2000, ge=1, description="most pairs of one POST /bench/runs")
    console_tile_origins: list[str] = Field(
        default_factory=list,
        description="origins of a base-map tile server the console may load images and "
        "data from (its CSP), e.g. https://tiles.example.org",
    )
    console_dir: Path | None = Field(
        None, description="the built web console (default: console/dist of the checkout)"
    )

    @field_validator("console_tile_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        """Each an origin (scheme, host, port; a ``*.`` host wildcard allowed): nothing that
        could add CSP directives."""
        for origin in origins:
            if not _ORIGIN.match(origin):
                raise ValueError(f"not an origin (https://host[:port]): {origin!r}")
        return origins
