"""Shared fixtures: the real data folder, the hand-written OSM fixtures and real-data graph builds.

Real data lives in ``../shared/data`` next to the repository (override with
``STUFENLOS_DATA_DIR``); tests that need it skip with a clear reason when it is absent. Graphs of
the real extracts are built once per test session into temporary folders.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The kernels as ``stufenlos serve`` runs them (the ahead-of-time build, made here once per change
# of the kernels), every call checked against the signatures they are built for
# (:mod:`accessibility_rules.kernel_loading`); ``STUFENLOS_KERNELS=jit make test`` runs numba's
# JIT instead.
os.environ.setdefault("STUFENLOS_KERNELS", "checked")
if os.environ["STUFENLOS_KERNELS"] != "jit":
    from routing.kernel_build import ensure_built

    ensure_built()

REPO_ROOT = Path(__file__).resolve().parents[1]
OSM_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osm"
SHARED_DATA_MISSING = "../shared/data not present: real-data tests need the shared extracts"

KAISERSLAUTERN_OSM = "kaiserslautern-2013.osm.gz"
CENTRE_OSM = "kaiserslautern-centre-2013.osm.gz"
SRTM_TILE = "srtm3-N49E007.hgt.gz"


def shared_data_dir() -> Path:
    """Where the shared real data is expected (``STUFENLOS_DATA_DIR`` or ``../shared/data``)."""
    value = os.environ.get("STUFENLOS_DATA_DIR")
    return Path(value).expanduser() if value else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; skips the test when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(SHARED_DATA_MISSING)
    return path


@pytest.fixture(scope="session")
def shared_file(shared_data: Path) -> Callable[[str], Path]:
    """``shared_file(name)``: a file of the shared data folder; skips when that file is absent."""

    def get(name: str) -> Path:
        path = shared_data / name
        if not path.is_file():
            pytest.skip(f"{path} not present: this real-data test needs it")
        return path

    return get


@pytest.fixture(scope="session")
def osm_fixtures() -> Path:
    """Folder of the small hand-written ``.osm`` files."""
    return OSM_FIXTURES


@pytest.fixture(scope="session")
def road_junctions_router(osm_fixtures: Path) -> Any:
    """A Router on ``road_junctions.osm``: roads without sidewalks of their own meeting at
    junctions where no crossing is mapped, and one with a mapped crossing."""
    from graphs.build import build_graph
    from graphs.sources import read_osm_file
    from routing.engine import Router

    graph, _ = build_graph(read_osm_file(osm_fixtures / "road_junctions.osm"))
    return Router(graph)


@dataclass(frozen=True, slots=True)
class RealBuild:
    """A graph built from a real extract with :func:`graphs.pipeline.build_to_dir`."""

    name: str
    out_dir: Path
    report: dict[str, Any]
    seconds: float


@pytest.fixture(scope="session")
def real_build(
    shared_file: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., RealBuild]:
    """``real_build(osm_name, dem_name=None)``: build a shared extract once per session."""
    from graphs.pipeline import SourceSpec, build_to_dir

    cache: dict[tuple[str, str | None], RealBuild] = {}

    def build(osm_name: str, dem_name: str | None = None) -> RealBuild:
        key = (osm_name, dem_name)
        if key not in cache:
            osm = shared_file(osm_name)
            dem = shared_file(dem_name) if dem_name is not None else None
            out = tmp_path_factory.mktemp("graphs") / osm_name.split(".")[0]
            started = time.perf_counter()
            report = build_to_dir(SourceSpec(osm=osm), out, dem_path=dem)
            cache[key] = RealBuild(osm_name, out, report, time.perf_counter() - started)
        return cache[key]

    return build


@pytest.fixture(scope="session")
def kaiserslautern_graph(real_build: Callable[..., RealBuild]) -> RealBuild:
    """The whole Kaiserslautern extract with the SRTM elevation model (built once, ~5 s)."""
    return real_build(KAISERSLAUTERN_OSM, SRTM_TILE)


@pytest.fixture(scope="session")
def centre_graph_dir(real_build: Callable[..., RealBuild]) -> Path:
    """Graph folder of the Kaiserslautern centre extract (lat 49.436–49.446, lon 7.760–7.777)."""
    return real_build(CENTRE_OSM).out_dir
