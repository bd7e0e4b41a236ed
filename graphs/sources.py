"""Where OSM data comes from: files (.osm, .osm.gz, .osm.bz2, .osm.pbf) or an osmnx download.

Both paths produce the same :class:`RawOsm`: the highway ways with their tags, the coordinates of
the nodes they use, and the tags of nodes that carry accessibility information (kerbs,
crossings, barriers, elevators, entrances). A way whose extract lacks some of its nodes is split
at every missing node into pieces that keep the way's id and tags: nothing is drawn straight
across a gap of unknown shape (the way may leave the area and come back, or pass steps there).
The missing nodes and the split ways are counted (:class:`RawOsm` ``missing_nodes``,
``split_ways``) and shown in the coverage report. Files are read with pyosmium, which streams XML, its
compressed forms and PBF alike; downloads go through osmnx (Overpass), so any municipality with a
network connection can build its own graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from shapely.geometry import MultiPolygon, Polygon

from accessibility_rules import surroundings
from accessibility_rules.registry import RELEVANT_NODE_KEYS
from accessibility_rules.tags import is_kerb_way, is_way_of_interest

if TYPE_CHECKING:  # read_osm_file imports it: the serving workers never read OSM files
    import osmium

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".xml", ".xml.gz", ".xml.bz2")


class SourceError(ValueError):
    """OSM input that cannot be used: missing, unreadable, unreachable or empty."""


@dataclass(slots=True)
class RawWay:
    """One OSM way (or, from a download, one piece of it) with its node ids and tags."""

    way_id: int
    nodes: list[int]
    tags: dict[str, str]


@dataclass(slots=True)
class RawFeatures:
    """Features beside the walking network, as read (joined to edges by :mod:`graphs.features`).

    Seats are points (a way's seat at the mean of its nodes), ``seat_node`` the OSM node id of a
    seat node (-1 for a way). Trees are points with their genus (None = not tagged); tree rows
    are lines; areas are WKB multipolygons in degrees with their kind and park name.
    """

    seat_lonlat: list[tuple[float, float]] = field(default_factory=list)
    seat_kind: list[int] = field(default_factory=list)
    seat_backrest: list[int] = field(default_factory=list)
    seat_node: list[int] = field(default_factory=list)
    tree_lonlat: list[tuple[float, float]] = field(default_factory=list)
    tree_genus: list[str | None] = field(default_factory=list)
    tree_rows: list[tuple[list[tuple[float, float]], str | None]] = field(default_factory=list)
    areas: list[RawArea] = field(default_factory=list)
    #: Public transport stops (points): ``{"lon", "lat", "kind", "name", "wheelchair", "bench"}``.
    stops: list[dict[str, object]] = field(default_factory=list)
    #: Whether the source was read for these features at all. A download (osmnx) holds only the
    #: walking network, so its surroundings are not known: no bench read is not "no bench".
    read: bool = True


@dataclass(frozen=True, slots=True)
class RawArea:
    """A green, grass or wooded area (``wkb``: hex WKB multipolygon in degrees)."""

    wkb: str
    green: bool
    grass: bool
    wood: bool
    park_name: str | None
    genus: str | None


@dataclass(slots=True)
class RawOsm:
    """Highway ways, node coordinates and notable node tags, as read from a source."""

    ways: list[RawWay]
    node_lonlat: dict[int, tuple[float, float]]
    node_tags: dict[int, dict[str, str]]
    source: str
    source_sha256: str | None = None
    data_timestamp: str | None = None
    kerb_ways: list[RawWay] = field(default_factory=list)  # linear kerbs (barrier=kerb ways)
    extra: dict[str, object] = field(default_factory=dict)
    missing_nodes: int = 0  # node references of highway ways that the extract lacks
    split_ways: int = 0  # highway ways cut at a missing node between two present ones
    features: RawFeatures = field(default_factory=RawFeatures)  # seats, trees, green areas


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file (recorded in the graph's metadata)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_osm_file(path: str | Path) -> RawOsm:
    """Read the highway ways of an OSM XML/PBF file.

    Raises :class:`SourceError` with one sentence if the file is missing, of an unknown kind or
    unreadable.
    """
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"OSM file {p} does not exist")
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise SourceError(f"{p} is not an OSM file (expected one of {', '.join(OSM_SUFFIXES)})")
    ways: list[RawWay] = []
    node_lonlat: dict[int, tuple[float, float]] = {}
    node_tags: dict[int, dict[str, str]] = {}
    kerb_ways: list[RawWay] = []
    newest = ""
    missing_nodes = split_ways = 0
    features = RawFeatures()
    import osmium  # here, not at the top: the serving workers never read OSM files

    wkb = osmium.geom.WKBFactory()
    try:
        processor = (
            osmium.FileProcessor(str(p))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter(*surroundings.AREA_KEYS))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                if obj.tags and any(k in RELEVANT_NODE_KEYS for k, _ in obj.tags):
                    node_tags[obj.id] = {t.k: t.v for t in obj.tags}
                if any(k in obj.tags for k in _FEATURE_KEYS):
                    _node_feature(features, obj)
                continue
            if isinstance(obj, osmium.osm.Area):
                if any(k in obj.tags for k in surroundings.AREA_KEYS):
                    _area_feature(features, obj, wkb)
                continue
            if not isinstance(obj, osmium.osm.Way):
                continue
            if any(k in obj.tags for k in _FEATURE_KEYS):
                _way_feature(features, obj)
            if is_kerb_way(obj.tags):
                kerb_ways.append(
                    RawWay(obj.id, [nd.ref for nd in obj.nodes], {t.k: t.v for t in obj.tags})
                )
                continue
            if not is_way_of_interest(obj.tags):
                continue
            runs: list[list[int]] = [[]]
            missing = 0
            for nd in obj.nodes:
                if not nd.location.valid():  # node outside the extract: the way is cut here
                    missing += 1
                    if runs[-1]:
                        runs.append([])
                    continue
                runs[-1].append(nd.ref)
                node_lonlat[nd.ref] = (nd.location.lon, nd.location.lat)
            missing_nodes += missing
            split_ways += int(sum(1 for run in runs if run) > 1)  # a gap between present nodes
            pieces = [run for run in runs if len(run) >= 2]
            if pieces:
                tags = {t.k: t.v for t in obj.tags}
                ways.extend(RawWay(obj.id, run, tags) for run in pieces)
                year = (
                    obj.timestamp.year
                )  # Osmosis writes placeholders (1969, or 2106 once wrapped)
                stamp = obj.timestamp.isoformat() if 2004 <= year <= 2100 else ""
                newest = max(newest, stamp)
    except RuntimeError as exc:  # pyosmium reports parse errors as RuntimeError
        raise SourceError(f"cannot read OSM file {p}: {exc}") from exc
    return RawOsm(
        ways=ways,
        node_lonlat=node_lonlat,
        node_tags=node_tags,
        source=str(p.resolve()),
        source_sha256=file_sha256(p),
        data_timestamp=newest or None,
        kerb_ways=kerb_ways,
        missing_nodes=missing_nodes,
        split_ways=split_ways,
        features=features,
    )


#: Keys of the features beside the network: seats, trees and public transport stops.
_FEATURE_KEYS = surroundings.POINT_KEYS + surroundings.STOP_KEYS


def _node_feature(features: RawFeatures, node: osmium.osm.Node) -> None:
    """Record a seat or a tree node (the tag rules are in :mod:`accessibility_rules.surroundings`)."""
    tags = {t.k: t.v for t in node.tags}
    kind = surroundings.seat_kind(tags)
    if kind is not None:
        features.seat_lonlat.append((node.location.lon, node.location.lat))
        features.seat_kind.append(int(kind))
        features.seat_backrest.append(surroundings.seat_backrest(tags))
        features.seat_node.append(node.id)
    stop = surroundings.stop_kind(tags)
    if stop is not None:
        features.stops.append(
            {"lon": round(node.location.lon, 7), "lat": round(node.location.lat, 7), "kind": stop}
            | surroundings.stop_facts(tags)
        )
    if surroundings.is_tree(tags):
        features.tree_lonlat.append((node.location.lon, node.location.lat))
        features.tree_genus.append(surroundings.tree_genus(tags))


def _way_feature(features: RawFeatures, way: osmium.osm.Way) -> None:
    """Record a seat way (at the mean of its nodes), a platform way (a stop, likewise) or a
    tree row (its line)."""
    tags = {t.k: t.v for t in way.tags}
    kind = surroundings.seat_kind(tags)
    stop = surroundings.stop_kind(tags)
    row = surroundings.is_tree_row(tags)
    if kind is None and stop is None and not row:
        return
    coords = [(nd.location.lon, nd.location.lat) for nd in way.nodes if nd.location.valid()]
    if not coords:
        return
    n = len(coords) - int(len(coords) > 1 and coords[0] == coords[-1])  # closed: once
    middle = (sum(c[0] for c in coords[:n]) / n, sum(c[1] for c in coords[:n]) / n)
    if stop is not None:
        features.stops.append(
            {"lon": round(middle[0], 7), "lat": round(middle[1], 7), "kind": stop}
            | surroundings.stop_facts(tags)
        )
    if kind is not None:
        features.seat_lonlat.append(middle)
        features.seat_kind.append(int(kind))
        features.seat_backrest.append(surroundings.seat_backrest(tags))
        features.seat_node.append(-1)
    if row and len(coords) >= 2:
        features.tree_rows.append((coords, surroundings.tree_genus(tags)))


def _area_feature(
    features: RawFeatures, area: osmium.osm.Area, wkb: osmium.geom.WKBFactory
) -> None:
    """Record a green, grass or wooded area as WKB (invalid rings are skipped by osmium)."""
    tags = {t.k: t.v for t in area.tags}
    green, grass, wood = surroundings.area_kind(tags)
    if not (green or grass or wood):
        return
    try:
        geometry = wkb.create_multipolygon(area)
    except RuntimeError:  # an area osmium could not assemble into valid rings
        return
    features.areas.append(
        RawArea(
            geometry,
            green,
            grass,
            wood,
            surroundings.park_name(tags),
            surroundings.tree_genus(tags),
        )
    )


def download_osm(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    polygon: Polygon | MultiPolygon | None = None,
) -> RawOsm:
    """Download the pedestrian-relevant ways of a place, bounding box or polygon with osmnx.

    ``bbox`` is ``(west, south, east, north)`` in degrees. Needs a network connection to an
    Overpass server; without one it raises :class:`SourceError` with a clear sentence.
    """
    import osmnx as ox  # imported here: slow to import and only needed for downloads

    from accessibility_rules.registry import RELEVANT_WAY_KEYS

    ox.settings.useful_tags_way = sorted(RELEVANT_WAY_KEYS | {"name", "highway", "area"})
    ox.settings.useful_tags_node = sorted(RELEVANT_NODE_KEYS)
    ox.settings.log_console = False
    try:
        if place is not None:
            graph = ox.graph_from_place(place, network_type="all", simplify=False, retain_all=True)
            where = f"place {place!r}"
        elif bbox is not None:
            graph = ox.graph_from_bbox(bbox, network_type="all", simplify=False, retain_all=True)
            where = f"bounding box {bbox}"
        elif polygon is not None:
            graph = ox.graph_from_polygon(
                polygon, network_type="all", simplify=False, retain_all=True
            )
            where = "the given polygon"
        else:
            raise SourceError("give a place name, a bounding box or a polygon to download")
    except SourceError:
        raise
    except Exception as exc:  # network, geocoding and empty-response errors of osmnx/requests
        raise SourceError(f"cannot download OSM data with osmnx: {exc}") from exc
    return _raw_from_osmnx(graph, where)


def _raw_from_osmnx(graph: object, where: str) -> RawOsm:
    """Turn an unsimplified osmnx graph into :class:`RawOsm` (one 2-node way per forward edge)."""
    node_lonlat: dict[int, tuple[float, float]] = {}
    node_tags: dict[int, dict[str, str]] = {}
    for n, data in graph.nodes(data=True):  # type: ignore[attr-defined]
        node_lonlat[n] = (float(data["x"]), float(data["y"]))
        tags = {k: str(v) for k, v in data.items() if k in RELEVANT_NODE_KEYS}
        if tags:
            node_tags[n] = tags
    seen: set[tuple[int, int, int]] = set()
    ways: list[RawWay] = []
    for u, v, data in graph.edges(data=True):  # type: ignore[attr-defined]
        if data.get("reversed") is True:
            continue
        way_id = int(data["osmid"])
        key = (min(u, v), max(u, v), way_id)
        if key in seen:
            continue
        seen.add(key)
        tags = {
            k: str(val)
            for k, val in data.items()
            if k not in {"osmid", "reversed", "oneway", "length", "geometry"}
        }
        ways.append(RawWay(way_id, [u, v], tags))
    if not ways:
        raise SourceError(f"the download for {where} contains no ways")
    return RawOsm(
        ways=ways, node_lonlat=node_lonlat, node_tags=node_tags, source=where,
        features=RawFeatures(read=False),  # osmnx downloads the walking network only
    )  # fmt: skip


def read_poly(path: str | Path) -> Polygon | MultiPolygon:
    """Read an Osmosis ``.poly`` boundary (rings, ``!``-prefixed holes, ``END`` markers)."""
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"boundary file {p} does not exist")
    lines = [line.strip() for line in p.read_text().splitlines()]
    shells: list[list[tuple[float, float]]] = []
    holes: list[list[tuple[float, float]]] = []
    ring: list[tuple[float, float]] | None = None
    is_hole = False
    try:
        for line in lines[1:]:
            if not line:
                continue
            if ring is None:
                if line == "END":
                    break
                ring, is_hole = [], line.startswith("!")
            elif line == "END":
                (holes if is_hole else shells).append(ring)
                ring = None
            else:
                lon, lat = (float(x) for x in line.split()[:2])
                ring.append((lon, lat))
    except ValueError as exc:
        raise SourceError(f"boundary file {p} is not a valid .poly file: {exc}") from exc
    polygons = [Polygon(s) for s in shells if len(s) >= 3]
    if not polygons:
        raise SourceError(f"boundary file {p} contains no polygon")
    area = shapely.union_all(polygons)
    for h in holes:
        if len(h) >= 3:
            area = area.difference(Polygon(h))
    if not isinstance(area, Polygon | MultiPolygon) or area.is_empty:
        raise SourceError(f"boundary file {p} describes an empty area")
    return area


def clip_to_boundary(raw: RawOsm, area: Polygon | MultiPolygon) -> RawOsm:
    """Keep the parts of ways whose nodes lie inside ``area`` (ways are cut where they leave it)."""
    ids = list(raw.node_lonlat)
    lonlat = [raw.node_lonlat[i] for i in ids]
    inside_mask = shapely.contains_xy(area, [p[0] for p in lonlat], [p[1] for p in lonlat])
    inside = {i for i, ok in zip(ids, inside_mask, strict=True) if ok}
    ways: list[RawWay] = []
    for way in raw.ways:
        for run in _runs_inside(way.nodes, inside):
            ways.append(RawWay(way.way_id, run, way.tags))
    used = {n for w in ways for n in w.nodes}
    return RawOsm(
        ways=ways,
        node_lonlat={k: v for k, v in raw.node_lonlat.items() if k in used},
        node_tags={k: v for k, v in raw.node_tags.items() if k in used},
        source=raw.source,
        source_sha256=raw.source_sha256,
        data_timestamp=raw.data_timestamp,
        extra=dict(raw.extra, clipped=True),
        kerb_ways=raw.kerb_ways,
        missing_nodes=raw.missing_nodes,
        split_ways=raw.split_ways,
        features=raw.features,  # beside the network: joined only where an edge is near
    )


def _runs_inside(nodes: Iterable[int], inside: set[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for n in nodes:
        if n in inside:
            current.append(n)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = []
    if len(current) >= 2:
        runs.append(current)
    return runs
