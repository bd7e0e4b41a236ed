"""What ``stufenlos serve`` does: make sure the graph and the database are ready, run uvicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path


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
    print(f"stufenlos: serving {graph_dir} on http://{host}:{port} (docs: /docs)", file=sys.stderr)
    uvicorn.run(
        "api.app:create_app", factory=True, host=host, port=port,
        workers=workers, log_level=log_level, access_log=False,
    )  # fmt: skip
    return 0
