"""Origin–destination pairs for benchmarks: seeded random points inside the area, CSV in and out.

Random points lie *on* the street network of the graph's largest (weakly) connected component:
an undirected street piece is chosen with probability proportional to its length, then a uniform
fraction along its polyline. A pair is kept when its two points are at least ``min_separation_m``
apart (great-circle). Only ``numpy.random.default_rng(seed)`` draws are used, in a fixed order, on
arrays in graph order (no dict or set iteration), and coordinates are rounded to 7 decimals
(about 1 cm) — so the same seed on the same graph gives the same ``pairs.csv`` bytes on any
machine.

CSV columns: ``id,origin_lat,origin_lon,destination_lat,destination_lon``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphs.geodesy import haversine_m
from graphs.model import CompiledGraph

CSV_COLUMNS = ("id", "origin_lat", "origin_lon", "destination_lat", "destination_lon")
MIN_SEPARATION_M = 200.0
DECIMALS = 7
_MAX_TRIES_PER_PAIR = 1000

LatLon = tuple[float, float]


class PairsError(ValueError):
    """A pairs file that cannot be read, or an area where no pairs can be drawn."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One trip to route: an id and two ``(lat, lon)`` points."""

    id: str
    origin: LatLon
    destination: LatLon


def largest_component_edges(graph: CompiledGraph) -> np.ndarray:
    """Ids of the undirected street pieces (one edge per twin pair) of the largest component.

    Components are weak (direction ignored); among equally large ones the one holding the
    lowest node id wins, so the choice does not depend on anything but the graph.
    """
    # imported here: SciPy (10 MB) would otherwise sit in every serving worker, which only
    # needs it when a tester's bench run draws trips
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = graph.node_count
    tail = np.asarray(graph.tail, dtype=np.int64)
    head = np.asarray(graph.head, dtype=np.int64)
    adjacency = coo_matrix((np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    sizes = np.bincount(labels)
    biggest = int(np.argmax(sizes))
    rev = np.asarray(graph.edge["reverse_edge"], dtype=np.int64)
    edges = np.arange(graph.edge_count, dtype=np.int64)
    canonical = (rev < 0) | (edges < rev)
    usable = canonical & (labels[tail] == biggest) & (graph.edge["length_m"] > 0)
    return edges[usable]


def _point_on_edge(graph: CompiledGraph, e: int, fraction: float) -> LatLon:
    """The point ``fraction`` of the way along edge ``e``'s polyline, rounded to 7 decimals."""
    coords = graph.edge_coords(e)
    seg = haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    at = fraction * cum[-1]
    lon = float(np.interp(at, cum, coords[:, 0]))
    lat = float(np.interp(at, cum, coords[:, 1]))
    return round(lat, DECIMALS), round(lon, DECIMALS)


class PointSampler:
    """Draws points on the largest component, uniformly by street length."""

    def __init__(self, graph: CompiledGraph) -> None:
        self.graph = graph
        self.edges = largest_component_edges(graph)
        if len(self.edges) == 0:
            raise PairsError("the graph has no street of positive length to draw points on")
        self.cum_length = np.cumsum(
            np.asarray(graph.edge["length_m"], dtype=np.float64)[self.edges]
        )

    def draw(self, rng: np.random.Generator) -> LatLon:
        """One random point (two draws from ``rng``: which street, how far along it)."""
        u, fraction = rng.random(2)
        i = int(np.searchsorted(self.cum_length, u * self.cum_length[-1], side="right"))
        e = int(self.edges[min(i, len(self.edges) - 1)])
        return _point_on_edge(self.graph, e, float(fraction))

    def points(self, n: int, rng: np.random.Generator) -> list[LatLon]:
        """``n`` random points."""
        return [self.draw(rng) for _ in range(n)]


def _separation_m(a: LatLon, b: LatLon) -> float:
    return float(haversine_m(a[1], a[0], b[1], b[0]))


def random_pairs(
    graph: CompiledGraph, n: int, seed: int, *, min_separation_m: float = MIN_SEPARATION_M
) -> list[Pair]:
    """``n`` reproducible random pairs, each at least ``min_separation_m`` apart.

    For each pair the origin and the destination are drawn in turn; a destination too close to
    its origin is redrawn (the origin stays). Ids are ``1 … n``.
    """
    if n < 1:
        raise PairsError(f"the number of random pairs must be at least 1, got {n}")
    sampler = PointSampler(graph)
    rng = np.random.default_rng(seed)
    pairs: list[Pair] = []
    for i in range(1, n + 1):
        origin = sampler.draw(rng)
        for _ in range(_MAX_TRIES_PER_PAIR):
            destination = sampler.draw(rng)
            if _separation_m(origin, destination) >= min_separation_m:
                break
        else:
            raise PairsError(
                f"no two points of this area are {min_separation_m:g} m apart; the area is too small"
            )
        pairs.append(Pair(str(i), origin, destination))
    return pairs


def _fmt(value: float) -> str:
    return f"{value:.{DECIMALS}f}"


def write_pairs(pairs: list[Pair], path: str | Path) -> Path:
    """Write ``pairs`` as CSV (``\\n`` line ends, 7 decimals); return the path."""
    out = Path(path)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for p in pairs:
            writer.writerow(
                (p.id, _fmt(p.origin[0]), _fmt(p.origin[1]),
                 _fmt(p.destination[0]), _fmt(p.destination[1]))
            )  # fmt: skip
    return out


def _coordinate(row: dict[str, str], column: str, line: int, path: Path) -> float:
    text = (row.get(column) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise PairsError(f"{path}, line {line}: {column} is not a number: {text!r}") from None
    limit = 90.0 if column.endswith("_lat") else 180.0
    if not math.isfinite(value) or abs(value) > limit:
        raise PairsError(f"{path}, line {line}: {column} {text} is not a valid coordinate")
    return value


def read_pairs(path: str | Path) -> list[Pair]:
    """Read a pairs CSV (extra columns are ignored); raise :class:`PairsError` if it is bad."""
    src = Path(path)
    try:
        with src.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise PairsError(
                    f"{src} lacks the column(s) {', '.join(missing)}; "
                    f"expected a header {','.join(CSV_COLUMNS)}"
                )
            pairs: list[Pair] = []
            seen: set[str] = set()
            for line, row in enumerate(reader, start=2):
                pid = (row.get("id") or "").strip()
                if not pid:
                    raise PairsError(f"{src}, line {line}: the id is empty")
                if pid in seen:
                    raise PairsError(f"{src}, line {line}: the id {pid!r} is used twice")
                seen.add(pid)
                o = (
                    _coordinate(row, "origin_lat", line, src),
                    _coordinate(row, "origin_lon", line, src),
                )
                d = (_coordinate(row, "destination_lat", line, src), _coordinate(row, "destination_lon", line, src))  # fmt: skip
                pairs.append(Pair(pid, o, d))
    except OSError as exc:
        raise PairsError(f"cannot read the pairs file {src}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PairsError(f"{src} is not a readable CSV file: {exc}") from None
    if not pairs:
        raise PairsError(f"{src} holds no pairs")
    return pairs
