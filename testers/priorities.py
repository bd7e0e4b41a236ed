"""Mapping priorities: the unknown stretches that most benchmark trips of a profile rely on.

The same machinery as ``stufenlos bench``: random trips (:func:`testers.pairs.random_pairs`,
same seed → same trips), each routed for the profile; every undirected way piece on a route whose
limited attribute is unknown to the profile (the bench's length unknowns: surface, width,
incline, kerb …) counts the trip once. Ranked by trips, then by length: where one hour of
mapping makes the most routes certain. Also as line-delimited GeoJSON tasks (MapRoulette).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from routing.engine import Router
from routing.errors import RoutingError
from testers.pairs import random_pairs
from testers.runner import _LENGTH_BITS, _UNKNOWN_NAMES


@dataclass(frozen=True, slots=True)
class Priority:
    """One unknown way piece and how many trips pass it."""

    edge: int
    trips: int
    attributes: tuple[str, ...]
    length_m: float
    name: str | None


def mapping_priorities(
    router: Router, profile_name: str, trips: int, seed: int, limit: int
) -> tuple[list[Priority], int]:
    """The ``limit`` most relied-on unknown pieces and how many trips were routed."""
    profile = router.profile(profile_name)
    metric = router.customize(profile)
    unknown_bits = metric.weights.unknowns
    graph = router.graph
    reverse = graph.edge["reverse_edge"]
    pairs = random_pairs(graph, trips, seed)
    counts: dict[int, int] = {}
    bits_of: dict[int, int] = {}
    routed = 0
    for pair in pairs:
        try:  # the search alone, as the bench times it: the route's edges without its report
            source, _ = router.snap(pair.origin, metric, "origin")
            target, _ = router.snap(pair.destination, metric, "destination")
            path = router.shortest_path(source, target, metric)
        except RoutingError:
            continue
        routed += 1
        seen: set[int] = set()
        for e in path.edges.tolist():
            bits = int(unknown_bits[e]) & _LENGTH_BITS
            if not bits:
                continue
            rev = int(reverse[e])
            piece = e if rev < 0 else min(e, rev)
            bits_of[piece] = bits_of.get(piece, 0) | bits
            seen.add(piece)
        for piece in seen:
            counts[piece] = counts.get(piece, 0) + 1
    length = graph.edge["length_m"]
    ranked = sorted(counts, key=lambda p: (-counts[p], -float(length[p]), p))[:limit]
    out = [
        Priority(
            edge=p,
            trips=counts[p],
            attributes=tuple(n for n, bit in _UNKNOWN_NAMES.items() if bits_of[p] & bit),
            length_m=round(float(length[p]), 1),
            name=graph.edge_name(p),
        )
        for p in ranked
    ]
    return out, routed


def _coordinates(router: Router, e: int) -> list[list[float]]:
    return [[round(float(x), 7), round(float(y), 7)] for x, y in router.graph.edge_coords(e)]


def priority_features(
    router: Router, priorities: list[Priority], profile: str, routed: int
) -> list[dict[str, Any]]:
    """GeoJSON Features (LineStrings) with ``rank``, ``trips``, ``attribute`` and ``length_m``."""
    features = []
    for rank, p in enumerate(priorities, start=1):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _coordinates(router, p.edge)},
                "properties": {
                    "rank": rank,
                    "edge": p.edge,
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


def task_lines(features: list[dict[str, Any]]) -> Iterator[str]:
    """One MapRoulette task per line (line-delimited GeoJSON): each Feature with
    ``properties.task`` (its id) and ``instruction``."""
    for f in features:
        p = f["properties"]
        where = f" ({p['name']})" if p["name"] else ""
        instruction = (
            f"Map {p['attribute'].replace(',', ', ')} of this way{where}: "
            f"{p['trips']} benchmark trips for the {p['profile']} profile pass it and do not "
            "know it. Survey it and tag what you find (e.g. surface=*, width=*, incline=*, "
            "kerb=*/kerb:height=* on the crossing nodes)."
        )
        task = {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": p
            | {
                "task": f"stufenlos-{p['profile']}-{p['edge']}",
                "instruction": instruction,
            },
        }
        yield json.dumps(task, ensure_ascii=False, separators=(",", ":")) + "\n"
