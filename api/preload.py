"""What the serving parent loads once, before it forks, so that every worker shares it.

The kernels' ahead-of-time build (:func:`prepare_kernels`; else numba imported without the
SciPy it only probes for, :func:`import_numba_without_unused_probes`), the graph, the presets'
metrics in today's conditions (:func:`keep_presets`), the app and the modules a worker would
import on its first request (:func:`preload_app`): forked workers start with them in pages they
share with the parent (copy-on-write) instead of loading and computing them each.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accessibility_rules.conditions import Conditions
    from accessibility_rules.profile import Profile
    from api.settings import Settings
    from routing.engine import Router

__all__ = [
    "NUMBA_PROBES_UNUSED",
    "import_numba_without_unused_probes",
    "keep_presets",
    "preload_app",
    "prepare_kernels",
    "preset_conditions",
]


#: What numba imports only to probe for, and the serving process never uses: SciPy, whose BLAS
#: numba would call for ``np.dot``/``np.linalg`` in jitted code (no kernel here does:
#: ``tests/test_architecture.py`` checks). Probed at numba's import, it brings ``scipy.linalg``,
#: ``numpy.testing``, ``unittest`` and ``numpy.f2py``: about 8 MB of every worker's memory.
NUMBA_PROBES_UNUSED = ("scipy",)


def import_numba_without_unused_probes() -> None:
    """Import numba with :data:`NUMBA_PROBES_UNUSED` hidden, then show them again.

    numba decides once, at import, whether SciPy's BLAS is there (``numba.np.arraymath``); with
    SciPy hidden it records "no BLAS" and loads nothing of it. The packages are importable again
    afterwards (the tester tools import ``scipy.sparse`` when a job needs it). A no-op when numba
    is already imported (a test run, a script that imported the engine first).
    """
    if "numba" in sys.modules:
        return
    hidden = [name for name in NUMBA_PROBES_UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401  (where the probe runs)
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def prepare_kernels() -> None:
    """Make the kernels' ahead-of-time build when it is missing (:mod:`routing.kernel_build`;
    once per change of the kernels, about half a minute), so that neither this process nor its
    workers import numba. ``STUFENLOS_KERNELS=jit`` skips it; where the build fails (no C
    compiler) the JIT serves, with a warning, unless the build was asked for
    (``STUFENLOS_KERNELS=compiled``)."""
    from accessibility_rules.kernel_loading import KernelBuildError, mode
    from routing.kernel_build import ensure_built

    if mode() == "jit":
        return
    try:
        ensure_built(log=lambda line: print(f"stufenlos: {line}", file=sys.stderr, flush=True))
    except KernelBuildError as error:
        if mode() != "auto":
            raise
        print(
            f"stufenlos: warning: {error}\nstufenlos: numba's JIT serves instead (each worker "
            "holds about 40 MB more)",
            file=sys.stderr,
        )


def preload_app(settings: Settings) -> Any:
    """The app with everything the workers share loaded once, in the serving parent.

    The graph's arrays are memory-mapped, the numba kernels loaded (``warm_up``), the metrics of
    every preset customised (in the conditions requests meet today: by day and in the dark, with
    today's pollen, :func:`preset_conditions`), obstacle matching's edge geometry index and the
    framework's per-route machinery (:func:`~api.app.build_route_handlers`) built, so that forked
    workers start with them in pages they share with the parent (copy-on-write) instead of
    loading, compiling and computing them each. The database, the live obstacles, the event loop
    and its threads are made by each worker after the fork (the app's lifespan), never here:
    none of them survives a fork.
    """
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, day_light
    from api.app import build_route_handlers, create_app, load_router
    from routing.obstacles.matching import edge_geometry_index

    router = load_router(settings)
    keep_presets(router)
    # the sun's kernel and today's clock (every answer reports sunrise and sunset at its origin)
    day_light(
        float(router.graph.node["lat"][0]),
        float(router.graph.node["lon"][0]),
        dt.datetime.now(BERLIN),
    )
    edge_geometry_index(router.graph, router.index)  # obstacle matching's (cached by the index)
    router.share_memory()  # the workers map the derived arrays they read, not all of them
    _import_what_workers_import(settings)
    app = create_app(settings, router=router)
    build_route_handlers(app)
    app.openapi()  # the operations' query parameters (api.declared_query), /openapi.json
    return app


def keep_presets(router: Router) -> None:
    """Customise every preset in the conditions of :func:`preset_conditions`, kept (cached
    whatever the bound, :meth:`Router.customize <routing.engine.Router.customize>`): what the
    serving parent does before it forks, and what a benchmark in process does to answer as a
    worker does (these are also the metrics of the map without obstacles that the live
    obstacles' ``avoided`` searches on, with their own landmarks)."""
    from accessibility_rules.profile import preset_names

    for name in preset_names():
        profile = router.profile(name)
        for conditions in preset_conditions(router, profile):
            router.customize(profile, conditions, keep=True)


def preset_conditions(router: Router, profile: Profile) -> list[Conditions]:
    """The conditions a route request for ``profile`` meets today (the API resolves every
    request's day, :mod:`api.conditions`): today's pollen, by day (noon) and in the dark
    (midnight), at the graph's centre; equal ones once."""
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, resolve_conditions

    lat = float(router.graph.node["lat"].mean())
    lon = float(router.graph.node["lon"].mean())
    today = dt.datetime.now(BERLIN).replace(hour=12, minute=0, second=0, microsecond=0)
    found: list[Conditions] = []
    for when in (today, today.replace(hour=0)):
        conditions = resolve_conditions(profile, lat=lat, lon=lon, departure_time=when)
        if conditions not in found:
            found.append(conditions)
    return found


def _import_what_workers_import(settings: Settings) -> None:
    """Import here the modules a worker would import at start-up or on its first request (the
    database layer and its dialect, anyio's backend), so that they are shared, not loaded per
    worker. Only imports: no engine, connection, thread or event loop is made."""
    import anyio._backends._asyncio  # noqa: F401
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import configure_mappers

    import api.obstacles.ratelimit
    import api.obstacles.wiring  # noqa: F401
    from api.db.session import resolve_url

    make_url(resolve_url(settings.database_url)).get_dialect()
    configure_mappers()  # the ORM's one-time set-up, else done by each worker's first query
