"""A route report's data: the table it reads, the pieces of a walk, what it lists and the
names it gives codes; shared by the report (:mod:`routing.report`) and its verdict
(:mod:`routing.verdict`).

:class:`ReportTable` stacks every attribute a report reads into one table, so a route gathers
them in one indexing step; :class:`Pieces` are a walk's pieces as a report reads them (rows,
metres, places). The thresholds a report lists a part at even when the profile accepts it (a
steep part from :data:`STEEP_REPORT_PERCENT`, a narrow passage below :data:`NARROW_REPORT_M`,
the poor surfaces and smoothness), which surfaces, smoothness and crossings a profile's report
lists (:func:`reported_surfaces`, :func:`reported_smoothness`, :func:`reported_crossings`), and
the lower-case names of the attributes' enum codes (:func:`code_name`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    Smoothness,
    SurfaceClass,
    Tri,
)
from accessibility_rules.profile import Profile
from accessibility_rules.weights import cares_about_paving, cares_about_signals
from routing._kernels.pieces import BARRIER_COLUMNS, PIECE_COLUMNS, SEGMENT_COLUMNS
from routing._kernels.verdict import VERDICT_COLUMNS
from routing.rounding import round_float
from routing.route import Place

__all__ = [
    "ACOUSTIC_NAMES",
    "BARRIER_NAMES",
    "CROSSING_NAMES",
    "HIGHWAY_NAMES",
    "INCLINE_SOURCE_NAMES",
    "NARROW_REPORT_M",
    "POOR_SMOOTHNESS",
    "POOR_SURFACES",
    "REPORT_EDGE_COLUMNS",
    "REPORT_EFFECTIVE_COLUMNS",
    "SMOOTHNESS_NAMES",
    "STEEP_REPORT_PERCENT",
    "SURFACE_NAMES",
    "TRI_NAMES",
    "Pieces",
    "ReportTable",
    "code_name",
    "reported_crossings",
    "reported_smoothness",
    "reported_surfaces",
]

#: Surfaces reported as poor underfoot/for wheels even when the profile accepts them.
POOR_SURFACES = frozenset(
    {
        SurfaceClass.SETT, SurfaceClass.COBBLESTONE, SurfaceClass.FINE_GRAVEL, SurfaceClass.GRAVEL,
        SurfaceClass.GROUND, SurfaceClass.GRASS, SurfaceClass.GRASS_PAVER, SurfaceClass.UNPAVED,
    }
)  # fmt: skip
#: Smoothness from this grade on is reported as uneven (with the surface it is on) even when the
#: profile accepts it: OSM's ``bad`` is "robust wheels needed" (a rollator, a pushchair jolts).
POOR_SMOOTHNESS = Smoothness.BAD
#: Inclines at or above this are reported as steep parts (DIN 18040: 6 % needs landings).
STEEP_REPORT_PERCENT = 6.0
#: Passages narrower than this are reported (DIN 18040: 1.20 m on straight runs).
NARROW_REPORT_M = 1.2


#: Edge attributes a route report reads, stacked in one table so a route gathers them at once.
REPORT_EDGE_COLUMNS = (
    "length_m", "incline_percent", "incline_source", "is_steps", "step_count", "handrail",
    "ramp_wheelchair", "surface", "name_id", "is_sidewalk", "highway", "smoothness", "lit",
)  # fmt: skip
REPORT_EFFECTIVE_COLUMNS = (
    "passage_width_m", "crossing", "acoustic_signal", "vibration_signal", "tactile_paving",
    "is_elevator", "kerb_count", "kerb_height_cm", "barrier", "crossing_share", "kerb_unknown_count",
    "crossing_at_head", "crossing_island",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportTable:
    """Every attribute a route report needs, as one ``m × C`` float64 table (one gather)."""

    rows: np.ndarray
    index: dict[str, int]
    #: Positions of :data:`routing._kernels.pieces.PIECE_COLUMNS` in ``rows`` (the kernel's
    #: columns).
    piece_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))

    #: Positions of :data:`routing._kernels.pieces.SEGMENT_COLUMNS` in ``rows``.
    segment_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    #: Positions of :data:`routing._kernels.verdict.VERDICT_COLUMNS` in ``rows``.
    verdict_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    #: Positions of :data:`routing._kernels.pieces.BARRIER_COLUMNS` in ``rows``.
    barrier_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        cols = np.array([self.index[n] for n in PIECE_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "piece_columns", cols)
        cols = np.array([self.index[n] for n in VERDICT_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "verdict_columns", cols)
        cols = np.array([self.index[n] for n in SEGMENT_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "segment_columns", cols)
        cols = np.array([self.index[n] for n in BARRIER_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "barrier_columns", cols)

    @classmethod
    def build(cls, edge: Mapping[str, np.ndarray], eff: Any) -> ReportTable:
        """Stack the raw and effective per-edge columns (rebuilt whenever obstacles change)."""
        columns = [edge[n] for n in REPORT_EDGE_COLUMNS]
        # arrays built by hand may lack crossing_at_head (every crossing along its edge then)
        # and crossing_island (not known anywhere)
        missing = {"crossing_at_head": False, "crossing_island": int(Tri.UNKNOWN)}
        m = len(eff.crossing)
        columns += [
            np.full(m, missing[n]) if (col := getattr(eff, n)) is None else col
            for n in REPORT_EFFECTIVE_COLUMNS
        ]
        rows = np.column_stack([np.asarray(col, dtype=np.float64) for col in columns])
        names = REPORT_EDGE_COLUMNS + REPORT_EFFECTIVE_COLUMNS
        return cls(np.ascontiguousarray(rows), {n: i for i, n in enumerate(names)})

    def columns(self) -> dict[str, np.ndarray]:
        """Every column for all edges (views, no copy)."""
        return {name: self.rows[:, i] for name, i in self.index.items()}

    def gather(self, edges: np.ndarray) -> Mapping[str, np.ndarray]:
        """The columns for ``edges`` (views into one gathered block)."""
        return self.split(self.rows[edges])

    def split(self, block: np.ndarray) -> Mapping[str, np.ndarray]:
        """The columns of ``block``, rows gathered from :attr:`rows` (each a view made when
        read: a report reads a few of them)."""
        return _Columns(block, self.index)


class _Columns(Mapping[str, np.ndarray]):
    """The named columns of a block of report table rows, as views made on access."""

    __slots__ = ("_block", "_index")

    def __init__(self, block: np.ndarray, index: dict[str, int]) -> None:
        self._block = block
        self._index = index

    def __getitem__(self, name: str) -> np.ndarray:
        return self._block[:, self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class Pieces(NamedTuple):
    """A route's pieces as plain lists (what the report reads piece by piece): the
    :func:`~routing._kernels.pieces.report_piece_flags` bits, where each piece starts and the metres
    walked on it, the polyline and each piece's first and last point in it."""

    flags: list[int]
    at_m: list[float]
    length_m: list[float]
    geometry: list[list[float]]
    first_pt: list[int]
    last_pt: list[int]

    def place(self, i: int, at_head: bool) -> Place:
        """Where piece ``i`` starts, or its head."""
        if at_head:
            lon, lat = self.geometry[self.last_pt[i]]
            return _new_place((round_float(self.at_m[i] + self.length_m[i]), lon, lat))
        lon, lat = self.geometry[self.first_pt[i]]
        return _new_place((round_float(self.at_m[i]), lon, lat))


def reported_surfaces(avoid_surfaces: Any) -> np.ndarray:
    """Surface codes reported as poor (indexed by code + 1: UNKNOWN is -1): :data:`POOR_SURFACES`
    and those the profile avoids."""
    return _reported_surface_table(tuple(sorted(avoid_surfaces)))


@functools.lru_cache(maxsize=16)
def reported_smoothness(worst: str | None) -> np.ndarray:
    """Smoothness codes reported as uneven (indexed by code + 1: UNKNOWN is -1): from
    :data:`POOR_SMOOTHNESS` on, and every grade worse than the profile's ``worst_smoothness``
    (a limit the route breaks there is said where it is, not only in the verdict)."""
    table = np.zeros(len(Smoothness) + 1, dtype=bool)
    first = int(POOR_SMOOTHNESS)
    if worst is not None:
        first = min(first, int(Smoothness[worst.upper()]) + 1)
    table[first + 1 :] = True
    table.flags.writeable = False  # shared by every report of such profiles
    return table


def reported_crossings(profile: Profile) -> np.ndarray:
    """Crossing kinds a route report lists (indexed by code + 1: UNKNOWN is -1): every crossing
    but the road junctions a walk along a road goes through, which are listed (and so said in
    the steps) for a profile that asks what a crossing has: signals with sound or tactile
    paving required or their absence priced, the rule its weights follow
    (:func:`~accessibility_rules.weights.cares_about_signals`, ``cares_about_paving``: the
    blind and low-vision presets; PRODUCT.md 7: blind users need crossings announced). For
    everyone else they would be a step every 50 m on streets without mapped sidewalks, about
    crossings whose facts they do not weigh; their time and price stay in the route either
    way (measured 2026-12-05: listed for every preset but walk, dog walk and allergy, a served
    answer cost 1.44× the server's CPU at concurrency 8, wheelchair and walk trips)."""
    return _REPORTED_CROSSINGS[cares_about_signals(profile) or cares_about_paving(profile)]


def _crossing_table(junctions: bool) -> np.ndarray:
    table = np.ones(max(int(k) for k in CrossingKind) + 2, dtype=bool)
    table[int(CrossingKind.NONE) + 1] = False
    table[int(CrossingKind.JUNCTION) + 1] = junctions
    table.flags.writeable = False  # shared by every report
    return table


#: :func:`reported_crossings` without and with the road junctions.
_REPORTED_CROSSINGS = (_crossing_table(False), _crossing_table(True))


@functools.lru_cache(maxsize=256)
def _reported_surface_table(avoid_surfaces: tuple[str, ...]) -> np.ndarray:
    avoided = [int(SurfaceClass[x.upper()]) for x in avoid_surfaces]
    table = np.zeros(len(SurfaceClass) + 1, dtype=bool)
    table[[int(x) + 1 for x in POOR_SURFACES] + [x + 1 for x in avoided]] = True
    table.flags.writeable = False  # shared by every report of such profiles
    return table


_new_place = functools.partial(tuple.__new__, Place)


def _enum_table(enum: type[IntEnum]) -> dict[int, str]:
    """Lower-case names of ``enum``'s members by code."""
    return {int(m): (m.name or "").lower() for m in enum}


INCLINE_SOURCE_NAMES = _enum_table(InclineSource)
TRI_NAMES = _enum_table(Tri)
SURFACE_NAMES = _enum_table(SurfaceClass)
CROSSING_NAMES = _enum_table(CrossingKind)
ACOUSTIC_NAMES = _enum_table(AcousticSignal)
BARRIER_NAMES = _enum_table(BarrierKind)
HIGHWAY_NAMES = _enum_table(HighwayClass)
SMOOTHNESS_NAMES = _enum_table(Smoothness)


def code_name(names: dict[int, str], code: float) -> str:
    """The name of enum code ``code`` (a float from the report table); "unknown" for a code
    the enum does not have."""
    return names.get(int(code), "unknown")
