"""Join the features beside the walking network to its edges: seats, trees, green areas.

Benches, trees and parks rarely lie on a way the router walks; this module places them on the
edges at build time, in one vectorised pass per kind (shapely 2 ``STRtree`` bulk queries and array
functions in a local metric frame; no Python loop per edge or per feature). The tag rules that
say what a feature is are in :mod:`accessibility_rules.surroundings`; the distances below are
build options, recorded in ``graph.meta["features"]["options"]``.

Join rules
----------
* **Seats** go to the nearest edge within ``seat_distance_m`` (default 15 m) *that is not across
  a road*: a candidate is rejected when the straight segment from the seat to its nearest point on
  the candidate crosses the centre line of a road edge of the graph (``ROAD_CLASSES``:
  residential to primary, service, living street), because reaching the seat from that way means
  crossing the road. A carriageway whose sidewalks are mapped as ways of their own
  (``sidewalk=separate``) is no candidate (people walk on those sidewalks) but still blocks. The
  next nearest candidate may then take the seat; a seat with no acceptable candidate is not joined
  (counted as ``seats_across_road``). Roads that are not in the walking graph (motorways,
  ``foot=no``) do not block: the graph does not hold them. Its position is the fraction along the edge
  (both directions listed: ``f·length`` from one end, ``(1-f)·length`` from the other). Seats on
  network nodes (the node attribute ``seat``) count at offset 0 of the edges leaving the node and
  at ``length_m`` of the edges entering it, and are not joined a second time; so does a joined
  seat whose nearest point lies within :data:`NODE_SEAT_M` of an end of its edge (beside a
  junction it is as near to every way there). A seat within :data:`SEAT_BESIDE_M` of further
  ways (not across a road) joins them too: it stands beside each.
* **Trees** count, by taxon (``trees_<taxon>``), as *passed*: per tree, each edge within
  ``tree_distance_m`` (default 20 m) of it gets the metres of the edge within that distance,
  divided by twice the distance. A tree beside a straight way thus counts 1 over the edges that
  pass it (one farther off, less), however the way is split into edges; a tree counted 1 on
  every edge near it made a finely split sidewalk pass it three or four times. A
  ``natural=tree_row`` stands for one tree every
  :data:`~accessibility_rules.surroundings.TREE_ROW_SPACING_M` along its line (both ends
  included); a wooded or scrub area for one tree per that spacing along the length of edge within
  ``tree_distance_m`` of it (not rounded per edge), of the area's genus (usually unknown). A tree register
  (``stufenlos build --trees``) adds its trees; an OSM tree within
  :data:`REGISTER_DUPLICATE_M` of a register tree is the same tree and counts once (the register's
  genus wins).
* **Green / grass shares**: the share of an edge's length within ``green_distance_m`` (default
  10 m) of, or inside, a green area (grass areas alone for ``grass_share``): the length of the
  edge inside the union of the buffered areas, divided by its length.
* **Parks**: the named ``leisure=park`` whose buffered area holds the longest part of the edge;
  ``park_id`` indexes ``graph.meta["parks"]`` (-1: none). Parks of the same name share an id.

Surroundings not read
---------------------
A source that was not read for features (an osmnx download: ``RawFeatures.read`` false) says
nothing about seats, trees or green, and the columns say so rather than "none":
``graph.meta["features"]["read"]`` is false, ``green_share`` and ``grass_share`` are NaN,
``trees_unknown`` is :data:`TREES_NOT_READ` on every edge (an unknown number of trees of unknown
genus: every reader already takes ``trees_unknown > 0`` as unknown exposure), and the rests
report says ``seats_known: false`` (the seat columns are NaN, as for "no seat mapped", which is
what the rest search must assume; :func:`surroundings_read`). A tree register given with such a
source still fills the tree columns (its trees are known). ``park_id`` stays -1 and
``meta["parks"]`` empty: no park is known (``green_share`` NaN says the green is unknown).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from accessibility_rules.attributes import Seat, Sidewalk, is_road_class
from accessibility_rules.surroundings import (
    TREE_ROW_SPACING_M,
    TREE_TAXA,
    SeatKind,
    genus_of_name,
    taxon_of_genus,
)
from graphs.arrays import concat_ranges
from graphs.geodesy import metres_per_degree
from graphs.model import CompiledGraph
from graphs.sources import RawFeatures, SourceError

__all__ = [
    "NODE_SEAT_M",
    "REGISTER_DUPLICATE_M",
    "SEAT_ARRAYS",
    "SEAT_BESIDE_M",
    "TREES_NOT_READ",
    "FeatureOptions",
    "TreeRegister",
    "empty_edge_columns",
    "join_features",
    "read_tree_register",
    "seats_on_edge",
    "surroundings_read",
]

#: A seat whose nearest point on the network lies this close to an end node of its edge stands
#: at that node (a junction, a way's end), as near to every edge there as to the one reported
#: nearest: it counts on all of them, as a seat on the node does.
NODE_SEAT_M = 1.0

#: A seat this close to a way stands beside it: it is used from that way too, not only from the
#: nearest one (a bench between two paths a few metres apart), unless across a road.
SEAT_BESIDE_M = 3.0

#: An OSM tree this close to a register tree is taken to be the same tree.
REGISTER_DUPLICATE_M = 3.0

#: ``trees_unknown`` of every edge when the source was not read for trees (a download without a
#: tree register): an unknown number of trees of unknown genus (the largest uint16, exact in float32).
TREES_NOT_READ = int(np.iinfo(np.uint16).max)

#: Arrays of the seat table (``graph.seats``) and their dtypes; ``edge_seat_first`` is its CSR.
SEAT_ARRAYS: dict[str, str] = {
    "seat_edge": "i8",
    "seat_offset_m": "f4",
    "seat_backrest": "i1",
    "seat_kind": "i1",
    "seat_lon": "f8",
    "seat_lat": "f8",
}

_BACKREST_OF_SEAT = {Seat.BACKREST: 1, Seat.NO_BACKREST: 0, Seat.UNKNOWN: -1}


@dataclass(frozen=True, slots=True)
class FeatureOptions:
    """Distances of the join (metres), stated as build options with defaults."""

    seat_distance_m: float = 15.0
    tree_distance_m: float = 20.0
    green_distance_m: float = 10.0
    tree_row_spacing_m: float = TREE_ROW_SPACING_M

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (0.0 <= value <= 500.0) or (name == "tree_row_spacing_m" and value <= 0):
                raise ValueError(f"{name} must be between 0 and 500 m (spacing > 0), got {value}")


@dataclass(frozen=True, slots=True)
class TreeRegister:
    """Trees of a city's register (Baumkataster): points in degrees and their genus."""

    lon: np.ndarray
    lat: np.ndarray
    genus: list[str | None]
    source: str
    rows_skipped: int = 0


def empty_edge_columns(m: int) -> dict[str, np.ndarray]:
    """The joined columns of ``m`` edges before any join: no seat, no tree, no green, no park."""
    nan = np.full(m, np.nan, dtype=np.float32)
    cols = {"seat_first_m": nan, "seat_last_m": nan.copy(), "seat_max_gap_m": nan.copy()}
    cols |= {f"trees_{taxon}": np.zeros(m, dtype=np.float32) for taxon in TREE_TAXA}
    cols["green_share"] = np.zeros(m, dtype=np.float32)
    cols["grass_share"] = np.zeros(m, dtype=np.float32)
    cols["park_id"] = np.full(m, -1, dtype=np.int32)
    return cols


def empty_seat_table(m: int) -> dict[str, np.ndarray]:
    """A seat table without seats (``edge_seat_first`` all zero)."""
    table = {name: np.zeros(0, dtype=dtype) for name, dtype in SEAT_ARRAYS.items()}
    table["edge_seat_first"] = np.zeros(m + 1, dtype=np.int64)
    return table


def seats_on_edge(
    graph: CompiledGraph, edge: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The seats of ``edge`` along it: ``(offsets_m, backrest, kind, lon, lat)``, by offset.

    ``offsets_m`` are metres from the edge's tail; ``backrest`` is 1 yes, 0 no, -1 unknown;
    ``kind`` a :class:`~accessibility_rules.surroundings.SeatKind` code.
    """
    s = graph.seats
    if not s:
        empty = np.zeros(0)
        return empty.astype(np.float32), empty.astype(np.int8), empty.astype(np.int8), empty, empty
    a, b = int(s["edge_seat_first"][edge]), int(s["edge_seat_first"][edge + 1])
    return (
        s["seat_offset_m"][a:b],
        s["seat_backrest"][a:b],
        s["seat_kind"][a:b],
        s["seat_lon"][a:b],
        s["seat_lat"][a:b],
    )


# --------------------------------------------------------------------------------------------
# Tree register
# --------------------------------------------------------------------------------------------


def read_tree_register(
    path: str | Path,
    *,
    genus_column: str = "genus",
    lat_column: str = "lat",
    lon_column: str = "lon",
) -> TreeRegister:
    """Read a tree register: GeoJSON points (genus in ``properties[genus_column]``) or CSV.

    The genus column may hold a botanical name (``Tilia cordata``, ``TILIA``) or a German common
    name (``Winter-Linde``); an empty one is *unknown*. Rows without readable coordinates are
    skipped and counted. Raises :class:`~graphs.sources.SourceError` when the file is missing,
    unreadable or lacks the named columns.
    """
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"tree register {p} does not exist")
    lons: list[float] = []
    lats: list[float] = []
    names: list[str | None] = []
    skipped = 0
    try:
        if p.suffix.lower() in (".geojson", ".json"):
            data = json.loads(p.read_text(encoding="utf-8"))
            items = data.get("features", []) if isinstance(data, dict) else []
            for item in items:
                geometry = (item or {}).get("geometry") or {}
                coords = geometry.get("coordinates")
                if geometry.get("type") != "Point" or not isinstance(coords, list | tuple):
                    skipped += 1
                    continue
                props = item.get("properties") or {}
                lons.append(float(coords[0]))
                lats.append(float(coords[1]))
                value = props.get(genus_column)
                names.append(str(value) if value not in (None, "") else None)
        else:
            with p.open(newline="", encoding="utf-8-sig") as fh:
                sample = fh.read(4096)
                fh.seek(0)
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
                reader = csv.DictReader(fh, dialect=dialect)
                fields = set(reader.fieldnames or ())
                missing = {lat_column, lon_column} - fields
                if missing:
                    raise SourceError(
                        f"tree register {p} lacks the column(s) {', '.join(sorted(missing))} "
                        f"(columns: {', '.join(sorted(fields))})"
                    )
                for row in reader:
                    try:
                        lon = float(row[lon_column].replace(",", "."))
                        lat = float(row[lat_column].replace(",", "."))
                    except (ValueError, AttributeError):
                        skipped += 1
                        continue
                    lons.append(lon)
                    lats.append(lat)
                    value = (row.get(genus_column) or "").strip()
                    names.append(value or None)
    except (OSError, ValueError, csv.Error) as exc:
        raise SourceError(f"cannot read tree register {p}: {exc}") from exc
    lon_a, lat_a = np.array(lons, dtype=np.float64), np.array(lats, dtype=np.float64)
    valid = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)
    keep = np.flatnonzero(valid)
    return TreeRegister(
        lon=lon_a[keep],
        lat=lat_a[keep],
        genus=[genus_of_name(names[i]) for i in keep],
        source=str(p.resolve()),
        rows_skipped=skipped + int((~valid).sum()),
    )


# --------------------------------------------------------------------------------------------
# The join
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Frame:
    """Local equirectangular frame (metres) and the index edges' lines in it."""

    lon0: float
    lat0: float
    mx: float
    my: float
    index_edges: np.ndarray  # one edge of each two-way piece
    lines: np.ndarray  # shapely lines of the index edges
    twin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(lon) - self.lon0) * self.mx, (np.asarray(lat) - self.lat0) * self.my

    def points(self, lonlat: Iterable[tuple[float, float]] | np.ndarray) -> np.ndarray:
        arr = np.asarray(list(lonlat) if not isinstance(lonlat, np.ndarray) else lonlat)
        if arr.size == 0:
            return np.zeros(0, dtype=object)
        x, y = self.xy(arr[:, 0], arr[:, 1])
        return shapely.points(x, y)

    def local(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(
            geoms, lambda c: (c - np.array([self.lon0, self.lat0])) * np.array([self.mx, self.my])
        )

    def spread(self, values: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write per-index-edge ``values`` to both directions of ``out``."""
        out[self.index_edges] = values
        has = self.twin >= 0
        out[self.twin[has]] = values[has]
        return out


def _frame(graph: CompiledGraph) -> _Frame:
    rev = np.asarray(graph.edge["reverse_edge"], dtype=np.int64)
    m = graph.edge_count
    idx = np.flatnonzero((rev < 0) | (np.arange(m) < rev))
    lat0 = float(np.mean(graph.node["lat"]))
    lon0 = float(np.mean(graph.node["lon"]))
    mx, my = metres_per_degree(lat0)
    frame = _Frame(lon0, lat0, mx, my, idx, np.zeros(0, dtype=object), rev[idx])
    starts, stops = graph.geom_first[idx], graph.geom_first[idx + 1]
    pts = concat_ranges(starts, stops)
    x, y = frame.xy(graph.geom_lon[pts], graph.geom_lat[pts])
    frame.lines = shapely.linestrings(
        np.column_stack((x, y)), indices=np.repeat(np.arange(len(idx)), stops - starts)
    )
    return frame


def join_features(
    graph: CompiledGraph,
    features: RawFeatures,
    *,
    options: FeatureOptions | None = None,
    register: TreeRegister | None = None,
) -> dict[str, Any]:
    """Fill the joined edge columns and the seat table of ``graph``; return the join's counts.

    The counts (seats read, joined, across a road, beyond the distance; trees by source and
    genus; areas) go into ``graph.meta["features"]`` for the coverage report.
    """
    opts = options or FeatureOptions()
    m = graph.edge_count
    graph.edge.update(empty_edge_columns(m))
    frame = _frame(graph)
    stats: dict[str, Any] = {"options": asdict(opts)}
    stats |= _join_seats(graph, frame, features, opts.seat_distance_m)
    stats |= _join_trees(graph, frame, features, register, opts)
    stats |= _join_green(graph, frame, features, opts.green_distance_m)
    stats["read"] = features.read
    if not features.read:  # unknown, not "none" (see the module doc)
        graph.edge["green_share"][:] = np.nan
        graph.edge["grass_share"][:] = np.nan
        if register is None:
            graph.edge["trees_unknown"][:] = TREES_NOT_READ
    graph.meta["features"] = stats
    return stats


def surroundings_read(graph: CompiledGraph) -> bool:
    """Whether the graph's source was read for seats, trees and green: false for a download.
    A graph built before this was recorded says true (rebuild a downloaded one to tell)."""
    return bool(graph.meta.get("features", {}).get("read", True))


def _join_seats(
    graph: CompiledGraph, frame: _Frame, features: RawFeatures, distance_m: float
) -> dict[str, Any]:
    e = graph.edge
    m = graph.edge_count
    length = np.asarray(e["length_m"], dtype=np.float64)
    seat_node = np.array(features.seat_node, dtype=np.int64)
    kinds = np.array(features.seat_kind, dtype=np.int8)
    backrest = np.array(features.seat_backrest, dtype=np.int8)
    lonlat = np.array(features.seat_lonlat, dtype=np.float64).reshape(-1, 2)
    # seats on network nodes: the node attribute, folded in below (not joined a second time)
    node_seat = np.flatnonzero(np.asarray(graph.node["seat"]) != Seat.NONE)
    on_network = np.isin(seat_node, graph.node["osm_id"][node_seat]) & (seat_node >= 0)
    free = np.flatnonzero(~on_network)
    pts = frame.points(lonlat[free])
    rows: list[tuple[np.ndarray, ...]] = []
    joined = across = at_nodes = also_beside = 0
    if len(free) and len(frame.lines):
        # a carriageway whose sidewalks are ways of their own is walked on those sidewalks
        walked = np.flatnonzero(e["sidewalk"][frame.index_edges] != Sidewalk.SEPARATE)
        tree = shapely.STRtree(frame.lines[walked])
        pi, li = tree.query(pts, predicate="dwithin", distance=distance_m)
        li = walked[li]
        dist = shapely.distance(pts[pi], frame.lines[li])
        frac = shapely.line_locate_point(frame.lines[li], pts[pi], normalized=True)
        snap = shapely.line_interpolate_point(frame.lines[li], frac, normalized=True)
        seg = shapely.linestrings(
            np.stack((shapely.get_coordinates(pts[pi]), shapely.get_coordinates(snap)), axis=1)
        )
        roads = np.flatnonzero(is_road_class(e["highway"][frame.index_edges]))
        blocked = np.zeros(len(pi), dtype=bool)
        if len(roads) and len(seg):
            si, ri = shapely.STRtree(frame.lines[roads]).query(seg, predicate="crosses")
            blocked[si[roads[ri] != li[si]]] = True
        ok = np.flatnonzero(~blocked)
        order = ok[np.lexsort((dist[ok], pi[ok]))]
        _, first = np.unique(pi[order], return_index=True)
        best = order[first]
        near = np.unique(pi)
        joined, across = len(best), len(near) - len(best)
        # a seat beside another way too (within SEAT_BESIDE_M, not across a road) is used from it
        beside = np.setdiff1d(ok[dist[ok] <= SEAT_BESIDE_M], best)
        also_beside = len(beside)
        pick = np.concatenate((best, beside))
        src = free[pi[pick]]
        edge_a = frame.index_edges[li[pick]]
        off_a = frac[pick] * length[edge_a]
        to_end = length[edge_a] - off_a
        # a seat beside a node is as near to every edge there: it stands at that node
        at_node = np.minimum(off_a, to_end) <= NODE_SEAT_M
        at_nodes = len(np.unique(src[at_node]))
        node = np.where(off_a <= to_end, graph.tail[edge_a], graph.head[edge_a])[at_node]
        rows.extend(_at_nodes(graph, node, src[at_node]))
        on_edge = ~at_node
        edge_a, off_a, src = edge_a[on_edge], off_a[on_edge], src[on_edge]
        twin = frame.twin[li[pick]][on_edge]
        rows.append((edge_a, off_a, src))
        has = twin >= 0
        rows.append((twin[has], length[twin[has]] - off_a[has], src[has]))
    edges = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, np.int64)
    offsets = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
    src = np.concatenate([r[2] for r in rows]) if rows else np.zeros(0, np.int64)
    if len(edges):  # a seat once per edge (beside a way and at its node: the node's place)
        _, keep = np.unique(np.stack((edges, src)), axis=1, return_index=True)
        keep = np.sort(keep)
        edges, offsets, src = edges[keep], offsets[keep], src[keep]
    t_kind, t_back = kinds[src], backrest[src]
    t_lon, t_lat = lonlat[src, 0], lonlat[src, 1]
    # node seats: offset 0 on the edges leaving, length_m on the edges entering
    if len(node_seat):
        kind_of_node = dict(
            zip(seat_node[on_network].tolist(), kinds[on_network].tolist(), strict=False)
        )
        at_node = _at_nodes(graph, node_seat, np.arange(len(node_seat)))
        node_edges = np.concatenate([r[0] for r in at_node])
        n_of = node_seat[np.concatenate([r[2] for r in at_node])]
        node_kind = np.array(
            [kind_of_node.get(int(i), int(SeatKind.BENCH)) for i in graph.node["osm_id"][n_of]],
            dtype=np.int8,
        )
        node_back = np.array(
            [_BACKREST_OF_SEAT[Seat(int(s))] for s in graph.node["seat"][n_of]], dtype=np.int8
        )
        edges = np.concatenate((edges, node_edges))
        offsets = np.concatenate((offsets, *(r[1] for r in at_node)))
        t_kind = np.concatenate((t_kind, node_kind))
        t_back = np.concatenate((t_back, node_back))
        t_lon = np.concatenate((t_lon, graph.node["lon"][n_of]))
        t_lat = np.concatenate((t_lat, graph.node["lat"][n_of]))
    offsets = np.clip(offsets, 0.0, length[edges] if len(edges) else 0.0)
    order = np.lexsort((offsets, edges))
    table = {
        "seat_edge": edges[order].astype(np.int64),
        "seat_offset_m": offsets[order].astype(np.float32),
        "seat_backrest": t_back[order].astype(np.int8),
        "seat_kind": t_kind[order].astype(np.int8),
        "seat_lon": t_lon[order].astype(np.float64),
        "seat_lat": t_lat[order].astype(np.float64),
    }
    first = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(table["seat_edge"], minlength=m), out=first[1:])
    table["edge_seat_first"] = first
    graph.seats = table
    _seat_columns(graph, table)
    read = len(seat_node)
    return {
        "seats_read": read,
        "seats_on_network_nodes": len(node_seat),
        "seats_joined": int(joined),
        "seats_joined_at_nodes": int(at_nodes),
        "seats_also_beside_another_way": int(also_beside),
        "seats_across_road": int(across),
        "seats_beyond_distance": int(len(free) - joined - across),
        "seats_by_kind": {k.name.lower(): int((kinds == k).sum()) for k in SeatKind},
        "seats_with_backrest_known": int((backrest >= 0).sum()),
    }


def _at_nodes(
    graph: CompiledGraph, nodes: np.ndarray, src: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Seat rows ``(edges, offsets, seats)`` for the seats ``src`` standing at ``nodes`` (one
    node per seat): offset 0 on every edge leaving its node, ``length_m`` on every edge
    entering it."""
    nodes = np.asarray(nodes, dtype=np.int64)
    out_e = concat_ranges(graph.first_out[nodes], graph.first_out[nodes + 1])
    out_k = np.repeat(np.arange(len(nodes)), graph.first_out[nodes + 1] - graph.first_out[nodes])
    by_head = np.argsort(graph.head, kind="stable")
    heads = graph.head[by_head]
    lo, hi = np.searchsorted(heads, nodes, "left"), np.searchsorted(heads, nodes, "right")
    in_e = by_head[concat_ranges(lo, hi)]
    in_k = np.repeat(np.arange(len(nodes)), hi - lo)
    length = np.asarray(graph.edge["length_m"], dtype=np.float64)
    return [(out_e, np.zeros(len(out_e)), src[out_k]), (in_e, length[in_e], src[in_k])]


def _seat_columns(graph: CompiledGraph, table: dict[str, np.ndarray]) -> None:
    """``seat_first_m``, ``seat_last_m`` and ``seat_max_gap_m`` from the sorted seat table."""
    first = table["edge_seat_first"]
    count = np.diff(first)
    has = np.flatnonzero(count > 0)
    off = table["seat_offset_m"]
    e = graph.edge
    e["seat_first_m"][has] = off[first[has]]
    e["seat_last_m"][has] = off[first[has + 1] - 1]
    gap = np.zeros(graph.edge_count, dtype=np.float32)
    edge = table["seat_edge"]
    same = np.flatnonzero(edge[1:] == edge[:-1])
    np.maximum.at(gap, edge[1:][same], (off[1:] - off[:-1])[same])
    e["seat_max_gap_m"][has] = gap[has]


def _covered_length(lines: np.ndarray, areas: np.ndarray, distance_m: float) -> np.ndarray:
    """Per line, its length within ``distance_m`` of (or inside) the union of ``areas``."""
    out = np.zeros(len(lines), dtype=np.float64)
    if len(areas) == 0 or len(lines) == 0:
        return out
    zone = shapely.union_all(shapely.buffer(areas, distance_m) if distance_m > 0 else areas)
    parts = shapely.get_parts(zone)
    li, pi = shapely.STRtree(parts).query(lines, predicate="intersects")
    if len(li):
        np.add.at(out, li, shapely.length(shapely.intersection(lines[li], parts[pi])))
    return out


def _join_trees(
    graph: CompiledGraph,
    frame: _Frame,
    features: RawFeatures,
    register: TreeRegister | None,
    opts: FeatureOptions,
) -> dict[str, Any]:
    taxa = {name: i for i, name in enumerate(TREE_TAXA)}
    osm_xy = np.array(features.tree_lonlat, dtype=np.float64).reshape(-1, 2)
    osm_taxon = np.array([taxa[taxon_of_genus(g)] for g in features.tree_genus], dtype=np.int64)
    osm_pts = frame.points(osm_xy)
    duplicates = 0
    parts_pts: list[np.ndarray] = []
    parts_taxon: list[np.ndarray] = []
    if register is not None and len(register.lon):
        reg_pts = frame.points(np.column_stack((register.lon, register.lat)))
        reg_taxon = np.array([taxa[taxon_of_genus(g)] for g in register.genus], dtype=np.int64)
        if len(osm_pts):
            dup = np.unique(
                shapely.STRtree(reg_pts).query(
                    osm_pts, predicate="dwithin", distance=REGISTER_DUPLICATE_M
                )[0]
            )
            duplicates = len(dup)
            keep = np.setdiff1d(np.arange(len(osm_pts)), dup)
            osm_pts, osm_taxon_kept = osm_pts[keep], osm_taxon[keep]
        else:
            osm_taxon_kept = osm_taxon
        parts_pts += [osm_pts, reg_pts]
        parts_taxon += [osm_taxon_kept, reg_taxon]
    else:
        parts_pts.append(osm_pts)
        parts_taxon.append(osm_taxon)
    row_trees = 0
    if features.tree_rows:
        rows = shapely.linestrings(
            np.concatenate([np.asarray(c) for c, _ in features.tree_rows]),
            indices=np.repeat(
                np.arange(len(features.tree_rows)), [len(c) for c, _ in features.tree_rows]
            ),
        )
        rows = frame.local(rows)
        n = np.floor(shapely.length(rows) / opts.tree_row_spacing_m + 1e-3).astype(np.int64) + 1
        which = np.repeat(np.arange(len(rows)), n)
        step = concat_ranges(np.zeros(len(n), dtype=np.int64), n) * opts.tree_row_spacing_m
        pts = shapely.line_interpolate_point(
            rows[which], np.minimum(step, shapely.length(rows)[which])
        )
        row_taxon = np.array([taxa[taxon_of_genus(g)] for _, g in features.tree_rows])[which]
        parts_pts.append(pts)
        parts_taxon.append(row_taxon.astype(np.int64))
        row_trees = len(pts)
    all_pts = np.concatenate(parts_pts) if parts_pts else np.zeros(0, dtype=object)
    all_taxon = np.concatenate(parts_taxon) if parts_taxon else np.zeros(0, dtype=np.int64)
    counts = np.zeros((len(frame.lines), len(TREE_TAXA)), dtype=np.float64)
    near = 0
    reach = opts.tree_distance_m
    if len(all_pts) and len(frame.lines) and reach > 0:
        pi, li = shapely.STRtree(frame.lines).query(all_pts, predicate="dwithin", distance=reach)
        # each tree is passed once along the metres within its reach: the share of them on each
        # edge, not 1 per edge, so a way split into short edges beside it counts it once
        within = shapely.buffer(all_pts, reach, quad_segs=32)  # chords 0.03 % short
        inside = shapely.length(shapely.intersection(frame.lines[li], within[pi]))
        np.add.at(counts, (li, all_taxon[pi]), inside / (2.0 * reach))
        near = len(np.unique(pi))
    woods = [a for a in features.areas if a.wood]
    wood_trees = 0.0
    if woods:
        geoms = frame.local(shapely.from_wkb([a.wkb for a in woods]))
        wood_taxon = np.array([taxa[taxon_of_genus(a.genus)] for a in woods])
        for t in np.unique(wood_taxon):
            covered = _covered_length(frame.lines, geoms[wood_taxon == t], opts.tree_distance_m)
            trees = covered / opts.tree_row_spacing_m  # not rounded per edge: split-free
            counts[:, t] += trees
            wood_trees += float(trees.sum())
    counts = np.minimum(counts, TREES_NOT_READ - 1)  # a real count never reads as "not read"
    for j, taxon in enumerate(TREE_TAXA):
        frame.spread(counts[:, j].astype(np.float32), graph.edge[f"trees_{taxon}"])
    osm_known = int((osm_taxon != taxa["unknown"]).sum())
    stats: dict[str, Any] = {
        "trees_osm": len(features.tree_genus),
        "trees_osm_with_genus": osm_known,
        "trees_osm_by_taxon": {t: int((osm_taxon == i).sum()) for t, i in taxa.items()},
        "tree_rows": len(features.tree_rows),
        "trees_from_tree_rows": row_trees,
        "wood_areas": len(woods),
        "trees_from_wood_areas_on_edges": int(wood_trees),
        "trees_near_network": int(near),
    }
    if register is not None:
        reg_known = sum(1 for g in register.genus if g is not None)
        stats["trees_register"] = len(register.genus)
        stats["trees_register_with_genus"] = reg_known
        stats["trees_register_rows_skipped"] = register.rows_skipped
        stats["trees_register_source"] = register.source
        stats["trees_osm_also_in_register"] = duplicates
    return stats


def _join_green(
    graph: CompiledGraph, frame: _Frame, features: RawFeatures, distance_m: float
) -> dict[str, Any]:
    areas = features.areas
    line_length = np.maximum(shapely.length(frame.lines), 1e-9)
    geoms = frame.local(shapely.from_wkb([a.wkb for a in areas])) if areas else np.zeros(0)
    green = np.array([a.green for a in areas], dtype=bool)
    grass = np.array([a.grass for a in areas], dtype=bool)
    for column, mask in (("green_share", green), ("grass_share", grass)):
        share = np.clip(_covered_length(frame.lines, geoms[mask], distance_m) / line_length, 0, 1)
        frame.spread(share.astype(np.float32), graph.edge[column])
    names = sorted({a.park_name for a in areas if a.park_name})
    park_of_name = {name: i for i, name in enumerate(names)}
    parks = np.flatnonzero([a.park_name is not None for a in areas])
    park_id = np.full(len(frame.lines), -1, dtype=np.int32)
    if len(parks) and len(frame.lines):
        zones = shapely.buffer(geoms[parks], distance_m) if distance_m > 0 else geoms[parks]
        li, pi = shapely.STRtree(zones).query(frame.lines, predicate="intersects")
        if len(li):
            inside = shapely.length(shapely.intersection(frame.lines[li], zones[pi]))
            order = np.lexsort((-inside, li))
            _, first = np.unique(li[order], return_index=True)
            best = order[first]
            ids = np.array([park_of_name[areas[i].park_name] for i in parks])  # type: ignore[index]
            park_id[li[best]] = ids[pi[best]]
    frame.spread(park_id, graph.edge["park_id"])
    graph.meta["parks"] = names
    return {
        "green_areas": int(green.sum()),
        "grass_areas": int(grass.sum()),
        "parks": len(parks),
        "named_parks": len(names),
    }
