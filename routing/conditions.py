"""What a route meets of the day's conditions: pollen per avoided taxon, green, light.

Plain functions over the route's directed edges (``Route.edges``) and the graph's edge columns,
for the route report (``pollen``, ``green_share``, ``lit``) and its instructions ("Birken auf den
nächsten 200 m (Hauptblütezeit)", "Park-Abschnitt 400 m", "unbeleuchtet auf 150 m").
``walked_m`` gives the metres walked on each edge (the first and last are usually partial); by
default every edge is walked whole. Counts on a partial edge are prorated by the walked share.

Unknown stays unknown: a column the graph lacks (built before it existed), a tree of unknown
genus, an untagged ``lit`` are reported as unknown metres or counts, never as "none" or "fine".
Trees are counted per edge (within the build's distance, 20 m), so a tree near a junction can be
counted on both edges it stands beside: ``trees`` is an upper bound of distinct trees.

Green and light are one kernel pass over the route (:func:`routing._kernels.facts.green_light_sums`,
both at once for the route report: :func:`green_and_light_facts`); its sums are numpy's to the
bit, so the figures are those of the masked numpy sums it replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import Conditions
from accessibility_rules.pollen import TREE_TAXA, seasons
from routing._kernels import facts as facts_kernels

__all__ = [
    "GreenFacts", "LightFacts", "ParkPassage", "PollenExposure", "PollenStretch",
    "green_and_light_facts", "green_facts", "light_facts", "pollen_exposure",
]  # fmt: skip

Season = Literal["main", "side", "none"]


def _walked(
    edge: Mapping[str, np.ndarray], edges: np.ndarray, walked_m: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each edge's length and the metres walked on it (all of it unless ``walked_m``)."""
    length = np.asarray(edge["length_m"], dtype=np.float64)[edges]
    if walked_m is None:
        return length, length.copy()
    walked = np.asarray(walked_m, dtype=np.float64)
    if walked.shape != length.shape:
        raise ValueError(f"walked_m has {walked.size} values for {length.size} edges")
    return length, walked


def _column(edge: Mapping[str, np.ndarray], name: str, edges: np.ndarray) -> np.ndarray:
    """The column's values on ``edges`` as float64; NaN (unknown) when the graph lacks it."""
    value = edge.get(name)
    if value is None:
        return np.full(len(edges), np.nan)
    return np.asarray(value, dtype=np.float64)[edges]


@dataclass(frozen=True, slots=True)
class PollenStretch:
    """A run of consecutive route edges beside trees of one genus (metres from the start)."""

    start_m: float
    end_m: float
    trees: float
    trees_per_100m: float


@dataclass(frozen=True, slots=True)
class PollenExposure:
    """One avoided taxon on one route.

    ``trees`` (tree genera: trees of the genus beside the route, prorated on partial edges) and
    ``trees_per_km``; ``grass_m`` (grasses: metres beside grass); ``unknown_m``: metres where the
    exposure is not known (trees of unknown genus, a column not built, herbs never mapped);
    ``stretches``: the runs of highest exposure, densest first.
    """

    taxon: str
    label_de: str
    label_en: str
    intensity: float
    season: Season | None
    trees: float | None = None
    trees_per_km: float | None = None
    grass_m: float | None = None
    unknown_m: float = 0.0
    stretches: list[PollenStretch] = field(default_factory=list)


def _season(taxon: str, day: dt.date | None) -> Season | None:
    return None if day is None else seasons()[taxon].season(day.month)


def _stretches(
    counts: np.ndarray, walked: np.ndarray, offsets: np.ndarray, top: int
) -> list[PollenStretch]:
    runs: list[PollenStretch] = []
    i, n = 0, len(counts)
    while i < n:
        if not counts[i] > 0:
            i += 1
            continue
        j = i
        while j + 1 < n and counts[j + 1] > 0:
            j += 1
        trees = float(counts[i : j + 1].sum())
        length = float(walked[i : j + 1].sum())
        per = trees / length * 100.0 if length > 0 else float("inf")
        runs.append(PollenStretch(float(offsets[i]), float(offsets[i] + length), trees, per))
        i = j + 1
    runs.sort(key=lambda r: (-r.trees_per_100m, -r.trees, r.start_m))
    return runs[:top]


def pollen_exposure(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int] | np.ndarray,
    avoid_pollen: frozenset[str] | set[str],
    conditions: Conditions,
    *,
    walked_m: Sequence[float] | None = None,
    day: dt.date | None = None,
    top: int = 3,
) -> list[PollenExposure]:
    """Exposure of the route to each taxon in ``avoid_pollen`` (table order), with the day's
    intensity from ``conditions`` (0 when it does not fly) and, given ``day``, the season."""
    idx = np.asarray(edges, dtype=np.int64)
    length, walked = _walked(edge, idx, walked_m)
    share = np.divide(walked, length, out=np.zeros_like(walked), where=length > 0)
    offsets = np.concatenate([[0.0], np.cumsum(walked)[:-1]]) if len(idx) else np.zeros(0)
    total_km = float(walked.sum()) / 1000.0
    unknown_trees = _column(edge, "trees_unknown", idx)
    out = []
    for taxon, row in seasons().items():
        if taxon not in avoid_pollen:
            continue
        common = {
            "taxon": taxon, "label_de": row.label_de, "label_en": row.label_en,
            "intensity": conditions.intensity(taxon), "season": _season(taxon, day),
        }  # fmt: skip
        if taxon in TREE_TAXA:
            counts = _column(edge, f"trees_{taxon}", idx) * share
            unknown = np.isnan(counts) | np.isnan(unknown_trees) | (unknown_trees > 0)
            known = np.where(np.isnan(counts), 0.0, counts)
            trees = float(known.sum())
            out.append(
                PollenExposure(
                    **common,  # type: ignore[arg-type]
                    trees=trees,
                    trees_per_km=trees / total_km if total_km > 0 else None,
                    unknown_m=float(walked[unknown].sum()),
                    stretches=_stretches(known, walked, offsets, top),
                )
            )
        elif taxon == "grasses":
            grass = _column(edge, "grass_share", idx)
            unknown = np.isnan(grass)
            out.append(
                PollenExposure(
                    **common,  # type: ignore[arg-type]
                    grass_m=float((np.where(unknown, 0.0, grass) * walked).sum()),
                    unknown_m=float(walked[unknown].sum()),
                )
            )
        else:  # mugwort, ragweed: not mapped at all
            out.append(PollenExposure(**common, unknown_m=float(walked.sum())))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True, slots=True)
class ParkPassage:
    """A park the route passes: its name (``graph.meta["parks"]``) and the metres in it."""

    park_id: int
    name: str
    length_m: float


@dataclass(frozen=True, slots=True)
class GreenFacts:
    """Green share of the walked length (``None`` when nothing of it is known), the metres of
    unknown green, and the parks passed in the order met."""

    green_share: float | None
    unknown_m: float
    parks: list[ParkPassage]


def green_facts(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int] | np.ndarray,
    parks: Sequence[str] = (),
    *,
    walked_m: Sequence[float] | np.ndarray | None = None,
) -> GreenFacts:
    """The route's green share and the parks it passes (``parks``: the graph's
    ``meta["parks"]``, indexed by ``park_id``; an id without a name is reported by number)."""
    return _green(*_route_sums(edge, edges, walked_m, green=True, light=False), parks)


@dataclass(frozen=True, slots=True)
class LightFacts:
    """Lit share of the walked length (over the metres whose ``lit`` is known; ``None`` if none
    is), unlit and unknown metres, and whether the route was weighed for ``dark``, ``day`` or an
    unknown time."""

    lit_share: float | None
    lit_m: float
    unlit_m: float
    unknown_m: float
    light: Literal["dark", "day", "unknown"]


def light_facts(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int] | np.ndarray,
    conditions: Conditions,
    *,
    walked_m: Sequence[float] | np.ndarray | None = None,
) -> LightFacts:
    """The route's lit share and the light it was computed for (``conditions.dark``)."""
    sums, _, _ = _route_sums(edge, edges, walked_m, green=False, light=True)
    return _light(sums, conditions)


def green_and_light_facts(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int] | np.ndarray,
    parks: Sequence[str],
    conditions: Conditions,
    *,
    walked_m: Sequence[float] | np.ndarray | None = None,
) -> tuple[GreenFacts, LightFacts]:
    """:func:`green_facts` and :func:`light_facts` of one route in one pass over its edges
    (the route report wants both)."""
    sums, met, metres = _route_sums(edge, edges, walked_m, green=True, light=True)
    return _green(sums, met, metres, parks), _light(sums, conditions)


#: What the kernel reads for a column the graph lacks (built before it existed), or for facts
#: not asked for: nothing.
_NOT_READ_SHARE = np.zeros(0, dtype=np.float32)
_NOT_READ_PARK = np.zeros(0, dtype=np.int32)
_NOT_READ_LIT = np.zeros(0, dtype=np.int8)
#: The ``lit`` codes the kernel sums apart (any other is unknown).
_LIT_YES, _LIT_NO = int(Tri.YES), int(Tri.NO)


def _route_sums(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int] | np.ndarray,
    walked_m: Sequence[float] | np.ndarray | None,
    *,
    green: bool,
    light: bool,
) -> tuple[list[float], list[int], list[float]]:
    """The route's green and/or light sums (rows ``SUM_*``), the parks met and the metres in
    each: one pass of :func:`routing._kernels.facts.green_light_sums`, whose sums are numpy's. The
    edges must index every column read (as numpy's indexing did: else IndexError)."""
    idx = np.asarray(edges, dtype=np.int64)
    if walked_m is None:
        walked = np.asarray(edge["length_m"], dtype=np.float64)[idx]
    else:
        walked = np.asarray(walked_m, dtype=np.float64)
        if walked.shape != idx.shape:
            raise ValueError(f"walked_m has {walked.size} values for {idx.size} edges")
    size = len(edge["length_m"])
    share, park, lit = _NOT_READ_SHARE, _NOT_READ_PARK, _NOT_READ_LIT
    if green:
        found_share, found_park = edge.get("green_share"), edge.get("park_id")
        if found_share is not None:
            share, size = found_share, min(size, len(found_share))
        if found_park is not None:
            park, size = found_park, min(size, len(found_park))
    if light:
        lit = edge["lit"]
        size = min(size, len(lit))
    k = len(idx)
    scratch = np.empty((facts_kernels.SUM_ROWS, k))
    sums = np.empty(facts_kernels.SUM_ROWS)
    met = np.empty(k, dtype=np.int64)
    metres = np.empty(k)
    n = facts_kernels.green_light_sums(
        idx, walked, size, share, park, lit, _LIT_YES, _LIT_NO, scratch, sums, met, metres
    )
    if n == facts_kernels.EDGE_OUT_OF_RANGE:
        raise IndexError(f"a route edge is out of bounds for the {size} edges of the columns")
    return sums.tolist(), met[:n].tolist(), metres[:n].tolist()


def _green(
    sums: list[float], met: list[int], metres: list[float], parks: Sequence[str]
) -> GreenFacts:
    """:class:`GreenFacts` from the kernel's sums and parks (``parks`` names them)."""
    known_m = sums[facts_kernels.SUM_GREEN_KNOWN_M]
    named = [
        ParkPassage(pid, parks[pid] if pid < len(parks) else f"park {pid}", length_m)
        for pid, length_m in zip(met, metres, strict=True)
    ]
    share = sums[facts_kernels.SUM_GREEN_M] / known_m if known_m > 0 else None
    return GreenFacts(share, sums[facts_kernels.SUM_GREEN_UNKNOWN_M], named)


def _light(sums: list[float], conditions: Conditions) -> LightFacts:
    """:class:`LightFacts` from the kernel's sums, for the light of ``conditions``."""
    lit_m, unlit_m = sums[facts_kernels.SUM_LIT_M], sums[facts_kernels.SUM_UNLIT_M]
    known = lit_m + unlit_m
    light: Literal["dark", "day", "unknown"] = (
        "unknown" if conditions.dark is None else "dark" if conditions.dark else "day"
    )
    return LightFacts(
        lit_m / known if known > 0 else None,
        lit_m,
        unlit_m,
        sums[facts_kernels.SUM_LIGHT_UNKNOWN_M],
        light,
    )
