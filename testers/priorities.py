"""Mapping priorities: the unknowns that most benchmark trips of a profile rely on.

The same machinery as ``stufenlos bench``: random trips (:func:`testers.pairs.random_pairs`,
same seed → same trips), each routed for the profile. Two kinds of place count a trip once each:

* a **way piece** (undirected) on the route whose limited attribute is unknown to the profile
  (the bench's length unknowns: surface, width, incline, step count, lighting), and a crossing
  walked *along* an edge (a crossing way, a carriageway crossed where no crossing is mapped)
  whose signals or tactile paving are unknown;
* a **node** the route goes on through (every edge's head but the last's: the walk ends before
  it) whose kerb height, barrier, or crossing facts are unknown to the profile: a crossing node
  without ``traffic_signals:sound`` or ``tactile_paving``, a road junction where no crossing is
  mapped at all (``junction``: for blind people the most common unknown of a city whose
  sidewalks are mapped on the roads, and for wheels its side road's kerbs, which nobody
  mapped: :mod:`accessibility_rules.effective`), a kerb of unknown height, a barrier the profile cannot
  judge.

Ranked by trips, then by length (a node has none), ways before nodes, then by id: where one
hour of mapping makes the most routes certain. Also as line-delimited GeoJSON tasks
(MapRoulette), each with what to survey there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from accessibility_rules.attributes import CrossingKind
from accessibility_rules.profile import Profile
from accessibility_rules.registry import Where, unknown_flags
from accessibility_rules.weights import Unknown
from routing.engine import Router
from routing.errors import RoutingError
from testers.pairs import random_pairs
from testers.runner import _LENGTH_BITS, _UNKNOWN_NAMES

#: What a ranked place is: a way piece, or a node of one of these kinds (the first that holds:
#: a junction where no crossing is mapped, a mapped crossing, a barrier, a kerb).
PlaceKind = Literal["way", "junction", "crossing", "barrier", "kerb"]

_CROSSING_BITS = int(Unknown.ACOUSTIC_SIGNAL | Unknown.TACTILE_PAVING)
_KERB = int(Unknown.KERB_HEIGHT)
_BARRIER = int(Unknown.BARRIER)
#: The unknowns of a kerb, a crossing or a barrier (the registry's flags not of the way itself:
#: kerb height, signals, tactile paving, barrier): name → bit.
_POINT_NAMES = {
    name: int(Unknown[name.upper()]) for name, where in unknown_flags().items()
    if where is not Where.EDGE
}  # fmt: skip
_NAMES = {**_UNKNOWN_NAMES, **_POINT_NAMES}
_JUNCTION = int(CrossingKind.JUNCTION)
#: Precedence of the node kinds, when the edges into one node say different things.
_NODE_ORDER: dict[str, int] = {"junction": 0, "crossing": 1, "barrier": 2, "kerb": 3}


@dataclass(frozen=True, slots=True)
class Priority:
    """One place whose unknowns the trips rely on, and how many trips pass it.

    ``edge``: the way piece (``kind`` "way"), or for a node the edge of the first trip that
    went through it (its name is the street walked there); ``node`` the node, else ``None``;
    ``length_m`` the piece's length, ``None`` for a node."""

    edge: int
    trips: int
    attributes: tuple[str, ...]
    length_m: float | None
    name: str | None
    kind: PlaceKind = "way"
    node: int | None = None


def _node_kind(bits: int, crossing: int, at_head: bool) -> PlaceKind:
    """What the head of an edge with point unknowns ``bits`` is (:data:`PlaceKind`)."""
    if at_head and crossing == _JUNCTION:  # its crossing's facts or its implied kerbs
        return "junction"
    if at_head and bits & _CROSSING_BITS:
        return "crossing"
    return "barrier" if bits & _BARRIER else "kerb"


class _Tally:
    """The places the routed walks rely on, each counted once per walk (module doc): the
    unknown bits of one profile's metric read against the graph's effective crossings."""

    def __init__(self, router: Router, unknowns: np.ndarray) -> None:
        graph = router.graph
        _, eff = router.customizer.attributes()
        self.graph = graph
        self.unknowns = unknowns
        self.crossing = eff.crossing
        self.at_head = eff.crossing_at_head
        self.reverse = graph.edge["reverse_edge"]
        self.point_bits = sum(_POINT_NAMES.values())
        self.counts: dict[tuple[str, int], int] = {}  # ("way", piece) or ("node", node) → walks
        self.bits: dict[tuple[str, int], int] = {}
        self.kind: dict[int, PlaceKind] = {}  # node → its kind
        self.edge: dict[int, int] = {}  # node → the edge its first walk came along

    def add(self, edges: np.ndarray) -> None:
        """Count the places of one walk over ``edges`` (its heads but the last one's): the
        bits of every piece in one numpy pass, Python only for the pieces that hold some."""
        bits = self.unknowns[edges].astype(np.int64)
        at_head = np.zeros(len(edges), dtype=bool) if self.at_head is None else self.at_head[edges]
        along = bits & np.where(at_head, _LENGTH_BITS, _LENGTH_BITS | _CROSSING_BITS)
        point = bits & np.where(at_head, self.point_bits, _KERB | _BARRIER)
        point[-1:] = 0  # the walk ends on the last piece: it never passes that head
        reverse = self.reverse[edges]
        piece = np.where(reverse < 0, edges, np.minimum(edges, reverse))  # undirected
        seen: set[tuple[str, int]] = set()
        for i in np.flatnonzero(along).tolist():
            seen.add(self._mark(("way", int(piece[i])), int(along[i])))
        heads = self.graph.head[edges]
        for i in np.flatnonzero(point).tolist():
            v, e, bits_i, head_i = int(heads[i]), int(edges[i]), int(point[i]), bool(at_head[i])
            seen.add(self._mark(("node", v), bits_i))
            kind = _node_kind(bits_i, int(self.crossing[e]), head_i)
            if v not in self.kind or _NODE_ORDER[kind] < _NODE_ORDER[self.kind[v]]:
                self.kind[v] = kind
            self.edge.setdefault(v, e)
        for key in seen:
            self.counts[key] = self.counts.get(key, 0) + 1

    def _mark(self, key: tuple[str, int], bits: int) -> tuple[str, int]:
        self.bits[key] = self.bits.get(key, 0) | bits
        return key

    def ranked(self, limit: int) -> list[Priority]:
        """The ``limit`` places most walks rely on: by walks, then by length (a node has none),
        ways before nodes, then by id."""
        length = self.graph.edge["length_m"]

        def order(key: tuple[str, int]) -> tuple[int, float, bool, int]:
            place, i = key
            metres = float(length[i]) if place == "way" else 0.0
            return (-self.counts[key], -metres, place != "way", i)

        out = []
        for key in sorted(self.counts, key=order)[:limit]:
            place, i = key
            way = place == "way"
            e = i if way else self.edge[i]
            out.append(
                Priority(
                    edge=e,
                    trips=self.counts[key],
                    attributes=tuple(n for n, bit in _NAMES.items() if self.bits[key] & bit),
                    length_m=round(float(length[i]), 1) if way else None,
                    name=self.graph.edge_name(e),
                    kind="way" if way else self.kind[i],
                    node=None if way else i,
                )
            )
        return out


def mapping_priorities(
    router: Router, profile_name: str | Profile, trips: int, seed: int, limit: int
) -> tuple[list[Priority], int]:
    """The ``limit`` most relied-on unknown places and how many trips were routed (for a
    preset by name, or a profile)."""
    profile = router.profile(profile_name)
    metric = router.customize(profile)
    tally = _Tally(router, metric.weights.unknowns)
    routed = 0
    for pair in random_pairs(router.graph, trips, seed):
        try:  # the search alone, as the bench times it: the route's edges without its report
            source, _ = router.snap(pair.origin, metric, "origin")
            target, _ = router.snap(pair.destination, metric, "destination")
            path = router.shortest_path(source, target, metric)
        except RoutingError:
            continue
        routed += 1
        tally.add(path.edges)
    return tally.ranked(limit), routed


def _coordinates(router: Router, e: int) -> list[list[float]]:
    return [[round(float(x), 7), round(float(y), 7)] for x, y in router.graph.edge_coords(e)]


def _geometry(router: Router, p: Priority) -> dict[str, Any]:
    """A way piece's LineString, a node's Point."""
    if p.node is None:
        return {"type": "LineString", "coordinates": _coordinates(router, p.edge)}
    node = router.graph.node
    lon, lat = float(node["lon"][p.node]), float(node["lat"][p.node])
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}


def priority_features(
    router: Router, priorities: list[Priority], profile: str, routed: int
) -> list[dict[str, Any]]:
    """GeoJSON Features (a way piece's LineString, a node's Point) with ``rank``, ``kind``,
    ``trips``, ``attribute`` and ``length_m`` (``None`` for a node)."""
    features = []
    for rank, p in enumerate(priorities, start=1):
        features.append(
            {
                "type": "Feature",
                "geometry": _geometry(router, p),
                "properties": {
                    "rank": rank,
                    "kind": p.kind,
                    "edge": p.edge,
                    "node": p.node,
                    "trips": p.trips,
                    "trips_share": round(p.trips / routed, 4) if routed else 0.0,
                    "attribute": ",".join(p.attributes),
                    "length_m": p.length_m,
                    "name": p.name,
                    "profile": profile,
                },
            }
        )
    return features


#: What to survey and tag, by the kind of place (OSM_TAGS.md).
_SURVEY = {
    "way": "this way{where}",
    "junction": "the junction here{where}, where no crossing is mapped",
    "crossing": "the crossing here{where}",
    "barrier": "the barrier here{where}",
    "kerb": "the kerb here{where}",
}
_TAGS = {
    "way": "surface=*, width=*, incline=*, kerb=*/kerb:height=* on the crossing nodes",
    "junction": "a highway=crossing node where people cross the side road, with crossing=*, "
    "traffic_signals:sound=*, tactile_paving=*, and its kerbs with kerb=*/kerb:height=*",
    "crossing": "crossing=*, traffic_signals:sound=*, tactile_paving=* on the crossing",
    "barrier": "barrier=* with access=*, wheelchair=*, maxwidth=*",
    "kerb": "kerb=* and kerb:height=* on the kerb node",
}


#: The attributes as an instruction says them (the others by their names).
_WORDS = {
    "step_count": "step count", "kerb_height": "kerb height", "acoustic_signal": "acoustic signal",
    "tactile_paving": "tactile paving", "barrier": "passability",
}  # fmt: skip


def task_lines(features: list[dict[str, Any]]) -> Iterator[str]:
    """One MapRoulette task per line (line-delimited GeoJSON): each Feature with
    ``properties.task`` (its id: the profile and the edge, or ``node-`` and the node) and
    ``instruction`` (what to survey there and which tags say it)."""
    for f in features:
        p = f["properties"]
        kind = p.get("kind", "way")
        where = f" ({p['name']})" if p["name"] else ""
        instruction = (
            f"Map {', '.join(_WORDS.get(n, n) for n in p['attribute'].split(','))} "
            f"of {_SURVEY[kind].format(where=where)}: "
            f"{p['trips']} benchmark trips for the {p['profile']} profile pass it and do not "
            f"know it. Survey it and tag what you find (e.g. {_TAGS[kind]})."
        )
        place = p["edge"] if p.get("node") is None else f"node-{p['node']}"
        task = {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": p
            | {
                "task": f"stufenlos-{p['profile']}-{place}",
                "instruction": instruction,
            },
        }
        yield json.dumps(task, ensure_ascii=False, separators=(",", ":")) + "\n"
