"""Where data and built graphs live: typed module settings read from the environment.

Like ``osmnx.settings``, these are plain module values that tests may redirect. Environment
variables (read when this module is imported):

- ``STUFENLOS_DATA_DIR``: folder with the shared real data (default ``../shared/data`` next to
  the project root).
- ``STUFENLOS_CACHE_DIR``: where built graphs go (default ``.cache`` in the project root; ignored
  by git).
- ``STUFENLOS_AREA_OSM``, ``STUFENLOS_AREA_DEM``: file names (in the data folder) or paths of the
  default area's OSM extract and elevation model.
- ``STUFENLOS_AREA_PLACE``: place name for an osmnx download when the default extract is absent.
- ``STUFENLOS_AREA_NAME``: name of the default area's graph folder in the cache.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else default


data_dir: Path = _path("STUFENLOS_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data")
cache_dir: Path = _path("STUFENLOS_CACHE_DIR", PROJECT_ROOT / ".cache")
area_name: str = os.environ.get("STUFENLOS_AREA_NAME", "kaiserslautern")
area_osm: str = os.environ.get("STUFENLOS_AREA_OSM", "kaiserslautern-2013.osm.gz")
area_dem: str = os.environ.get("STUFENLOS_AREA_DEM", "srtm3-N49E007.hgt.gz")
area_place: str = os.environ.get("STUFENLOS_AREA_PLACE", "Kaiserslautern, Germany")


def data_file(name: str) -> Path:
    """A file of the shared data folder (``name`` may also be an absolute path)."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else data_dir / path


def default_graph_dir() -> Path:
    """Folder of the default area's compiled graph."""
    return cache_dir / "graphs" / area_name
