"""Routers on the real extracts, built once per session (the builds come from tests/conftest.py).

Skipped with a clear reason when ``../shared/data`` or one of its files is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

UNI_OSM = "kaiserslautern-uni-2013.osm.gz"
NEUKOELLN_OSM = "berlin-neukoelln-2024.osm.gz"
SRTM_TILE = "srtm3-N49E007.hgt.gz"


@pytest.fixture(scope="session")
def ksl_graph_dir(kaiserslautern_graph: Any) -> Path:
    """Folder of the whole Kaiserslautern graph (with the DEM)."""
    return Path(kaiserslautern_graph.out_dir)


@pytest.fixture(scope="session")
def ksl_router(ksl_graph_dir: Path) -> Any:
    """A Router on the whole Kaiserslautern graph."""
    from graphs.store import load_graph
    from routing.engine import Router

    return Router(load_graph(ksl_graph_dir))


@pytest.fixture(scope="session")
def uni_router(real_build: Callable[..., Any]) -> Any:
    """A Router on the university extract (with the DEM)."""
    from graphs.store import load_graph
    from routing.engine import Router

    return Router(load_graph(real_build(UNI_OSM, SRTM_TILE).out_dir))


@pytest.fixture(scope="session")
def neukoelln_router(real_build: Callable[..., Any]) -> Any:
    """A Router on the Neukölln extract: separate sidewalks, crossing ways split at kerbs and
    islands, surfaces and kerbs mapped (the most places per route)."""
    from graphs.store import load_graph
    from routing.engine import Router

    return Router(load_graph(real_build(NEUKOELLN_OSM).out_dir))
