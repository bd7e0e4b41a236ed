"""An independent reading of raw OSM XML: its own reader, its own rules, its own graph.

Nothing here imports project code (no ``accessibility_rules``, ``graphs`` or ``routing``): the
point is to check the router against a second, deliberately small interpretation of the same
file. ``xml.etree.ElementTree.iterparse`` streams the gzip; the rules are short explicit lists.

Three readings of one extract:

- :attr:`TruthOsm.graph` is every walkable OSM segment (an undirected ``networkx.Graph`` on OSM
  node ids, ``length_m`` by haversine). Which ways are walkable follows the German legal default
  for pedestrians, spelled out in :func:`is_walkable_way` (the same *definition* the project
  documents, re-implemented here: a differing network would make every length comparison
  meaningless). Ways are split where the extract lacks a node (no straight bridging).
- :meth:`TruthOsm.hard_barriers` lists what is *known* to stop a wheelchair: ``highway=steps``,
  blocking ``barrier=*`` nodes (:data:`WHEELCHAIR_BLOCKING_BARRIERS`), raised kerbs, and
  ``wheelchair=no`` on a way or node.
- :meth:`TruthOsm.compliant_graph` is the graph with everything removed that *might* break a
  wheelchair limit under any plausible reading (conservative: a path found on it is one that no
  reading of the tags can fault).
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

#: One earth radius for every length here (mean radius, IUGG).
EARTH_RADIUS_M = 6_371_008.8
#: Coordinates are compared as integers of 1e-7 degree (OSM's own precision).
COORD_SCALE = 10_000_000

# ------------------------------------------------------------------------- which ways are walkable

#: Highway values a pedestrian may use (German default: roads without a motorway character).
WALKABLE_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "living_street", "residential", "service", "steps", "track",
     "bridleway", "platform", "elevator", "corridor", "unclassified", "road", "tertiary",
     "tertiary_link", "secondary", "secondary_link", "primary", "primary_link", "crossing"}
)  # fmt: skip
#: Highway values never walkable.
NEVER_HIGHWAYS = frozenset(
    {"motorway", "motorway_link", "construction", "proposed", "abandoned", "razed", "raceway",
     "bus_guideway", "escape", "busway"}
)  # fmt: skip
_FOOT_YES = frozenset({"yes", "designated", "permissive"})
_NO = frozenset({"no", "private"})
_FOOT_OK = frozenset({"yes", "designated", "permissive"})
#: Linear barriers: a path node tagged with one crosses it where no gate is mapped.
WALKER_BLOCKING_BARRIERS = frozenset(
    {"fence", "wall", "city_wall", "retaining_wall", "hedge", "guard_rail", "ditch",
     "cable_barrier", "handrail"}
)  # fmt: skip

# ------------------------------------------------------------------------- what stops a wheelchair

#: ``barrier=*`` values that a wheelchair cannot pass (OSM wiki), unless the node says
#: ``wheelchair=yes|designated|limited``. Short and explicit on purpose.
WHEELCHAIR_BLOCKING_BARRIERS = frozenset(
    {"stile", "turnstile", "kissing_gate", "cycle_barrier", "fence", "wall", "log", "hole",
     "fallen_tree", "debris", "chicane", "full-height_turnstile", "step", "ditch"}
)  # fmt: skip
#: The wheelchair preset's kerb limit (``max_kerb_height_cm``).
WHEELCHAIR_MAX_KERB_CM = 3.0
#: Tags of a node that a walk meets there (a routing graph keeps such nodes as edge ends).
EDGE_END_KEYS = frozenset(
    {"barrier", "kerb", "kerb:height", "highway", "crossing", "railway", "entrance", "door",
     "wheelchair", "access", "foot", "tactile_paving", "traffic_signals:sound"}
)  # fmt: skip
#: The height a ``kerb=raised`` without ``kerb:height`` is taken to have (the project documents
#: it in every coverage report: a German road kerb, DIN 483, is 10–15 cm).
RAISED_KERB_CM = 12.0
#: Barrier values a wheelchair certainly passes (only these stay in the compliant graph).
HARMLESS_BARRIERS = frozenset({"bollard", "entrance"})
_FINE_KERBS = frozenset({"flush", "no", "lowered"})
_FINE_SMOOTHNESS = frozenset({"excellent", "good", "intermediate"})
_WHEELCHAIR_OK = frozenset({"yes", "designated", "limited"})

# ------------------------------------------------------------------------------- road crossings

#: ``crossing=*`` values of a crossing with traffic signals (British kinds included).
SIGNALLED_CROSSINGS = frozenset({"traffic_signals", "pelican", "toucan", "puffin", "pegasus"})
#: ``crossing=*`` values of a crossing known to have no traffic signals.
UNSIGNALLED_CROSSINGS = frozenset({"marked", "uncontrolled", "zebra", "unmarked", "informal"})
#: ``tactile_paving=*`` that certainly guides a long cane, and that certainly does not.
GOOD_TACTILE = frozenset({"yes", "contrasted"})
BAD_TACTILE = frozenset({"no"})
#: ``traffic_signals:sound=*`` that certainly gives a go signal, and that certainly does not.
GOOD_SOUND = frozenset({"yes", "walk_only"})
BAD_SOUND = frozenset({"no"})
#: Highway values of roads: walking along one through a crossing node does not cross the road.
ROAD_HIGHWAYS = frozenset(
    {"residential", "service", "unclassified", "road", "tertiary", "tertiary_link", "secondary",
     "secondary_link", "primary", "primary_link", "living_street", "trunk", "trunk_link"}
)  # fmt: skip
#: The roads whose mouth a walk along a road crosses at a junction (driveways do not count).
JUNCTION_ARM_HIGHWAYS = ROAD_HIGHWAYS - {"service"}


@dataclass(frozen=True, slots=True)
class Limits:
    """A profile's hard limits as this reading understands them: its own short rules.

    ``steps``: ``"any"`` (every flight breaks), ``"count"`` (a flight known to have more than
    ``max_steps`` steps breaks; an untagged count is unknown) or ``"none"``. A node barrier in
    ``blocking_barriers`` breaks (unless ``wheels`` and the node says ``wheelchair=yes``); only
    ``passable_barriers`` certainly do not. ``tactile``: every road crossing needs tactile
    paving; ``sound``: every signalled crossing needs an acoustic go signal.
    """

    name: str
    steps: str = "none"
    max_steps: int = 0
    max_kerb_cm: float | None = None
    fine_kerbs: frozenset[str] = frozenset()
    blocking_barriers: frozenset[str] = frozenset()
    passable_barriers: frozenset[str] = frozenset()
    wheels: bool = False
    wheelchair_no: bool = False
    min_width_m: float | None = None
    max_incline_percent: float | None = None
    fine_smoothness: frozenset[str] | None = None
    tactile: bool = False
    sound: bool = False


#: The wheelchair preset (``wheelchair.toml``): no steps, kerbs ≤ 3 cm, 0.9 m, 6 %.
WHEELCHAIR = Limits(
    "wheelchair", steps="any", max_kerb_cm=WHEELCHAIR_MAX_KERB_CM, fine_kerbs=_FINE_KERBS,
    blocking_barriers=WHEELCHAIR_BLOCKING_BARRIERS, passable_barriers=HARMLESS_BARRIERS,
    wheels=True, wheelchair_no=True, min_width_m=0.9, max_incline_percent=6.0,
    fine_smoothness=_FINE_SMOOTHNESS,
)  # fmt: skip
#: The rollator preset (``rollator.toml``): flights of at most 3 steps, kerbs ≤ 4 cm, 0.8 m,
#: 10 %; the barriers that stop a wheelchair stop a rollator's wheels too.
ROLLATOR = dataclasses.replace(
    WHEELCHAIR, name="rollator", steps="count", max_steps=3, max_kerb_cm=4.0, min_width_m=0.8,
    max_incline_percent=10.0,
)  # fmt: skip
#: The stroller preset (``stroller.toml``): the rollator's steps, kerbs ≤ 8 cm, 0.7 m, no
#: incline limit, smoothness ``bad`` at worst; ``wheelchair=no`` is not its limit.
STROLLER = dataclasses.replace(
    ROLLATOR, name="stroller", max_kerb_cm=8.0, wheelchair_no=False, min_width_m=0.7,
    max_incline_percent=None, fine_smoothness=_FINE_SMOOTHNESS | {"bad"},
)  # fmt: skip
#: The electric wheelchair preset (``electric_wheelchair.toml``): no steps, kerbs ≤ 5 cm, 1.0 m,
#: 10 %, smoothness ``intermediate`` at worst.
ELECTRIC_WHEELCHAIR = dataclasses.replace(
    WHEELCHAIR, name="electric_wheelchair", max_kerb_cm=5.0, min_width_m=1.0,
    max_incline_percent=10.0,
)  # fmt: skip
#: The blind preset with both crossing requirements switched on: a long cane passes steps and
#: kerbs, not a fence, a wall or a hole; every crossing needs tactile paving, every signalled
#: one a sound.
BLIND_STRICT = Limits(
    "blind_strict",
    blocking_barriers=WALKER_BLOCKING_BARRIERS | {"debris", "fallen_tree", "hole"},
    passable_barriers=HARMLESS_BARRIERS, tactile=True, sound=True,
)  # fmt: skip


def is_crossing_way(tags: dict[str, str]) -> bool:
    """A way that crosses a road: ``footway|path|cycleway=crossing`` or ``highway=crossing``."""
    return tags.get("highway") == "crossing" or "crossing" in (
        tags.get("footway"), tags.get("path"), tags.get("cycleway")
    )  # fmt: skip


def _state(value: str | None, good: frozenset[str], bad: frozenset[str]) -> str:
    """``"good"``, ``"bad"``, ``"unknown"`` (untagged) or ``"unclear"`` (another value)."""
    if value is None:
        return "unknown"
    return "good" if value in good else "bad" if value in bad else "unclear"


def is_walkable_way(tags: dict[str, str]) -> bool:
    """Whether a pedestrian may use a way (German legal default, explicit lists above)."""
    highway = tags.get("highway", "")
    if not highway and "platform" in (tags.get("public_transport"), tags.get("railway")):
        highway = "platform"
    if highway in NEVER_HIGHWAYS or not highway:
        return False
    foot = tags.get("foot", "")
    if foot in _NO or (tags.get("access") in _NO and foot not in _FOOT_YES):
        return False
    if tags.get("area") == "yes":
        return False
    crossing_way = highway == "crossing" or "crossing" in (
        tags.get("footway"), tags.get("path"), tags.get("cycleway")
    )  # fmt: skip
    if crossing_way and tags.get("crossing") == "no":
        return False
    if highway == "cycleway":
        return foot in _FOOT_YES
    if highway in ("trunk", "trunk_link"):
        sidewalk = tags.get("sidewalk", "")
        sides = {tags.get(f"sidewalk:{s}", "") for s in ("left", "right", "both")}
        return foot in _FOOT_YES or sidewalk in ("both", "left", "right", "yes") or "yes" in sides
    return highway in WALKABLE_HIGHWAYS


#: The allergenic genera (botanical name → taxon) and German names of them (name part → taxon).
TREE_GENERA = {
    "Tilia": "tilia", "Betula": "betula", "Alnus": "alnus", "Corylus": "corylus",
    "Fraxinus": "fraxinus", "Quercus": "quercus",
}  # fmt: skip
GERMAN_TREES = {
    "linde": "tilia", "birke": "betula", "erle": "alnus", "hasel": "corylus", "esche": "fraxinus",
    "eiche": "quercus",
}  # fmt: skip
#: A tree row stands for one tree this often along its line, and one at its end.
TREE_ROW_SPACING_M = 10.0


def tree_taxon(tags: dict[str, str]) -> str | None:
    """The allergenic taxon a tree's tags name (botanical genus first, then a German name)."""
    for key in ("genus", "genus:la", "species", "taxon"):
        if key in tags:
            word = tags[key].strip().split(" ")[0].capitalize()
            return TREE_GENERA.get(word)
    for key in ("genus:de", "species:de", "taxon:de"):
        name = tags.get(key, "").lower()
        for part, taxon in GERMAN_TREES.items():
            if name.endswith(part) or f"{part} " in name or name.endswith(part + "n"):
                return taxon
    return None


def _along(points: list[tuple[float, float]], spacing_m: float) -> list[tuple[float, float]]:
    """Points every ``spacing_m`` along a line from its start, plus its end."""
    out: list[tuple[float, float]] = []
    walked, due = 0.0, 0.0
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        length = haversine_m(ax, ay, bx, by)
        while length > 0 and due <= walked + length:
            t = (due - walked) / length
            out.append((ax + t * (bx - ax), ay + t * (by - ay)))
            due += spacing_m
        walked += length
    if points and (not out or out[-1] != points[-1]):
        out.append(points[-1])
    return out


def metres_within(
    geometry: list[list[float]], point: tuple[float, float], radius_m: float
) -> float:
    """Metres of a route polyline within ``radius_m`` of ``point`` (each segment cut exactly by
    the circle, in a flat frame at the point)."""
    lon0, lat0 = point
    kx, ky = metres_per_degree(lat0)
    total = 0.0
    for (ax, ay), (bx, by) in itertools.pairwise(geometry):
        x0, y0 = (ax - lon0) * kx, (ay - lat0) * ky
        dx, dy = (bx - ax) * kx, (by - ay) * ky
        a = dx * dx + dy * dy
        if a == 0.0:
            continue
        b, c = 2 * (x0 * dx + y0 * dy), x0 * x0 + y0 * y0 - radius_m * radius_m
        disc = b * b - 4 * a * c
        if disc <= 0.0:
            continue
        t0, t1 = (-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)
        inside = max(0.0, min(1.0, t1) - max(0.0, t0))
        total += inside * math.sqrt(a)
    return total


def is_seat(tags: dict[str, str]) -> bool:
    """A place to sit: ``amenity=bench``, ``leisure=picnic_table``, or a stop or shelter with
    ``bench=yes``."""
    if tags.get("amenity") == "bench" or tags.get("leisure") == "picnic_table":
        return True
    stop = tags.get("highway") == "bus_stop" or tags.get("public_transport") == "platform"
    return (stop or tags.get("amenity") == "shelter") and tags.get("bench") == "yes"


def kerb_height_cm(value: str) -> float | None:
    """``kerb:height`` in cm: ``0.03``/``0.03 m`` (metres), ``3 cm``, ``30 mm``; None if unreadable."""
    m = re.fullmatch(r"\s*([0-9]*[.,]?[0-9]+)\s*(m|cm|mm)?\s*", value)
    if m is None:
        return None
    number = float(m.group(1).replace(",", "."))
    return number * {"m": 100.0, None: 100.0, "cm": 1.0, "mm": 0.1}[m.group(2)]


def _percent(value: str) -> float | None:
    m = re.fullmatch(r"\s*[+-]?\s*([0-9]*[.,]?[0-9]+)\s*%?\s*", value)
    return float(m.group(1).replace(",", ".")) if m else None


def _count(value: str | None) -> int | None:
    """A whole count such as ``step_count=5``; None if absent or unreadable."""
    m = re.fullmatch(r"\s*([0-9]+)\s*", value or "")
    return int(m.group(1)) if m else None


def _crossing_maybe_bad(states: dict[str, str], limits: Limits) -> bool:
    """Whether a crossing's states might break ``limits`` under some reading (unknown is
    penalised by the profiles checked, not forbidden: it stays)."""
    return (limits.tactile and states.get("tactile") in ("bad", "unclear")) or (
        limits.sound and states.get("sound") in ("bad",)
    )


def _metres(value: str) -> float | None:
    m = re.fullmatch(r"\s*([0-9]*[.,]?[0-9]+)\s*(m)?\s*", value)
    return float(m.group(1).replace(",", ".")) if m else None


# ------------------------------------------------------------------------------------ geometry


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at ``lat`` (a local flat frame: exact
    enough within the metres where it matters)."""
    ky = math.pi / 180.0 * EARTH_RADIUS_M
    return math.cos(math.radians(lat)) * ky, ky


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def coord_key(lon: float, lat: float) -> tuple[int, int]:
    """A position as integers of 1e-7 degree (exact for OSM coordinates)."""
    return round(lon * COORD_SCALE), round(lat * COORD_SCALE)


# ------------------------------------------------------------------------------------ the reader


@dataclass(frozen=True, slots=True)
class Hazard:
    """A known hard barrier for a wheelchair on a route, in route metres."""

    kind: str  # steps | barrier | kerb | wheelchair_no | tactile | sound
    start_m: float
    end_m: float  # equals start_m for a node
    osm: str  # "way 123" / "node 456"
    detail: str

    def limits(self) -> frozenset[str]:
        """The project's limit names that may report this hazard."""
        return {
            "steps": frozenset({"steps", "step_count"}),
            "barrier": frozenset({"barrier", "wheelchair_no"}),
            "tactile": frozenset({"tactile_paving"}),
            "sound": frozenset({"acoustic_signal"}),
            "kerb": frozenset({"kerb_height"}),
            "wheelchair_no": frozenset({"wheelchair_no"}),
        }[self.kind]


@dataclass(slots=True)
class TruthOsm:
    """The independent reading of one OSM extract."""

    node_pos: dict[int, tuple[float, float]]  # lon, lat of every node used by a walkable way
    node_tags: dict[int, dict[str, str]]
    way_tags: dict[int, dict[str, str]]
    graph: nx.Graph  # OSM node ids; edge data: length_m, ways (set of way ids)
    missing_node_gaps: list[tuple[int, int, int]] = field(default_factory=list)  # (way, a, b)
    by_pos: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    seats: list[tuple[float, float]] = field(default_factory=list)  # seat nodes (lon, lat)
    #: The nodes of seats drawn as ways or areas (a shelter, a long bench): where they stand.
    seat_way_points: list[tuple[float, float]] = field(default_factory=list)
    #: Allergenic trees by taxon (``tilia`` …): single trees and the trees a tree row stands for.
    trees: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _seg_arrays: tuple[np.ndarray, ...] | None = None
    _nodes_of_way: dict[int, set[int]] | None = None

    # --- facts ------------------------------------------------------------------------------
    def way_hazard(self, way: int, limits: Limits = WHEELCHAIR) -> str | None:
        """Why walking along a way is known to break ``limits``, or None."""
        tags = self.way_tags[way]
        if tags.get("highway") == "steps":
            if limits.steps == "any":
                return "highway=steps"
            count = _count(tags.get("step_count"))
            if limits.steps == "count" and count is not None and count > limits.max_steps:
                return f"step_count={tags['step_count']}"
        if limits.wheelchair_no and tags.get("wheelchair") == "no":
            return "wheelchair=no"
        return None

    def node_hazard(self, node: int, limits: Limits = WHEELCHAIR) -> tuple[str, str] | None:
        """(kind, detail) when passing through a node is known to break ``limits``, else None
        (road crossings apart: :meth:`crossing_states`)."""
        tags = self.node_tags.get(node)
        if not tags:
            return None
        if limits.wheelchair_no and tags.get("wheelchair") == "no":
            return "wheelchair_no", "wheelchair=no"
        barrier = tags.get("barrier", "")
        exempt = limits.wheels and tags.get("wheelchair") in _WHEELCHAIR_OK
        if barrier in limits.blocking_barriers and not exempt:
            return "barrier", f"barrier={barrier}"
        if limits.max_kerb_cm is None:
            return None
        height = kerb_height_cm(tags["kerb:height"]) if "kerb:height" in tags else None
        if height is not None:
            if height > limits.max_kerb_cm:
                return "kerb", f"kerb:height={tags['kerb:height']}"
            return None  # a measured height wins over the kind
        if tags.get("kerb") == "raised" and limits.max_kerb_cm < RAISED_KERB_CM:
            return "kerb", "kerb=raised"
        return None

    def node_unknown(self, node: int, limits: Limits = WHEELCHAIR) -> str | None:
        """What a node certainly leaves unknown for ``limits`` (a kerb of no kind nor height)."""
        tags = self.node_tags.get(node)
        if not tags or limits.max_kerb_cm is None:
            return None
        kerb_keys = ("kerb", "kerb:height", "kerb:left", "kerb:right", "kerb:both", "sloped_curb")
        if tags.get("barrier") == "kerb" and not any(k in tags for k in kerb_keys):
            return "barrier=kerb without kerb=* or kerb:height"
        return None

    def way_unknown(self, way: int, limits: Limits = WHEELCHAIR) -> str | None:
        """What walking a way certainly leaves unknown for ``limits`` (a flight's step count)."""
        tags = self.way_tags[way]
        steps = limits.steps == "count" and tags.get("highway") == "steps"
        if steps and _count(tags.get("step_count")) is None:
            return "highway=steps without step_count"
        return None

    def crossing_states(self, node: int | None = None, way: int | None = None) -> dict[str, str]:
        """``{"tactile": state, "sound": state}`` of a road crossing (a ``highway=crossing`` node,
        or a crossing way read with the crossing nodes on it: a node's known value first, the
        way's otherwise); states of :func:`_state`, ``"n/a"`` for the sound of a crossing known
        to have no signals, ``"unclear"`` where its kind is unknown. Empty: not a crossing."""
        if node is not None:
            tags = self.node_tags.get(node, {})
            if tags.get("highway") != "crossing":
                return {}
            readings = [tags]
        else:
            assert way is not None
            tags = self.way_tags[way]
            if not is_crossing_way(tags):
                return {}
            nodes = self._way_nodes().get(way, set())
            on = [self.node_tags[n] for n in sorted(nodes) if n in self.node_tags]
            readings = [t for t in on if t.get("highway") == "crossing"] + [tags]

        def pick(key: str) -> str | None:
            *node_values, way_value = [t.get(key) for t in readings]
            known = {v for v in node_values if v is not None} if way is not None else set()
            if len(known) > 1:
                return "(nodes differ)"
            if known:
                return known.pop()
            return way_value

        kind = pick("crossing")
        sound = _state(pick("traffic_signals:sound"), GOOD_SOUND, BAD_SOUND)
        if kind in UNSIGNALLED_CROSSINGS:
            sound = "n/a"
        elif kind not in SIGNALLED_CROSSINGS and sound != "good":
            sound = "unclear"
        return {
            "tactile": _state(pick("tactile_paving"), GOOD_TACTILE, BAD_TACTILE),
            "sound": sound,
        }

    def edge_end(self, node: int) -> bool:
        """Whether any routing graph of this extract must end an edge at a node: a junction, a
        way's end, a change of way, or a node tagged with what a walk meets there."""
        if self.graph.degree(node) != 2:
            return True
        ways = {w for nb in self.graph[node] for w in self.graph[node][nb]["ways"]}
        tags = self.node_tags.get(node, {})
        return len(ways) > 1 or any(key in tags for key in EDGE_END_KEYS)

    def road_arms(self, node: int) -> int:
        """The carriageways (roads but service ways) leaving a node: the neighbours it reaches
        along one (a road passing through counts 2, a T-junction 3)."""
        return sum(
            1
            for nb in self.graph[node]
            if any(
                self.way_tags[w].get("highway") in JUNCTION_ARM_HIGHWAYS
                for w in self.graph[node][nb]["ways"]
            )
        )

    def _way_nodes(self) -> dict[int, set[int]]:
        """Way id → its nodes in the walkable graph (made once)."""
        if self._nodes_of_way is None:
            out: dict[int, set[int]] = {}
            for a, b, ways in self.graph.edges(data="ways"):
                for w in ways:
                    out.setdefault(w, set()).update((a, b))
            self._nodes_of_way = out
        return self._nodes_of_way

    def node_maybe_bad(self, node: int, limits: Limits = WHEELCHAIR) -> bool:
        """Whether any plausible reading of a node's tags could break ``limits``."""
        tags = self.node_tags.get(node)
        if not tags:
            return False
        if self.node_hazard(node, limits) is not None:  # wheelchair=no among them
            return True
        barrier = tags.get("barrier")
        if barrier is not None and barrier not in limits.passable_barriers | {"kerb"}:
            return True
        if tags.get("access") in _NO or tags.get("foot") in _NO:
            return True
        if limits.tactile or limits.sound:
            states = self.crossing_states(node=node)
            if "crossing" in tags and not states:
                return True  # a crossing=* without highway=crossing: read either way
            if _crossing_maybe_bad(states, limits):
                return True
        if limits.max_kerb_cm is not None:
            for key in ("kerb", "kerb:left", "kerb:right", "kerb:both"):
                if key in tags and tags[key] not in limits.fine_kerbs:
                    return True
            if "kerb:height" in tags:
                h = kerb_height_cm(tags["kerb:height"])
                if h is None or h > limits.max_kerb_cm:
                    return True
            if "sloped_curb" in tags:
                return True
        if limits.min_width_m is not None:
            for key in ("maxwidth:physical", "maxwidth"):
                if key in tags:
                    w = _metres(tags[key])
                    if w is None or w < limits.min_width_m:
                        return True
        return False

    def way_maybe_bad(self, way: int, limits: Limits = WHEELCHAIR) -> bool:
        """Whether any plausible reading of a way's tags could break ``limits``."""
        tags = self.way_tags[way]
        if self.way_hazard(way, limits) is not None or tags.get("highway") == "elevator":
            return True
        if limits.steps != "none" and tags.get("highway") == "steps":
            count = _count(tags.get("step_count"))
            if (count is None and "step_count" in tags) or (count or 0) > limits.max_steps:
                return True
        if (limits.tactile or limits.sound) and _crossing_maybe_bad(
            self.crossing_states(way=way), limits
        ):
            return True
        fine = limits.fine_smoothness
        if fine is not None and "smoothness" in tags and tags["smoothness"] not in fine:
            return True
        if limits.max_incline_percent is not None:
            for key in ("incline", "incline:across"):
                if key in tags:
                    percent = _percent(tags[key])
                    if percent is None or percent > limits.max_incline_percent:
                        return True
        for key, value in tags.items():
            if limits.min_width_m is not None and (
                key in ("width", "est_width") or (key.startswith("sidewalk") and "width" in key)
            ):
                w = _metres(value)
                if w is None or w < limits.min_width_m:
                    return True
            if limits.max_kerb_cm is not None and "kerb" in key and value not in limits.fine_kerbs:
                return True
        return False

    def node_stops_walkers(self, node: int) -> bool:
        """A node nobody may walk through: a linear barrier crossed without a gap, or one whose
        access tags close it to the public (``access=no/private`` without a ``foot`` yes)."""
        tags = self.node_tags.get(node)
        if not tags or "barrier" not in tags:
            return False
        if tags["barrier"] in WALKER_BLOCKING_BARRIERS:
            return True
        if tags.get("foot") in _NO:
            return True
        return tags.get("access") in _NO and tags.get("foot") not in _FOOT_OK

    def walker_graph(self) -> nx.Graph:
        """The walkable graph without the nodes that stop walkers (:meth:`node_stops_walkers`)."""
        g = self.graph.copy()
        g.remove_nodes_from([n for n in self.graph if self.node_stops_walkers(n)])
        # a point on a segment beside such a node may walk to the segment's other end
        g.graph["segments"] = {frozenset(e) for e in self.graph.edges}
        return g

    def compliant_graph(self, limits: Limits = WHEELCHAIR) -> nx.Graph:
        """The walkable graph without anything that might break ``limits``."""
        bad_nodes = {n for n in self.graph if self.node_maybe_bad(n, limits)}
        keep = [
            (a, b)
            for a, b, ways in self.graph.edges(data="ways")
            if not any(self.way_maybe_bad(w, limits) for w in ways)
        ]
        g = self.graph.edge_subgraph(keep).copy()
        g.remove_nodes_from(bad_nodes)
        # a point on a compliant segment may walk to its good end even when the other is bad
        g.graph["segments"] = {frozenset(e) for e in keep}
        return g

    # --- positions -------------------------------------------------------------------------
    def nodes_at(self, lon: float, lat: float) -> list[int]:
        """The walkable-graph nodes at exactly this position (several may coincide)."""
        return self.by_pos.get(coord_key(lon, lat), [])

    def _segments(self) -> tuple[np.ndarray, ...]:
        if self._seg_arrays is None:
            edges = list(self.graph.edges())
            a = np.array([e[0] for e in edges], dtype=np.int64)
            b = np.array([e[1] for e in edges], dtype=np.int64)
            pos = self.node_pos
            lon0 = np.array([pos[n][0] for n in a])
            lat0 = np.array([pos[n][1] for n in a])
            lon1 = np.array([pos[n][0] for n in b])
            lat1 = np.array([pos[n][1] for n in b])
            self._seg_arrays = (a, b, lon0, lat0, lon1, lat1)
        return self._seg_arrays

    def _distances(self, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
        """Distance in metres from a point to every segment, and the fraction of the foot point
        (a local flat frame: exact enough within the few metres where it matters)."""
        _, _, lon0, lat0, lon1, lat1 = self._segments()
        kx, ky = metres_per_degree(lat)
        x0, y0 = (lon0 - lon) * kx, (lat0 - lat) * ky
        dx, dy = (lon1 - lon0) * kx, (lat1 - lat0) * ky
        seg2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.where(seg2 > 0, -(x0 * dx + y0 * dy) / seg2, 0.0), 0.0, 1.0)
        return np.hypot(x0 + t * dx, y0 + t * dy), t

    def segments_through(
        self, lon: float, lat: float, *, tolerance_m: float = 0.05
    ) -> list[tuple[int, int]]:
        """Segments (a, b) of the walkable graph that pass within ``tolerance_m`` of a point."""
        a, b, *_ = self._segments()
        d, _ = self._distances(lon, lat)
        return [(int(a[i]), int(b[i])) for i in np.flatnonzero(d <= tolerance_m)]


def _elements(path: Path) -> Iterator[ET.Element]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag in ("node", "way"):
                yield elem


def read_truth(path: Path) -> TruthOsm:
    """Read an ``.osm`` / ``.osm.gz`` file into a :class:`TruthOsm`."""
    all_pos: dict[int, tuple[float, float]] = {}
    all_tags: dict[int, dict[str, str]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    seat_refs: list[int] = []
    rows: list[tuple[str, list[int]]] = []
    for elem in _elements(path):
        tags = {t.get("k", ""): t.get("v", "").strip() for t in elem.iter("tag")}
        if elem.tag == "node":
            nid = int(elem.get("id", "0"))
            all_pos[nid] = (float(elem.get("lon", "nan")), float(elem.get("lat", "nan")))
            if tags:
                all_tags[nid] = tags
        else:
            refs = [int(nd.get("ref", "0")) for nd in elem.iter("nd")]
            if is_seat(tags):  # a platform may be both
                seat_refs += refs
            if tags.get("natural") == "tree_row" and (taxon := tree_taxon(tags)) is not None:
                rows.append((taxon, refs))
            if is_walkable_way(tags):
                ways.append((int(elem.get("id", "0")), refs, tags))
        elem.clear()
    graph = nx.Graph()
    gaps: list[tuple[int, int, int]] = []
    way_tags: dict[int, dict[str, str]] = {}
    for way_id, refs, tags in ways:
        way_tags[way_id] = tags
        last_present: int | None = None
        skipped = False
        for a, b in itertools.pairwise(refs):
            if a in all_pos:
                last_present = a
            if b not in all_pos:
                skipped = True
                continue
            if a not in all_pos:
                if skipped and last_present is not None:
                    gaps.append((way_id, last_present, b))
                skipped = False
                continue
            if a == b:
                continue
            if graph.has_edge(a, b):
                graph[a][b]["ways"].add(way_id)
                continue
            (lon0, lat0), (lon1, lat1) = all_pos[a], all_pos[b]
            graph.add_edge(a, b, length_m=haversine_m(lon0, lat0, lon1, lat1), ways={way_id})
    node_pos = {n: all_pos[n] for n in graph}
    by_pos: dict[tuple[int, int], list[int]] = {}
    for n, (lon, lat) in node_pos.items():
        by_pos.setdefault(coord_key(lon, lat), []).append(n)
    return TruthOsm(
        node_pos=node_pos,
        node_tags={n: t for n, t in all_tags.items() if n in graph},
        way_tags=way_tags,
        graph=graph,
        missing_node_gaps=gaps,
        by_pos=by_pos,
        seats=[all_pos[n] for n, t in all_tags.items() if is_seat(t)],
        seat_way_points=[all_pos[n] for n in seat_refs if n in all_pos],
        trees=_trees(all_pos, all_tags, rows),
    )


def _trees(
    pos: dict[int, tuple[float, float]],
    tags: dict[int, dict[str, str]],
    rows: list[tuple[str, list[int]]],
) -> dict[str, list[tuple[float, float]]]:
    """Allergenic trees by taxon: ``natural=tree`` nodes and the trees of tree rows."""
    out: dict[str, list[tuple[float, float]]] = {}
    for n, t in tags.items():
        if t.get("natural") == "tree" and (taxon := tree_taxon(t)) is not None:
            out.setdefault(taxon, []).append(pos[n])
    for taxon, refs in rows:
        line = [pos[n] for n in refs if n in pos]
        out.setdefault(taxon, []).extend(_along(line, TREE_ROW_SPACING_M))
    return out


# ------------------------------------------------------------------------- a route, read back


@dataclass(frozen=True, slots=True)
class RouteReading:
    """A route's geometry mapped onto the independent graph."""

    hazards: list[Hazard]
    unmatched: list[int]  # route segments (index i: point i → i+1) found on no OSM segment
    gaps: list[int]  # segments joining two OSM nodes that no walkable segment joins
    #: What the route certainly meets without knowing it (a kerb of unknown height, a flight of
    #: unknown count, a crossing without tactile paving tags, a road crossed in its carriageway
    #: where no crossing is mapped): a "yes" may not rest on it.
    unknowns: list[Hazard] = field(default_factory=list)


def _ways_between(truth: TruthOsm, p: list[int], q: list[int]) -> set[int]:
    out: set[int] = set()
    for a in p:
        for b in q:
            if truth.graph.has_edge(a, b):
                out |= truth.graph[a][b]["ways"]
    return out


def _way_kind(reason: str) -> str:
    """The hazard kind of a :meth:`TruthOsm.way_hazard` reason."""
    return "wheelchair_no" if reason == "wheelchair=no" else "steps"


def read_route(
    truth: TruthOsm, geometry: list[list[float]], limits: Limits = WHEELCHAIR
) -> RouteReading:
    """Map a route polyline (``[lon, lat]`` pairs) to OSM ways and the hazards of ``limits`` it
    crosses.

    A node hazard counts when the route passes through the node (an interior point: a route that
    ends at a barrier has not crossed it); a way hazard counts for every metre walked on it,
    including partly walked end pieces. Where a segment lies on several OSM ways at once, it is
    a hazard only if all of them are. A crossing node counts when the route comes to it and
    goes on from it on ways that are no roads (walking along a road through it crosses nothing;
    coming along a road and turning onto a footway there, or the reverse, may or may not cross
    the road: not read); a crossing way, or a carriageway beside separate sidewalks, counts when
    the route walks a whole segment of it and goes on from a node where an edge surely ends
    (what a way holds is met at the end of an edge: a walk that stops short has not met it); a
    road junction (3 or more carriageways, service ways not counted) counts when the route comes
    to it along a road and goes on from it (it may cross a side road's mouth there).
    """
    pts = [(float(lon), float(lat)) for lon, lat in geometry]
    ids = [truth.nodes_at(lon, lat) for lon, lat in pts]
    at = [0.0]
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(pts):
        at.append(at[-1] + haversine_m(lon0, lat0, lon1, lat1))
    hazards: list[Hazard] = []
    unknowns: list[Hazard] = []
    unmatched: list[int] = []
    gaps: list[int] = []
    seg_ways: list[set[int]] = []
    crossing_ways: dict[int, tuple[float, float]] = {}  # way → (first, last) metres walked
    run: tuple[str, float, float, int, str] | None = None  # kind, start, end, way, detail
    for i in range(len(pts) - 1):
        same = coord_key(*pts[i]) == coord_key(*pts[i + 1])
        whole = False
        if ids[i] and ids[i + 1]:
            ways = _ways_between(truth, ids[i], ids[i + 1])
            whole = bool(ways)
            if not ways and not same:
                gaps.append(i)
        elif same:
            seg_ways.append(set())
            continue
        else:
            # a partly walked piece: the OSM segments through the piece's midpoint
            mid = ((pts[i][0] + pts[i + 1][0]) / 2, (pts[i][1] + pts[i + 1][1]) / 2)
            near = truth.segments_through(*mid, tolerance_m=0.2)
            ways = set().union(*(truth.graph[a][b]["ways"] for a, b in near)) if near else set()
            if not ways:
                unmatched.append(i)
        seg_ways.append(ways)
        # a way's facts met at the end of the project's edge: the walk goes on from a node
        # where an edge surely ends (a junction, a way's end, a tagged node), not stops short
        goes_on = whole and i + 1 < len(pts) - 1 and any(truth.edge_end(n) for n in ids[i + 1])
        for w in ways:
            if whole and is_crossing_way(truth.way_tags[w]):
                first, last = crossing_ways.get(w, (at[i], -1.0))
                crossing_ways[w] = (first, at[i + 1] if goes_on else last)
        if goes_on and limits.tactile and all(_in_carriageway(truth.way_tags[w]) for w in ways):
            what = "in the carriageway of a road whose sidewalks are ways of their own"
            unknowns.append(Hazard("tactile", at[i], at[i + 1], f"way {min(ways)}", what))
        unknown = [truth.way_unknown(w, limits) for w in ways]
        if ways and all(unknown):
            unknowns.append(Hazard("steps", at[i], at[i + 1], f"way {min(ways)}", str(unknown[0])))
        reasons = [truth.way_hazard(w, limits) for w in ways]
        if ways and all(reasons):
            way = min(ways)
            kind = _way_kind(str(reasons[0]))
            if run is not None and run[0] == kind and run[2] == at[i]:
                run = (kind, run[1], at[i + 1], run[3], run[4])
            else:
                if run is not None:
                    hazards.append(Hazard(run[0], run[1], run[2], f"way {run[3]}", run[4]))
                run = (kind, at[i], at[i + 1], way, str(reasons[0]))
    if run is not None:
        hazards.append(Hazard(run[0], run[1], run[2], f"way {run[3]}", run[4]))
    for i in range(1, len(pts) - 1):
        for n in ids[i]:
            found = truth.node_hazard(n, limits)
            if found is not None:
                hazards.append(Hazard(found[0], at[i], at[i], f"node {n}", found[1]))
                break
        for n in ids[i]:
            unsure = truth.node_unknown(n, limits)
            if unsure is not None:
                unknowns.append(Hazard("kerb", at[i], at[i], f"node {n}", unsure))
                break
        off_road = all(
            any(truth.way_tags[w].get("highway") not in ROAD_HIGHWAYS for w in ways)
            for ways in (seg_ways[i - 1], seg_ways[i])
        )
        if limits.tactile or limits.sound:
            for n in ids[i]:
                states = truth.crossing_states(node=n)
                if states and off_road:
                    _crossing_hazards(states, limits, at[i], at[i], f"node {n}", hazards, unknowns)
            if _along_road(truth, seg_ways[i - 1]) and seg_ways[i]:
                _junction(truth, ids[i], limits, at[i], hazards, unknowns)
    if limits.tactile or limits.sound:
        for w, (first, last) in crossing_ways.items():
            if last < 0.0:
                continue  # stopped on the crossing: never at an end of its edges
            states = truth.crossing_states(way=w)
            _crossing_hazards(states, limits, first, last, f"way {w}", hazards, unknowns)
    hazards.sort(key=lambda h: h.start_m)
    return RouteReading(hazards=hazards, unmatched=unmatched, gaps=gaps, unknowns=unknowns)


def _along_road(truth: TruthOsm, ways: set[int]) -> bool:
    """Whether a walk on a segment of ``ways`` is a walk along a road (its sidewalks not mapped
    as ways of their own: walked in the carriageway, the road is crossed anyway)."""
    return bool(ways) and all(
        truth.way_tags[w].get("highway") in ROAD_HIGHWAYS and not _in_carriageway(truth.way_tags[w])
        for w in ways
    )


def _junction(
    truth: TruthOsm,
    nodes: list[int],
    limits: Limits,
    at_m: float,
    hazards: list[Hazard],
    unknowns: list[Hazard],
) -> None:
    """A walk along a road that goes on through a road junction (3 or more carriageways)
    crosses a side road's mouth unless it keeps to the other side: the crossing mapped on the
    junction node, or one whose paving and signals nobody mapped."""
    for n in nodes:
        if truth.road_arms(n) < 3:
            continue
        states = truth.crossing_states(node=n)
        if states:
            _crossing_hazards(states, limits, at_m, at_m, f"node {n}", hazards, unknowns)
        else:
            what = "a road junction passed along a road, no crossing mapped"
            kind = "tactile" if limits.tactile else "sound"
            unknowns.append(Hazard(kind, at_m, at_m, f"node {n}", what))
        return


def _in_carriageway(tags: dict[str, str]) -> bool:
    """Whether walking along a way is walking in a road's carriageway beside sidewalks mapped as
    ways of their own (``sidewalk=separate`` or ``sidewalk:both=separate``, no side present):
    such a walk crosses the road, or walks in it, where no crossing is mapped."""
    if tags.get("highway") not in ROAD_HIGHWAYS:
        return False
    sides = {tags.get(f"sidewalk:{side}") for side in ("left", "right")}
    general = tags.get("sidewalk:both") or tags.get("sidewalk")
    return general == "separate" and not sides & {"yes", "both"}


def _crossing_hazards(
    states: dict[str, str],
    limits: Limits,
    start_m: float,
    end_m: float,
    osm: str,
    hazards: list[Hazard],
    unknowns: list[Hazard],
) -> None:
    """The hazards and unknowns of one crossing met, by ``limits``, appended."""
    for kind, asked in (("tactile", limits.tactile), ("sound", limits.sound)):
        if not asked:
            continue
        state = states.get(kind)
        detail = f"{kind} {state}"
        if state == "bad":
            hazards.append(Hazard(kind, start_m, end_m, osm, detail))
        elif state == "unknown":
            unknowns.append(Hazard(kind, start_m, end_m, osm, detail))


def foot_on_route(geometry: list[list[float]], point: tuple[float, float]) -> tuple[float, float]:
    """(distance in metres from ``point`` to a route polyline, route metres of its nearest
    point), in a flat frame at the point (exact enough within the metres that matter)."""
    lon0, lat0 = point
    kx, ky = metres_per_degree(lat0)
    best, best_at, walked = math.inf, 0.0, 0.0
    for (ax, ay), (bx, by) in itertools.pairwise(geometry):
        x0, y0 = (ax - lon0) * kx, (ay - lat0) * ky
        dx, dy = (bx - ax) * kx, (by - ay) * ky
        seg2 = dx * dx + dy * dy
        t = 0.0 if seg2 == 0.0 else min(1.0, max(0.0, -(x0 * dx + y0 * dy) / seg2))
        d = math.hypot(x0 + t * dx, y0 + t * dy)
        length = haversine_m(ax, ay, bx, by)
        if d < best:
            best, best_at = d, walked + t * length
        walked += length
    return best, best_at


def point_at(geometry: list[list[float]], at_m: float) -> tuple[float, float]:
    """The point of a route polyline ``at_m`` metres from its start (its end beyond)."""
    walked = 0.0
    for (ax, ay), (bx, by) in itertools.pairwise(geometry):
        length = haversine_m(ax, ay, bx, by)
        if walked + length >= at_m and length > 0.0:
            t = (at_m - walked) / length
            return ax + t * (bx - ax), ay + t * (by - ay)
        walked += length
    lon, lat = geometry[-1]
    return float(lon), float(lat)


def _segment_ok(graph: nx.Graph, a: int, b: int) -> bool:
    """Whether the segment a–b may be walked on ``graph`` (its ends aside)."""
    segments = graph.graph.get("segments")
    return graph.has_edge(a, b) if segments is None else frozenset((a, b)) in segments


def _toward(truth: TruthOsm, pts: list[tuple[float, float]]) -> tuple[float, float]:
    """The first point of ``pts`` at another position than ``pts[0]`` (else ``pts[0]``)."""
    here = coord_key(*pts[0])
    return next((p for p in pts[1:] if coord_key(*p) != here), pts[0])


def _end_segments(
    truth: TruthOsm, point: tuple[float, float], toward: tuple[float, float]
) -> list[tuple[int, int]]:
    """The OSM segments a route's end piece lies on: through ``point`` and on to ``toward``.

    Two ways may cross without a shared node (a bridge): only the one the route walks counts.
    """
    return [
        (a, b)
        for a, b in truth.segments_through(*point)
        if toward == point
        or (a, b) in truth.segments_through(*toward, tolerance_m=0.2)
        or (b, a) in truth.segments_through(*toward, tolerance_m=0.2)
    ]


def end_pieces(
    truth: TruthOsm, graph: nx.Graph, point: tuple[float, float], toward: tuple[float, float]
) -> list[tuple[int, float]]:
    """How a route's end ``point`` reaches ``graph`` (a subgraph of ``truth.graph``).

    (node, metres) pairs: the point itself when it is a node of ``graph``; else both ends of
    the segment the route's end piece walks (toward ``toward``), with the straight distance.
    """
    here = truth.nodes_at(*point)
    if here:
        return [(n, 0.0) for n in here if n in graph]
    out: dict[int, float] = {}
    for a, b in _end_segments(truth, point, toward):
        if not _segment_ok(graph, a, b):
            continue
        for n in (a, b):
            if n in graph:
                nlon, nlat = truth.node_pos[n]
                out[n] = min(out.get(n, math.inf), haversine_m(*point, nlon, nlat))
    return sorted(out.items())


def shortest_between(truth: TruthOsm, graph: nx.Graph, geometry: list[list[float]]) -> float:
    """Shortest walk in metres on ``graph`` between the two ends of a route polyline.

    Each end reaches the graph by its partly walked piece (:func:`end_pieces`), carried by a
    virtual source and target, so the result compares with the route's whole ``distance_m``;
    two ends on one segment may also walk straight along it. ``inf`` when no path exists.
    """
    pts = [(float(x), float(y)) for x, y in geometry]
    source, target = pts[0], pts[-1]
    start = end_pieces(truth, graph, source, _toward(truth, pts))
    end = end_pieces(truth, graph, target, _toward(truth, pts[::-1]))
    best = math.inf
    shared = {frozenset(s) for s in _end_segments(truth, source, _toward(truth, pts))} & {
        frozenset(s) for s in _end_segments(truth, target, _toward(truth, pts[::-1]))
    }
    if coord_key(*source) == coord_key(*target) or any(
        _segment_ok(graph, *s) for s in shared if len(s) == 2
    ):
        best = haversine_m(*source, *target)
    if not start or not end:
        return best
    src, dst = ("truth-source",), ("truth-target",)
    graph.add_weighted_edges_from(((src, n, d) for n, d in start), weight="length_m")
    graph.add_weighted_edges_from(((n, dst, d) for n, d in end), weight="length_m")
    try:
        length, _ = nx.bidirectional_dijkstra(graph, src, dst, weight="length_m")
        best = min(best, float(length))
    except nx.NetworkXNoPath:
        pass
    finally:
        graph.remove_nodes_from([src, dst])
    return best
