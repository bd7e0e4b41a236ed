"""OSM ways and nodes → compiled accessibility graph.

Stages: keep the ways a pedestrian may use and read their tags with the rules of
:mod:`accessibility_rules.way_rules` and :mod:`~accessibility_rules.node_rules` (and those across
both, :mod:`accessibility_rules.tags`); build an unsimplified osmnx-style ``MultiDiGraph`` (both
directions of every way); simplify it with osmnx, keeping every node that carries accessibility
information (kerbs, crossings, barriers, elevators, entrances) and every place where way
attributes change; keep the largest connected component; compile to CSR arrays with per-edge and
per-node attribute arrays; derive inclines from an elevation model where no tag gives one.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox

from accessibility_rules import registry
from accessibility_rules.attributes import (
    ASSUMED_KERB_HEIGHT_CM,
    OSM_ATTRIBUTION,
    OSM_LICENCE_URL,
    AcousticSignal,
    CrossingKind,
    HighwayClass,
    InclineSource,
    is_road_class,
)
from accessibility_rules.node_rules import EMPTY_NODE, NodeAttributes, node_attributes
from accessibility_rules.tags import (
    crossing_way_kerb,
    crossing_way_with_nodes,
    has_kerb_tags,
    with_linear_kerbs,
)
from accessibility_rules.way_rules import WayAttributes, is_pedestrian_way, way_attributes
from graphs.elevation import Dem, edge_inclines_percent
from graphs.features import FeatureOptions, TreeRegister, empty_edge_columns, join_features
from graphs.geodesy import haversine_m, metres_per_degree
from graphs.model import EDGE_ATTRIBUTE_DTYPES, INVALID_ID, NODE_ATTRIBUTE_DTYPES, CompiledGraph
from graphs.sources import RawOsm
from graphs.stamps import utc_stamp

SOFTWARE_VERSION = "0.1.0"

#: Sidewalks without a name take the name of the nearest named road within this distance.
SIDEWALK_NAME_RADIUS_M = 25.0

Progress = Callable[[str], None]


class BuildError(ValueError):
    """The input cannot make a usable graph (no walkable ways, empty area, …)."""


@dataclasses.dataclass(slots=True)
class _Ways:
    """Per-way attributes of the kept ways, aligned with ``raw_ways``."""

    raw_ways: list[Any]
    attrs: list[WayAttributes]
    signature: list[int]


def _noop(_: str) -> None:
    return None


def build_graph(
    raw: RawOsm,
    *,
    dem: Dem | None = None,
    progress: Progress = _noop,
    features: FeatureOptions | None = None,
    trees: TreeRegister | None = None,
) -> tuple[CompiledGraph, Counter[str]]:
    """Compile ``raw`` into a :class:`CompiledGraph`.

    Seats, trees and green areas beside the network are joined to the edges with the distances
    of ``features`` (defaults: :class:`~graphs.features.FeatureOptions`); ``trees`` is a city tree
    register joined beside OSM's trees. Returns the graph and the counts of malformed tag values
    (by key), which became *unknown*. Raises :class:`BuildError` when no walkable way is left.
    """
    started = time.perf_counter()
    malformed: Counter[str] = Counter()
    progress("reading tags")
    node_tags = with_linear_kerbs(
        raw.node_tags, (w.nodes for w in raw.ways), ((k.nodes, k.tags) for k in raw.kerb_ways)
    )
    node_attrs = {n: node_attributes(t, malformed) for n, t in node_tags.items()}
    ways = _walkable_ways(raw, node_attrs, malformed)
    if not ways.raw_ways:
        raise BuildError(f"{raw.source} contains no walkable ways")
    if dem is not None:
        lons = [raw.node_lonlat[n][0] for w in ways.raw_ways for n in w.nodes]
        lats = [raw.node_lonlat[n][1] for w in ways.raw_ways for n in w.nodes]
        dem.check_covers(min(lons), min(lats), max(lons), max(lats))
    progress("building the osmnx graph")
    g = _osmnx_graph(raw, ways, node_attrs)
    progress("simplifying (keeping kerbs, crossings, barriers)")
    g = ox.simplify_graph(g, node_attrs_include=["notable"], edge_attrs_differ=["sig"])
    total_edges = g.number_of_edges()
    g = ox.truncate.largest_component(g, strongly=False)
    if g.number_of_edges() == 0:
        raise BuildError(f"{raw.source} contains no connected walkable network")
    progress("compiling arrays")
    graph = _compile(g, ways, node_attrs)
    if dem is not None:
        progress("sampling the elevation model")
        _apply_dem(graph, dem)
    progress("joining seats, trees and green areas")
    join_features(graph, raw.features, options=features, register=trees)
    joined = {
        "features": graph.meta["features"],
        "parks": graph.meta["parks"],
        "stops": raw.features.stops if raw.features.read else None,  # None: not read
    }
    graph.meta = _metadata(raw, graph, dem, time.perf_counter() - started) | joined
    graph.meta["dropped_edges_outside_largest_component"] = total_edges - graph.edge_count
    graph.meta["source_counts"] = _source_counts(raw, ways, node_attrs)
    graph.validate()
    return graph, malformed


def _source_counts(
    raw: RawOsm, ways: _Ways, node_attrs: dict[int, NodeAttributes]
) -> dict[str, int]:
    """What the source data holds, before the network is cut to its largest component (counted
    on the tag rules' results: tags are read only in accessibility_rules)."""
    kerb_nodes = sum(1 for t in raw.node_tags.values() if has_kerb_tags(t))
    return {
        "walkable_ways": len(ways.raw_ways),
        "kerb_nodes": kerb_nodes,
        "kerb_ways": len(raw.kerb_ways),
        "kerb_observations": kerb_nodes + len(raw.kerb_ways),
        "steps_ways": sum(1 for a in ways.attrs if a.is_steps),
        "steps_ways_with_step_count": sum(1 for a in ways.attrs if a.is_steps and a.step_count),
        "crossing_ways": sum(1 for a in ways.attrs if a.crossing != CrossingKind.NONE),
        "crossing_nodes": sum(1 for a in node_attrs.values() if a.crossing != CrossingKind.NONE),
        "acoustic_signal_nodes": sum(
            1 for a in node_attrs.values() if a.acoustic_signal == AcousticSignal.YES
        ),
        "missing_way_nodes": raw.missing_nodes,
        "ways_split_at_missing_nodes": raw.split_ways,
    }


def _walkable_ways(
    raw: RawOsm, node_attrs: dict[int, NodeAttributes], malformed: Counter[str]
) -> _Ways:
    kept: list[Any] = []
    attrs: list[WayAttributes] = []
    for way in raw.ways:
        if not is_pedestrian_way(way.tags):
            continue
        a = way_attributes(way.tags, malformed)
        nodes = [node_attrs.get(n, EMPTY_NODE) for n in way.nodes]
        a = crossing_way_kerb(crossing_way_with_nodes(a, nodes), nodes)
        kept.append(way)
        attrs.append(a)
    signature: list[int] = []
    sig_ids: dict[object, int] = {}
    for way, a in zip(kept, attrs, strict=True):
        per_way = (
            a.is_steps
            or a.crossing != CrossingKind.NONE
            or a.incline_source != InclineSource.UNKNOWN
        )
        key = (a, way.way_id if per_way else None)
        signature.append(sig_ids.setdefault(key, len(sig_ids)))
    return _Ways(kept, attrs, signature)


def _osmnx_graph(
    raw: RawOsm, ways: _Ways, node_attrs: dict[int, NodeAttributes]
) -> nx.MultiDiGraph:
    """Unsimplified graph in osmnx's conventions: nodes with x/y, edges with length in metres."""
    us: list[int] = []
    vs: list[int] = []
    idx: list[int] = []
    for i, way in enumerate(ways.raw_ways):
        nodes = way.nodes
        for a, b in itertools.pairwise(nodes):
            if a != b:
                us.append(a)
                vs.append(b)
                idx.append(i)
    lon_u = np.array([raw.node_lonlat[n][0] for n in us])
    lat_u = np.array([raw.node_lonlat[n][1] for n in us])
    lon_v = np.array([raw.node_lonlat[n][0] for n in vs])
    lat_v = np.array([raw.node_lonlat[n][1] for n in vs])
    lengths = haversine_m(lon_u, lat_u, lon_v, lat_v).tolist()
    g = nx.MultiDiGraph(crs="epsg:4326")
    used = set(us) | set(vs)
    g.add_nodes_from(
        (
            n,
            {"x": raw.node_lonlat[n][0], "y": raw.node_lonlat[n][1]}
            | ({"notable": True} if node_attrs.get(n, EMPTY_NODE).is_notable else {}),
        )
        for n in used
    )
    sig = ways.signature
    g.add_edges_from(
        (u, v, {"way": i, "sig": sig[i], "reversed": False, "length": length})
        for u, v, i, length in zip(us, vs, idx, lengths, strict=True)
    )
    g.add_edges_from(
        (v, u, {"way": i, "sig": sig[i], "reversed": True, "length": length})
        for u, v, i, length in zip(us, vs, idx, lengths, strict=True)
    )
    return g


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _way_of(value: Any) -> int:
    """The way an edge is read from. osmnx keeps the ways of a merged edge as ``list(set(…))``,
    whose order differs between the two directions: the smallest id is the same for both, so
    twins read the same way's attributes."""
    return int(min(value)) if isinstance(value, list) else int(value)


def _morton_order(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Node order along a Z-curve, so that nearby nodes sit near each other in memory."""

    def spread(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.uint64) & np.uint64(0xFFFF)
        x = (x | (x << np.uint64(8))) & np.uint64(0x00FF00FF)
        x = (x | (x << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        x = (x | (x << np.uint64(2))) & np.uint64(0x33333333)
        return (x | (x << np.uint64(1))) & np.uint64(0x55555555)

    def scale(a: np.ndarray) -> np.ndarray:
        span = max(float(a.max() - a.min()), 1e-12)
        return ((a - a.min()) / span * 65535.0).astype(np.uint64)

    code = spread(scale(lon)) | (spread(scale(lat)) << np.uint64(1))
    return np.argsort(code, kind="stable")


def _compile(
    g: nx.MultiDiGraph, ways: _Ways, node_attrs: dict[int, NodeAttributes]
) -> CompiledGraph:
    osm_ids = np.fromiter(g.nodes, dtype=np.int64, count=g.number_of_nodes())
    xs = np.array([g.nodes[n]["x"] for n in osm_ids], dtype=np.float64)
    ys = np.array([g.nodes[n]["y"] for n in osm_ids], dtype=np.float64)
    order = _morton_order(xs, ys)
    osm_ids, xs, ys = osm_ids[order], xs[order], ys[order]
    index = {int(n): i for i, n in enumerate(osm_ids)}
    n = len(osm_ids)

    tails: list[int] = []
    heads: list[int] = []
    way_idx: list[int] = []
    backward: list[bool] = []
    lengths: list[float] = []
    geoms: list[np.ndarray] = []
    for u, v, data in g.edges(data=True):
        tails.append(index[u])
        heads.append(index[v])
        way_idx.append(_way_of(data["way"]))
        backward.append(bool(_first(data["reversed"])))
        lengths.append(float(data["length"]))
        geom = data.get("geometry")
        if geom is None:
            coords = np.array(
                [[g.nodes[u]["x"], g.nodes[u]["y"]], [g.nodes[v]["x"], g.nodes[v]["y"]]]
            )
        else:
            coords = np.asarray(geom.coords, dtype=np.float64)
        geoms.append(coords)
    tail_a = np.array(tails, dtype=np.int64)
    head_a = np.array(heads, dtype=np.int64)
    length_a = np.array(lengths, dtype=np.float64)
    perm = np.lexsort((length_a, head_a, tail_a))
    tail_a, head_a, length_a = tail_a[perm], head_a[perm], length_a[perm]
    way_a = np.array(way_idx, dtype=np.int64)[perm]
    back_a = np.array(backward, dtype=bool)[perm]
    geoms = [geoms[i] for i in perm]
    m = len(tail_a)
    first_out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail_a, minlength=n), out=first_out[1:])
    sizes = np.array([len(c) for c in geoms], dtype=np.int64)
    geom_first = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(sizes, out=geom_first[1:])
    all_coords = np.concatenate(geoms) if geoms else np.zeros((0, 2))

    edge = _edge_attributes(ways, way_a, back_a, length_a)
    edge["reverse_edge"] = _twins(tail_a, head_a, way_a, length_a)
    edge |= empty_edge_columns(m)  # filled by graphs.features.join_features
    names, edge["name_id"], edge["road_side"] = _names(ways, way_a, edge, all_coords, geom_first)
    node = _node_attributes(osm_ids, xs, ys, node_attrs)
    node["road_arms"] = road_arms(tail_a, edge["highway"], n)
    for name, dtype in EDGE_ATTRIBUTE_DTYPES.items():
        edge[name] = np.ascontiguousarray(edge[name], dtype=dtype)
    assert set(edge) == set(EDGE_ATTRIBUTE_DTYPES), set(edge) ^ set(EDGE_ATTRIBUTE_DTYPES)
    return CompiledGraph(
        first_out=first_out,
        head=head_a.astype(np.int32),
        tail=tail_a.astype(np.int32),
        geom_first=geom_first,
        geom_lon=np.ascontiguousarray(all_coords[:, 0]),
        geom_lat=np.ascontiguousarray(all_coords[:, 1]),
        edge=edge,
        node=node,
        names=names,
    )


def road_arms(tail: np.ndarray, highway: np.ndarray, n: int) -> np.ndarray:
    """Per node, the carriageway edges leaving it (highway codes of a road class other than
    service; an edge per direction, so a road passing through counts 2 and a T-junction 3):
    where 3 or more meet, a walk along a road may cross a side road's mouth
    (:mod:`accessibility_rules.effective`). Service roads (driveways, parking aisles) do not
    count."""
    arm = is_road_class(highway) & (np.asarray(highway) != int(HighwayClass.SERVICE))
    arms = np.bincount(np.asarray(tail)[arm], minlength=n)
    return np.minimum(arms, np.iinfo(np.int8).max).astype(np.int8)


def _way_column(attrs: Sequence[WayAttributes], name: str, unknown: float = np.nan) -> np.ndarray:
    values = [getattr(a, name) for a in attrs]
    if values and isinstance(values[0], bool):
        return np.array(values, dtype=bool)
    return np.array([unknown if v is None else float(v) for v in values], dtype=np.float64)


def _edge_attributes(
    ways: _Ways, way_a: np.ndarray, back_a: np.ndarray, length_a: np.ndarray
) -> dict[str, np.ndarray]:
    """Vectorised: per-way columns gathered by each edge's way index."""
    a = ways.attrs
    col = {name: _way_column(a, name)[way_a] for name in registry.tag_columns("edge")}
    osm_way_ids = np.array([w.way_id for w in ways.raw_ways], dtype=np.int64)[way_a]
    # shares are of the whole OSM way (a download delivers a way as many 2-node pieces)
    way_ids, way_of_edge = np.unique(osm_way_ids, return_inverse=True)
    way_total = np.zeros(len(way_ids), dtype=np.float64)
    np.add.at(way_total, way_of_edge, length_a / 2.0)  # both directions are edges
    total = way_total[way_of_edge]
    share = np.where(total > 0, length_a / np.maximum(total, 1e-9), 1.0)
    sign = np.where(back_a, -1.0, 1.0)
    incline_tag = _way_column(a, "incline_percent")[way_a] * sign
    source = _way_column(a, "incline_source")[way_a]
    direction = np.nan_to_num(_way_column(a, "incline_direction")[way_a]) * sign
    steps_total = _way_column(a, "step_count", unknown=-1.0)[way_a]
    step_count = np.where(col["is_steps"], np.where(steps_total >= 0, 0.0, -1.0), 0.0)
    _apportion_steps(step_count, steps_total, share, way_of_edge, back_a, col["is_steps"])
    return col | {
        "length_m": length_a,
        "way_id": osm_way_ids,
        "way_share": np.minimum(share, 1.0),
        "incline_percent": incline_tag,
        "incline_source": source,
        "incline_direction": direction,
        "step_count": step_count,
        "closed": np.zeros(len(way_a), dtype=bool),
    }


def _apportion_steps(
    out: np.ndarray,
    total: np.ndarray,
    share: np.ndarray,
    way_of_edge: np.ndarray,
    backward: np.ndarray,
    is_steps: np.ndarray,
) -> None:
    """Split each flight's ``step_count`` over its pieces so that they sum to the tag.

    Largest-remainder apportionment per way and direction (at least one step per piece): a
    flight of 10 split into three equal pieces becomes 4 + 3 + 3, not 3 + 3 + 3.
    """
    known = np.flatnonzero(is_steps & (total >= 0))
    groups: dict[tuple[int, bool], list[int]] = {}
    for e in known:
        groups.setdefault((int(way_of_edge[e]), bool(backward[e])), []).append(int(e))
    for edges in groups.values():
        steps = int(total[edges[0]])
        exact = np.array([steps * share[e] for e in edges])
        base = np.floor(exact)
        rest = steps - int(base.sum())
        order = np.argsort(-(exact - base), kind="stable")
        base[order[: max(rest, 0)]] += 1
        out[edges] = np.maximum(base, 1.0)


def _twins(tail: np.ndarray, head: np.ndarray, way: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Index of each edge's reverse twin (same way, swapped ends, same length), else INVALID_ID.

    Parallel pieces with the same key are paired one to one, so ``rev[rev[e]] == e`` always.
    An edge merged from several OSM ways names the same way in both directions (:func:`_way_of`),
    so it finds its twin too.
    """
    groups: dict[tuple[int, int, int, float], list[int]] = {}
    for e, (t, h, w, ln) in enumerate(zip(tail, head, way, length, strict=True)):
        groups.setdefault((int(t), int(h), int(w), round(float(ln), 3)), []).append(e)
    out = np.full(len(tail), INVALID_ID, dtype=np.int64)
    for (t, h, w, ln), edges in groups.items():
        if (t, h) >= (h, t) and t != h:
            continue  # each pair of directions is handled once, from its smaller key
        partners = groups.get((h, t, w, ln), [])
        if t == h:  # a closed loop: its pieces pair up among themselves
            partners = edges[::-1]
        for e, r in zip(edges, partners, strict=False):
            out[e], out[r] = r, e
    return out


def _names(
    ways: _Ways,
    way_a: np.ndarray,
    edge: dict[str, np.ndarray],
    coords: np.ndarray,
    geom_first: np.ndarray,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Street names per edge; unnamed sidewalks get the name of the nearest named road, and
    the side that road is on, walking the edge (:func:`_road_sides`)."""
    import shapely

    table: dict[str, int] = {}
    way_name_id = np.array(
        [table.setdefault(a.name, len(table)) if a.name else INVALID_ID for a in ways.attrs],
        dtype=np.int64,
    )
    name_id = way_name_id[way_a]
    road_side = np.zeros(len(name_id), dtype=np.int8)
    orphan = np.flatnonzero(edge["is_sidewalk"] & (name_id == INVALID_ID))
    roads = np.flatnonzero(is_road_class(edge["highway"]) & (name_id != INVALID_ID))
    if len(orphan) and len(roads):
        mx, my = metres_per_degree(float(np.mean(coords[:, 1])))
        local = np.column_stack((coords[:, 0] * mx, coords[:, 1] * my))

        def lines(edges: np.ndarray) -> np.ndarray:
            counts = geom_first[edges + 1] - geom_first[edges]
            points = np.concatenate([local[geom_first[e] : geom_first[e + 1]] for e in edges])
            return shapely.linestrings(points, indices=np.repeat(np.arange(len(edges)), counts))

        road_lines = lines(roads)
        sidewalk_lines = lines(orphan)
        tree = shapely.STRtree(road_lines)
        src, dst = tree.query_nearest(
            sidewalk_lines, max_distance=SIDEWALK_NAME_RADIUS_M, all_matches=False
        )
        name_id[orphan[src]] = name_id[roads[dst]]
        road_side[orphan[src]] = _road_sides(sidewalk_lines[src], road_lines[dst])
    names = [""] * len(table)
    for name, i in table.items():
        names[i] = name
    return names, name_id, road_side


def _road_sides(sidewalks: np.ndarray, roads: np.ndarray) -> np.ndarray:
    """Per sidewalk line (drawn in its edge's direction, planar metres), the side its road's
    line lies on, walking it: -1 left, 1 right, 0 neither (on the line). Read at the sidewalk's
    middle: the sign of the cross product of its direction there (from 40 % to 60 % of its
    length) and the way from its middle to the nearest point of the road."""
    import shapely

    def xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return shapely.get_x(points), shapely.get_y(points)

    ax, ay = xy(shapely.line_interpolate_point(sidewalks, 0.4, normalized=True))
    bx, by = xy(shapely.line_interpolate_point(sidewalks, 0.6, normalized=True))
    middle = shapely.line_interpolate_point(sidewalks, 0.5, normalized=True)
    mx, my = xy(middle)
    px, py = xy(shapely.line_interpolate_point(roads, shapely.line_locate_point(roads, middle)))
    cross = (bx - ax) * (py - my) - (by - ay) * (px - mx)
    return np.where(cross > 0, -1, np.where(cross < 0, 1, 0)).astype(np.int8)


def _node_attributes(
    osm_ids: np.ndarray, xs: np.ndarray, ys: np.ndarray, node_attrs: dict[int, NodeAttributes]
) -> dict[str, np.ndarray]:
    n = len(osm_ids)
    node: dict[str, np.ndarray] = {
        "lat": ys,
        "lon": xs,
        "osm_id": osm_ids,
    }
    fields = list(registry.tag_columns("node"))
    empty = {f: getattr(EMPTY_NODE, f) for f in fields}
    for f in fields:
        default = empty[f]
        node[f] = np.full(n, np.nan if default is None else default, dtype=NODE_ATTRIBUTE_DTYPES[f])
    for i, osm_id in enumerate(osm_ids):
        attrs = node_attrs.get(int(osm_id))
        if attrs is None or not attrs.is_notable:
            continue
        for f in fields:
            value = getattr(attrs, f)
            node[f][i] = np.nan if value is None else value
    node["closed"] = np.zeros(n, dtype=bool)
    node["road_arms"] = np.zeros(n, dtype=np.int8)  # counted from the edges: road_arms
    assert set(node) == set(NODE_ATTRIBUTE_DTYPES), set(node) ^ set(NODE_ATTRIBUTE_DTYPES)
    return node


def _apply_dem(graph: CompiledGraph, dem: Dem) -> None:
    """Fill ``incline_percent`` from the elevation model where no tag gives the steepness.

    Where a tag gives only the direction (``incline=up/down``), the model supplies the
    magnitude and the tag keeps the sign: the mapper saw the slope, the 90 m model did not.
    """
    incline = edge_inclines_percent(
        dem, graph.geom_first, graph.geom_lon, graph.geom_lat, graph.edge["length_m"]
    )
    source = graph.edge["incline_source"]
    direction = graph.edge["incline_direction"]
    fill = (source != InclineSource.TAG) & ~graph.edge["is_steps"] & np.isfinite(incline)
    value = np.where(direction != 0, np.abs(incline) * direction, incline)
    graph.edge["incline_percent"][fill] = value[fill]
    source[fill] = InclineSource.DEM


def _metadata(raw: RawOsm, graph: CompiledGraph, dem: Dem | None, seconds: float) -> dict[str, Any]:
    return {
        "source": raw.source,
        "source_sha256": raw.source_sha256,
        "data_timestamp": raw.data_timestamp,
        "dem": str(dem.path) if dem is not None and dem.path is not None else None,
        "built_at": utc_stamp(),
        "build_seconds": round(seconds, 3),
        "software_version": SOFTWARE_VERSION,
        "bbox": [
            float(graph.node["lon"].min()),
            float(graph.node["lat"].min()),
            float(graph.node["lon"].max()),
            float(graph.node["lat"].max()),
        ],
        "node_count": graph.node_count,
        "edge_count": graph.edge_count,
        "attribution": OSM_ATTRIBUTION,
        "licence_url": OSM_LICENCE_URL,
        "assumed_kerb_height_cm": {k.name.lower(): v for k, v in ASSUMED_KERB_HEIGHT_CM.items()},
    }
