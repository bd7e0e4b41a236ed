"""The vocabulary of accessibility attributes shared by the graph build, the profiles and the API.

Every attribute has an explicit *unknown* state: OSM tags have no defaults, and an absent tag must
never read as "accessible". Categorical attributes are small integer enums (stored as ``int8``
arrays in the compiled graph) whose unknown member is always :data:`UNKNOWN` (``-1``); numeric
attributes are floats whose unit is in their name and whose unknown state is ``NaN`` (integer
counts such as ``step_count`` use ``-1`` too). :func:`is_unknown` tests either.

Signs: ``incline_percent`` is signed along the *edge direction* (positive = uphill when walking
from the edge's tail to its head).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import overload

import numpy as np

#: Attribution required by the ODbL for every service or export built from OSM data.
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
OSM_LICENCE_URL = "https://www.openstreetmap.org/copyright"

#: The one code of *unknown* in every categorical attribute (and in integer counts).
UNKNOWN = -1


@overload
def is_unknown(value: np.ndarray) -> np.ndarray: ...
@overload
def is_unknown(value: float | int) -> bool: ...
def is_unknown(value: np.ndarray | float | int) -> np.ndarray | bool:
    """Whether a value (or each value of an array) is the unknown state.

    Floats: ``NaN``; integers and enum codes: :data:`UNKNOWN`; booleans are always known.
    """
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        result = np.isnan(arr)
    elif arr.dtype.kind in "iu":
        result = arr == UNKNOWN
    else:
        result = np.zeros(arr.shape, dtype=bool)
    return result if arr.ndim else bool(result)


class Tri(IntEnum):
    """A yes/no fact that may be unknown (``lit``, ``handrail``, ``tactile_paving`` …)."""

    UNKNOWN = -1
    NO = 0
    YES = 1


class HighwayClass(IntEnum):
    """What kind of way an edge comes from (OSM ``highway=*``, grouped for pedestrians)."""

    OTHER = 0
    FOOTWAY = 1
    PATH = 2
    PEDESTRIAN = 3
    LIVING_STREET = 4
    RESIDENTIAL = 5
    SERVICE = 6
    STEPS = 7
    CYCLEWAY = 8
    TRACK = 9
    BRIDLEWAY = 10
    PLATFORM = 11
    ELEVATOR = 12
    CORRIDOR = 13
    UNCLASSIFIED = 14
    TERTIARY = 15
    SECONDARY = 16
    PRIMARY = 17
    TRUNK = 18
    ROAD = 19


#: Roads: a pedestrian on them walks on a sidewalk or the carriageway (used for the carriageway
#: penalty, for lending street names to sidewalks and for the sidewalk coverage).
ROAD_CLASSES: frozenset[HighwayClass] = frozenset(
    {
        HighwayClass.RESIDENTIAL,
        HighwayClass.SERVICE,
        HighwayClass.LIVING_STREET,
        HighwayClass.UNCLASSIFIED,
        HighwayClass.TERTIARY,
        HighwayClass.SECONDARY,
        HighwayClass.PRIMARY,
        HighwayClass.TRUNK,
        HighwayClass.ROAD,
    }
)
#: Per highway code, whether it is one of :data:`ROAD_CLASSES` (the table :func:`is_road_class` reads).
_IS_ROAD = np.zeros(max(int(c) for c in HighwayClass) + 1, dtype=bool)
_IS_ROAD[[int(c) for c in ROAD_CLASSES]] = True


def is_road_class(highway: np.ndarray) -> np.ndarray:
    """Per highway code of ``highway`` (an integer array), whether it is a road
    (:data:`ROAD_CLASSES`); an unknown or out-of-range code is not. One table lookup per
    element: a staff write recomputes a few edges, where a set test cost more than its rows."""
    highway = np.asarray(highway)
    if highway.dtype.kind not in "iu":  # codes held as floats (an empty list, a hand-made table)
        return np.isin(highway, np.flatnonzero(_IS_ROAD))
    known = (highway >= 0) & (highway < _IS_ROAD.size)
    out = np.zeros(highway.shape, dtype=bool)
    out[known] = _IS_ROAD[highway[known]]
    return out


class SurfaceClass(IntEnum):
    """Surface material (OSM ``surface=*``) grouped by what it means for wheels and canes."""

    UNKNOWN = -1
    ASPHALT = 0
    CONCRETE = 1
    PAVING_STONES = 2
    PAVED = 3  # generic "paved"
    SETT = 4
    COBBLESTONE = 5  # incl. unhewn_cobblestone
    COMPACTED = 6
    FINE_GRAVEL = 7
    GRAVEL = 8  # incl. pebblestone
    GROUND = 9  # dirt, earth, ground, mud, sand
    GRASS = 10
    GRASS_PAVER = 11
    WOOD = 12
    METAL = 13
    UNPAVED = 14  # generic "unpaved"
    OTHER = 15


class Smoothness(IntEnum):
    """OSM ``smoothness=*`` as an ordinal scale: larger is worse."""

    UNKNOWN = -1
    EXCELLENT = 0
    GOOD = 1
    INTERMEDIATE = 2
    BAD = 3
    VERY_BAD = 4
    HORRIBLE = 5
    VERY_HORRIBLE = 6
    IMPASSABLE = 7


class Wheelchair(IntEnum):
    """OSM ``wheelchair=*`` on a way or node."""

    UNKNOWN = -1
    NO = 0
    LIMITED = 1
    YES = 2
    DESIGNATED = 3


class Sidewalk(IntEnum):
    """Whether a road has a sidewalk (``sidewalk=*`` and ``sidewalk:<side>=*``)."""

    UNKNOWN = -1
    NONE = 0  # sidewalk=no / none
    PRESENT = 1  # sidewalk=both/left/right/yes
    SEPARATE = 2  # mapped as its own way: do not walk on the carriageway
    NOT_APPLICABLE = 3  # the way itself is pedestrian infrastructure (footway, path, steps …)


class CrossingKind(IntEnum):
    """Kind of a road crossing (``crossing=*`` on a node or on a ``footway=crossing`` way)."""

    UNKNOWN = -1  # a crossing whose kind is not tagged
    NONE = 0  # not a crossing
    TRAFFIC_SIGNALS = 2
    MARKED = 3  # marked / zebra / uncontrolled
    UNMARKED = 4
    INFORMAL = 5
    #: Not a tag value: a side road's mouth at a road junction that a walk along a road goes on
    #: past (crossed unless the walk keeps to the other side), no crossing mapped there
    #: (:mod:`accessibility_rules.effective`).
    JUNCTION = 6


class AcousticSignal(IntEnum):
    """``traffic_signals:sound=*``: ``locate`` is only a locator tone, not a go signal."""

    UNKNOWN = -1
    NO = 0
    YES = 1
    LOCATE = 2


class KerbKind(IntEnum):
    """A kerb at a node or on a crossing way (``barrier=kerb``, ``kerb=*``, ``sloped_curb``)."""

    UNKNOWN = -1  # a kerb is there (or expected, e.g. an untagged crossing) but its kind is not
    NONE = 0  # no kerb mapped here
    RAISED = 2
    LOWERED = 3
    ROLLED = 4
    FLUSH = 5  # kerb=flush and kerb=no


#: Heights assumed when only ``kerb=*`` is known (stated in every coverage report).
#: raised: a typical German road kerb (DIN 483 "Hochbord" is 10–15 cm above the road), so 12 cm;
#: lowered: the German 3 cm compromise; rolled: the middle of 3–5 cm; flush and no: 0 cm.
ASSUMED_KERB_HEIGHT_CM: dict[KerbKind, float] = {
    KerbKind.RAISED: 12.0,
    KerbKind.LOWERED: 3.0,
    KerbKind.ROLLED: 4.0,
    KerbKind.FLUSH: 0.0,
}


class KerbHeightSource(IntEnum):
    """Where a kerb height comes from."""

    UNKNOWN = -1
    TAG = 1  # kerb:height
    DERIVED = 2  # from kerb=* with ASSUMED_KERB_HEIGHT_CM


class InclineSource(IntEnum):
    """Where an edge's ``incline_percent`` comes from."""

    UNKNOWN = -1  # no incline known
    TAG = 1  # incline=6% / -10 % / 5°
    DEM = 2  # sampled from an elevation model (smoothed)
    TAG_DIRECTION_ONLY = 3  # incline=up/down: direction known, steepness not


class Seat(IntEnum):
    """A place to sit at a node (``amenity=bench``, ``leisure=picnic_table``, a stop with
    ``bench=yes``), and whether it has a backrest (``backrest=yes|no``)."""

    UNKNOWN = -1  # a seat is there, whether it has a backrest is not tagged
    NONE = 0  # no seat mapped here
    NO_BACKREST = 1
    BACKREST = 2


class BarrierKind(IntEnum):
    """``barrier=*`` on a node: one member per row of ``accessibility_rules/barriers.csv``.

    The member's name is the OSM value upper-cased with ``-`` as ``_``
    (``full-height_turnstile`` → FULL_HEIGHT_TURNSTILE); who can pass it is data, in that table
    (:mod:`accessibility_rules.barriers`), never code. Kerbs are described by KerbKind instead.
    """

    NONE = 0  # no barrier (also barrier=no; barrier=kerb is read as KerbKind)
    UNKNOWN = -1  # barrier=yes, or a value not in the table: passability unknown
    BOLLARD = 1
    GATE = 2
    LIFT_GATE = 3
    SWING_GATE = 4
    STILE = 5
    TURNSTILE = 6
    KISSING_GATE = 7
    CYCLE_BARRIER = 8
    BLOCK = 9
    CHAIN = 10
    ENTRANCE = 11
    SLIDING_GATE = 12
    FULL_HEIGHT_TURNSTILE = 13
    BORDER_CONTROL = 14
    BUMP_GATE = 15
    BUS_TRAP = 16
    CATTLE_GRID = 17
    DEBRIS = 18
    HAMPSHIRE_GATE = 19
    HEIGHT_RESTRICTOR = 20
    HORSE_STILE = 21
    JERSEY_BARRIER = 22
    LOG = 23
    MOTORCYCLE_BARRIER = 24
    ROPE = 25
    SALLY_PORT = 26
    SPIKES = 27
    SUMP_BUSTER = 28
    TOLL_BOOTH = 29
    WICKET_GATE = 30
    SLIDING_BEAM = 31
    PLANTER = 32
    TANK_TRAP = 33
    COUPURE = 34
    CABLE_BARRIER = 35
    CITY_WALL = 36
    DITCH = 37
    FENCE = 38
    GUARD_RAIL = 39
    HANDRAIL = 40
    HEDGE = 41
    RETAINING_WALL = 42
    WALL = 43
    CHICANE = 44
    FALLEN_TREE = 45
    HOLE = 46
    ROCK = 47
    STONE = 48
    COLLISION_PROTECTION = 49
    OVERGROWTH = 50
    SHRUB = 51
    DOOR = 52


class Mobility(StrEnum):
    """How a person moves: which column of the barrier passability table applies to them."""

    FOOT = "foot"  # walking without restrictions
    WHEELCHAIR = "wheelchair"  # manual or electric wheelchair
    WHEELED = "wheeled"  # rollator, walker or stroller
    BLIND = "blind"  # walking with a long cane (or otherwise without sight of the way)
