"""One call from an OSM source to a compiled graph folder with its coverage report; what
``stufenlos build`` and ``stufenlos info`` do."""

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
from graphs.features import FeatureOptions, read_tree_register
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
    trees_path: Path | None = None,
    trees_columns: tuple[str, str, str] = ("genus", "lat", "lon"),
    features: FeatureOptions | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Build a graph from ``source`` into ``out_dir``; return the coverage report.

    ``trees_path`` is a city tree register (GeoJSON points or CSV) whose ``trees_columns``
    (genus, latitude, longitude) are read; ``features`` holds the join distances.

    Everything that can fail (files, DEM coverage, empty areas) fails before ``out_dir`` is
    touched, and the folder is replaced atomically, so no half-written graph is left behind.
    """
    dem = Dem.open(dem_path) if dem_path is not None else None
    boundary = read_poly(boundary_path) if boundary_path is not None else None
    register = None
    if trees_path is not None:
        genus_column, lat_column, lon_column = trees_columns
        register = read_tree_register(
            trees_path, genus_column=genus_column, lat_column=lat_column, lon_column=lon_column
        )
    progress("reading OSM data")
    raw = source.read()
    if boundary is not None:
        raw = clip_to_boundary(raw, boundary)
    graph, malformed = build_graph(
        raw, dem=dem, progress=progress, features=features, trees=register
    )
    report = coverage_report(graph, malformed)
    graph.meta["coverage"] = report["counts"]
    progress("saving")
    save_graph(graph, out_dir)
    (out_dir / COVERAGE_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report


def build_command(
    out_dir: Path | None,
    *,
    osm: Path | None = None,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    default_area: bool = False,
    dem_path: Path | None = None,
    boundary_path: Path | None = None,
    trees_path: Path | None = None,
    trees_columns: tuple[str, str, str] = ("genus", "lat", "lon"),
    features: FeatureOptions | None = None,
    if_missing: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    notify: Callable[[str], None] = lambda _: None,
) -> tuple[Path, dict[str, Any] | None]:
    """``stufenlos build``: the folder written (default: the default area's) and its coverage
    report, or ``None`` for the report when ``if_missing`` found a loadable graph there.

    ``notify`` receives the sentences about an existing graph (kept, or rebuilt and why).
    """
    from graphs.model import GraphFormatError
    from graphs.store import load_graph

    out = out_dir if out_dir is not None else settings.default_graph_dir()
    if if_missing and (out / "meta.json").is_file():
        try:
            load_graph(out)
            notify(f"graph already built in {out}")
            return out, None
        except GraphFormatError as exc:
            notify(f"rebuilding {out}: {exc}")
    if default_area:
        source, default_dem = default_area_source()
        dem_path = dem_path or default_dem
    else:
        source = SourceSpec(osm=osm, place=place, bbox=bbox)
    report = build_to_dir(
        source,
        out,
        dem_path=dem_path,
        boundary_path=boundary_path,
        trees_path=trees_path,
        trees_columns=trees_columns,
        features=features,
        progress=progress,
    )
    return out, report


def graph_info(graph_dir: Path) -> dict[str, Any]:
    """``stufenlos info``: the metadata of a built graph, its coverage counts last."""
    from graphs.store import load_graph

    graph = load_graph(graph_dir)
    meta = {k: v for k, v in graph.meta.items() if k != "coverage"}
    return meta | {"coverage": graph.meta.get("coverage")}
