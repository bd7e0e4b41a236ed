"""What ``stufenlos serve`` does: migrate the database, preload the app, fork uvicorn workers.

The steps live beside it: the preloading in :mod:`api.preload`, the forking parent and the
migration's child in :mod:`api.supervisor`, the hardened HTTP protocol the workers speak in
:mod:`api.http_protocol`. ``api.server`` keeps importing what older benchmarks import from it
(``prepare_kernels``).
"""

from __future__ import annotations

import gc
import os
import socket
import sys
from pathlib import Path

from accessibility_rules.kernel_loading import compiled_in_use
from api.affinity import available_cpus, worker_cpus
from api.http_protocol import BODY_TIMEOUT_ENV, HEADER_TIMEOUT_ENV, uvicorn_options
from api.preload import import_numba_without_unused_probes, preload_app, prepare_kernels
from api.supervisor import Supervisor, migrate_in_child


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
    """Run the HTTP API until it is stopped; return the exit status.

    ``osm`` builds that file once into the cache and serves it; otherwise ``graph_dir`` (default:
    the default area's graph). This process preloads the app (:func:`preload_app`: a missing or
    broken graph fails here with one sentence rather than inside a worker), migrates the database
    once before the workers start (they would race on SQLite; :func:`migrate_in_child`), binds the socket,
    freezes its objects out of the garbage collector's reach (``gc.freeze``: a collection in a
    worker would otherwise write to, and so copy, every shared page holding a Python object) and
    forks the ``workers`` (:class:`Supervisor`). Its output and its workers' is written by a
    thread of its own (:func:`~api.log_stream.queued_output`: a reader that does not read must
    not hold a request), entered before any log handler is made.
    """
    from api.log_stream import queued_output

    with queued_output():
        return _serve(graph_dir, osm, dem, host, port, workers, log_level)


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`OSError` with one sentence when ``host``:``port`` cannot be listened on
    (another server there, a host name this machine does not have). Found 2026-12-07: the
    serving parent loaded the graph and the presets for seconds, then uvicorn said "ERROR:
    [Errno 98] Address already in use" and the command ended with status 3. Tried with a
    socket as uvicorn makes it (``SO_REUSEADDR``), closed at once; port 0 always passes."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise OSError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server there? "
                "--port chooses another)"
            ) from exc


def _serve(
    graph_dir: Path | None,
    osm: Path | None,
    dem: Path | None,
    host: str,
    port: int,
    workers: int,
    log_level: str,
) -> int:
    """:func:`serve`'s work, with its output queued."""
    import uvicorn

    check_port_free(host, port)  # before seconds of loading, not after them
    prepare_kernels()  # before anything imports the kernels (api.app does)
    if not compiled_in_use():
        import_numba_without_unused_probes()  # before anything imports numba
    from api.heap import release_free_heap
    from api.settings import Settings
    from graphs import settings as graph_settings

    graph_dir = graph_dir if graph_dir is not None else graph_settings.default_graph_dir()
    if osm is not None:
        from graphs.pipeline import SourceSpec, build_to_dir

        graph_dir = graph_settings.cache_dir / "graphs" / osm.name.split(".")[0]
        if not (graph_dir / "meta.json").is_file():
            build_to_dir(SourceSpec(osm=osm), graph_dir, dem_path=dem)
    os.environ["STUFENLOS_GRAPH_DIR"] = str(graph_dir)
    settings = Settings()
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_timeout_s)
    os.environ[BODY_TIMEOUT_ENV] = str(settings.body_timeout_s)
    app = preload_app(settings)
    status = migrate_in_child()
    if status != 0:
        return status
    app.state.schema_migrated = True
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
        **uvicorn_options(settings),
    )  # fmt: skip
    config.load()
    sock = config.bind_socket()
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    cpus = worker_cpus(settings.worker_cpu_affinity, workers, available_cpus())
    pinned = "" if cpus is None else f", on CPUs {', '.join(map(str, cpus))}"
    print(
        f"stufenlos: serving {graph_dir} on http://{host}:{port} with {workers} worker(s)"
        f"{pinned} (docs: /docs)", file=sys.stderr, flush=True,
    )  # fmt: skip
    gc.collect()
    gc.freeze()
    release_free_heap()
    try:
        return Supervisor(
            config, sock, workers, cpus=cpus, balance=settings.balance_connections
        ).run()
    finally:
        sock.close()
