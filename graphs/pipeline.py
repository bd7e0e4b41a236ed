"""One call from an OSM source to a compiled graph folder with its coverage report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphs import settings
from graphs.build import build_graph
from graphs.coverage import coverage_report
from graphs.elevation import Dem
from graphs.sources import (
    RawOsm,
    SourceError,
    clip_to_boundary,
    download_osm,
    read_osm_file,
    read_poly,
)
from graphs.store import save_graph

COVERAGE_FILE = "coverage.json"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where to take OSM data from: exactly one of a file, a place name or a bounding box."""

    osm: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north

    def read(self) -> RawOsm:
        """Read the file or download the area."""
        if self.osm is not None:
            return read_osm_file(self.osm)
        if self.place is not None or self.bbox is not None:
            return download_osm(place=self.place, bbox=self.bbox)
        raise SourceError("no OSM source given (use --osm FILE, --place NAME or --bbox W,S,E,N)")


def default_area_source() -> tuple[SourceSpec, Path | None]:
    """The default area: the shared extract and DEM when present, else an osmnx download."""
    osm = settings.data_file(settings.area_osm)
    dem = settings.data_file(settings.area_dem)
    if osm.is_file():
        return SourceSpec(osm=osm), dem if dem.is_file() else None
    return SourceSpec(place=settings.area_place), dem if dem.is_file() else None


def build_to_dir(
    source: SourceSpec,
    out_dir: Path,
    *,
    dem_path: Path | None = None,
    boundary_path: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Build a graph from ``source`` into ``out_dir``; return the coverage report.

    Everything that can fail (files, DEM coverage, empty areas) fails before ``out_dir`` is
    touched, and the folder is replaced atomically, so no half-written graph is left behind.
    """
    dem = Dem.open(dem_path) if dem_path is not None else None
    boundary = read_poly(boundary_path) if boundary_path is not None else None
    progress("reading OSM data")
    raw = source.read()
    if boundary is not None:
        raw = clip_to_boundary(raw, boundary)
    graph, malformed = build_graph(raw, dem=dem, progress=progress)
    report = coverage_report(graph, malformed)
    graph.meta["coverage"] = report["counts"]
    progress("saving")
    save_graph(graph, out_dir)
    (out_dir / COVERAGE_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report
