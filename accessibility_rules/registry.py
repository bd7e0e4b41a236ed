"""The attribute registry: one table that says everything the code needs to know per attribute.

For every array of a compiled graph it records the name (with its unit), the dtype, the code of
*unknown*, where the attribute lives (along an edge, at a node, or at an edge's transition), its
enumeration, the tag rule that fills it and the OSM keys that rule reads, how it shows in the
coverage report, short German and English labels for route messages, the profile's unknown
treatment that applies to it, and whether obstacles may patch it.

Derived from it (nothing of this is kept by hand elsewhere):

* ``graphs.model.EDGE_ATTRIBUTE_DTYPES`` / ``NODE_ATTRIBUTE_DTYPES`` (:func:`dtypes`);
* the attribute columns the graph build copies from the tag rules (:func:`tag_columns`) and the
  compiled store (one file per array; its format version follows the table);
* the coverage report (:func:`coverage_entries`);
* which :class:`~accessibility_rules.weights.Unknown` bits describe a whole edge and which a point,
  and which profile treatment applies to each (:func:`unknown_flags`);
* the keys a source reader must keep (:data:`RELEVANT_WAY_KEYS`, :data:`RELEVANT_NODE_KEYS`);
* what obstacles may patch (:func:`patchable_attributes`) and the message labels (:func:`label`).

Adding an attribute
-------------------
An attribute is **one registry entry + its tag rule + its profile parameters**:

1. its value type in :mod:`accessibility_rules.attributes` (an ``IntEnum`` whose unknown member
   is ``UNKNOWN = -1``, or a float with ``NaN`` for unknown);
2. its tag rule in :mod:`accessibility_rules.way_rules` or :mod:`~accessibility_rules.node_rules`:
   a field of ``WayAttributes`` or ``NodeAttributes`` of the entry's name, filled by
   ``way_attributes`` / ``node_attributes``
   (a node attribute other than its "nothing here" value keeps the node through simplification);
3. one :class:`Attribute` in :data:`ATTRIBUTES` below, with the keys its rule reads;
4. its profile parameters in :mod:`accessibility_rules.profile` and their rule in
   :mod:`accessibility_rules.weights` (and, when the profile treats its unknowns, an
   ``Unknown`` bit whose name is the entry's ``unknown_flag``).

The build, the store, the coverage report and the key filters follow by themselves. ``seat``
(issue 12) was added exactly so; a test checks that every key a rule reads is listed here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    Seat,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)

Table = Literal["edge", "node"]


class Where(StrEnum):
    """Where an attribute lives, which decides how a pedestrian meets it."""

    EDGE = "edge"  # along the way: met over the edge's length
    NODE = "node"  # at a point: met once, when walking into the node
    TRANSITION = "transition"  # on an edge but met once (the kerb or signal of a crossing way)
    STRUCTURE = "structure"  # the graph itself (length, ids, coordinates): not a tag fact


class Fill(StrEnum):
    """Who fills the array."""

    TAG = "tag"  # copied from the tag rule's field of the same name
    TAG_DERIVED = "tag_derived"  # from the tag rule, then adjusted by the build (sign, share)
    BUILD = "build"  # the graph build (geometry, topology, ids)
    OBSTACLE = "obstacle"  # only obstacles set it; empty from OSM


class Coverage(StrEnum):
    """How an attribute shows in the coverage report."""

    NONE = "none"
    LENGTH_SHARE = "length_share"  # share of edge length where it is known
    COUNT = "count"  # nodes where it is present, and of those where it is known


@dataclass(frozen=True, slots=True)
class Attribute:
    """One array of the compiled graph and everything that follows from it.

    ``unknown`` is the stored code of *unknown* (``NaN`` for floats, ``-1`` for enumerations and
    counts) or ``None`` when the value is always known. ``absent`` is the code for "nothing of
    this kind here" (``NONE`` members), which differs from unknown. ``coverage_applies`` names the
    edges a length share is taken over (``all``, ``steps``, ``roads``, ``crossings``).
    """

    name: str
    table: Table
    dtype: str
    where: Where
    fill: Fill
    label_de: str
    label_en: str
    unknown: float | int | None = None
    absent: int | None = None
    enum: type[IntEnum] | None = None
    rule: str | None = None
    osm_keys: tuple[str, ...] = ()
    coverage: Coverage = Coverage.NONE
    coverage_label: str | None = None
    coverage_applies: str = "all"
    coverage_known_label: str = "known"
    unknown_flag: str | None = None
    patchable: bool = False
    note: str = ""


_NAN = math.nan
_SIDES = ("both", "left", "right")
_SIDEWALK_KEYS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right", "foot")


def _sidewalk_sub(sub: str) -> tuple[str, ...]:
    """``sidewalk:<side>:<sub>`` for every side, plus the keys deciding which sides exist."""
    return (*(f"sidewalk:{side}:{sub}" for side in _SIDES), *_SIDEWALK_KEYS, "highway")


_KERB_NODE_KEYS = ("barrier", "kerb", "kerb:left", "kerb:right", "kerb:height", "sloped_curb")
_CROSSING_WAY_KEYS = ("highway", "footway", "path", "cycleway", "crossing")

#: Keys :func:`~accessibility_rules.way_rules.is_pedestrian_way` reads to decide whether a way is
#: kept.
WAY_SELECTION_KEYS: tuple[str, ...] = (
    "highway", "public_transport", "railway", "foot", "access", "area", *_CROSSING_WAY_KEYS,
    *_SIDEWALK_KEYS,
)  # fmt: skip

#: Built columns joined from features beside the network: their tag rules are in
#: accessibility_rules.surroundings (keys: surroundings.OSM_KEYS), read from nodes, ways and areas
#: that are not walkable ways, so they list no way or node keys here.
_SURROUNDINGS = "surroundings (joined by graphs.features)"
_TREE_LABELS = (
    ("alnus", "Erle", "alder"),
    ("betula", "Birke", "birch"),
    ("corylus", "Hasel", "hazel"),
    ("fraxinus", "Esche", "ash"),
    ("quercus", "Eiche", "oak"),
    ("tilia", "Linde", "lime"),
    ("other", "andere Gattung", "other genus"),
    ("unknown", "Gattung unbekannt", "genus unknown"),
)

_E: Table = "edge"
_N: Table = "node"
_WAY, _NODE = "way_rules.way_attributes", "node_rules.node_attributes"

#: The registry. Order: edge arrays, then node arrays, each as stored.
ATTRIBUTES: tuple[Attribute, ...] = (
    # --- edges ---------------------------------------------------------------------------------
    Attribute("length_m", _E, "f8", Where.STRUCTURE, Fill.BUILD, "Länge", "length"),
    Attribute(
        "highway", _E, "i1", Where.EDGE, Fill.TAG, "Wegart", "way type", enum=HighwayClass,
        rule=_WAY, osm_keys=("highway", "public_transport", "railway"),
    ),
    Attribute("way_id", _E, "i8", Where.STRUCTURE, Fill.BUILD, "OSM-Weg", "OSM way"),
    Attribute(
        "way_share", _E, "f4", Where.STRUCTURE, Fill.BUILD, "Anteil am Weg", "share of the way",
        note="this edge's share of its OSM way's length (prorates step_count, crossings)",
    ),
    Attribute("reverse_edge", _E, "i4", Where.STRUCTURE, Fill.BUILD, "Gegenrichtung", "twin"),
    Attribute(
        "is_steps", _E, "?", Where.EDGE, Fill.TAG, "Treppe", "steps", rule=_WAY,
        osm_keys=("highway",), patchable=True,
    ),
    Attribute(
        "step_count", _E, "i2", Where.EDGE, Fill.TAG_DERIVED, "Stufenzahl", "number of steps",
        unknown=-1, rule=_WAY, osm_keys=("step_count",), coverage=Coverage.LENGTH_SHARE,
        coverage_label="step_count (steps)", coverage_applies="steps", unknown_flag="step_count",
        patchable=True, note="the way's count apportioned over its pieces; 0 on non-steps edges",
    ),
    Attribute(
        "handrail", _E, "i1", Where.EDGE, Fill.TAG, "Handlauf", "handrail", unknown=-1, enum=Tri,
        rule=_WAY, osm_keys=("handrail", "handrail:left", "handrail:right", "handrail:center"),
        coverage=Coverage.LENGTH_SHARE, coverage_label="handrail (steps)",
        coverage_applies="steps",
    ),
    Attribute(
        "incline_percent", _E, "f4", Where.EDGE, Fill.TAG_DERIVED, "Steigung", "incline",
        unknown=_NAN, rule=_WAY, osm_keys=("incline",), coverage=Coverage.LENGTH_SHARE,
        coverage_label="incline_percent", unknown_flag="incline",
        note="signed along the edge direction; filled from the elevation model where untagged",
    ),
    Attribute(
        "incline_source", _E, "i1", Where.EDGE, Fill.TAG_DERIVED, "Quelle der Steigung",
        "incline source", unknown=-1, enum=InclineSource, rule=_WAY, osm_keys=("incline",),
    ),
    Attribute(
        "incline_direction", _E, "i1", Where.EDGE, Fill.TAG_DERIVED, "Steigungsrichtung",
        "incline direction", unknown=0, rule=_WAY, osm_keys=("incline",),
        note="a sign, not an enumeration: +1 uphill / -1 downhill along the edge, 0 flat or "
        "unknown",
    ),
    Attribute(
        "width_m", _E, "f4", Where.EDGE, Fill.TAG, "Wegbreite", "width", unknown=_NAN,
        rule=_WAY, osm_keys=("width", "est_width", *_sidewalk_sub("width")),
        coverage=Coverage.LENGTH_SHARE, coverage_label="width_m", unknown_flag="width",
        patchable=True,
    ),
    Attribute(
        "surface", _E, "i1", Where.EDGE, Fill.TAG, "Belag", "surface", unknown=-1,
        enum=SurfaceClass, rule=_WAY, osm_keys=("surface", *_sidewalk_sub("surface")),
        coverage=Coverage.LENGTH_SHARE, coverage_label="surface", unknown_flag="surface",
        patchable=True,
    ),
    Attribute(
        "smoothness", _E, "i1", Where.EDGE, Fill.TAG, "Ebenheit", "smoothness", unknown=-1,
        enum=Smoothness, rule=_WAY, osm_keys=("smoothness", *_sidewalk_sub("smoothness")),
        coverage=Coverage.LENGTH_SHARE, coverage_label="smoothness", unknown_flag="smoothness",
        patchable=True,
    ),
    Attribute(
        "wheelchair", _E, "i1", Where.EDGE, Fill.TAG, "Rollstuhlzugang", "wheelchair access",
        unknown=-1, enum=Wheelchair, rule=_WAY, osm_keys=("wheelchair",),
        coverage=Coverage.LENGTH_SHARE, coverage_label="wheelchair", patchable=True,
    ),
    Attribute(
        "lit", _E, "i1", Where.EDGE, Fill.TAG, "Beleuchtung", "lighting", unknown=-1, enum=Tri,
        rule=_WAY, osm_keys=("lit", "lit:time"), coverage=Coverage.LENGTH_SHARE,
        coverage_label="lit", unknown_flag="lit",
        note="lit through the whole night (tags.parse_lit, tags.lit_schedule): a schedule that "
        "leaves part of some night dark is unlit, as lit=limited",
    ),
    Attribute(
        "sidewalk", _E, "i1", Where.EDGE, Fill.TAG, "Gehweg", "sidewalk", unknown=-1,
        enum=Sidewalk, rule=_WAY, osm_keys=(*_SIDEWALK_KEYS, "highway"),
        coverage=Coverage.LENGTH_SHARE, coverage_label="sidewalk (roads)",
        coverage_applies="roads",
    ),
    Attribute(
        "is_sidewalk", _E, "?", Where.EDGE, Fill.TAG, "Gehweg (eigener Weg)", "separate sidewalk",
        rule=_WAY, osm_keys=("footway", "is_sidepath", "highway"),
    ),
    Attribute(
        "crossing", _E, "i1", Where.TRANSITION, Fill.TAG, "Querungsart", "crossing kind",
        unknown=-1, absent=0, enum=CrossingKind, rule=_WAY, osm_keys=_CROSSING_WAY_KEYS,
        coverage=Coverage.LENGTH_SHARE, coverage_label="crossing kind (crossing ways)",
        coverage_applies="crossings", note="crossing kind of the way itself (footway=crossing)",
    ),
    Attribute(
        "acoustic_signal", _E, "i1", Where.TRANSITION, Fill.TAG, "akustisches Signal",
        "acoustic signal", unknown=-1, enum=AcousticSignal, rule=_WAY,
        osm_keys=("traffic_signals:sound",), unknown_flag="acoustic_signal",
    ),
    Attribute(
        "vibration_signal", _E, "i1", Where.TRANSITION, Fill.TAG, "Vibrationssignal",
        "vibration signal", unknown=-1, enum=Tri, rule=_WAY,
        osm_keys=("traffic_signals:vibration",),
    ),
    Attribute(
        "crossing_island", _E, "i1", Where.TRANSITION, Fill.TAG, "Mittelinsel",
        "traffic island", unknown=-1, enum=Tri, rule=_WAY,
        osm_keys=("crossing:island", "crossing"),
    ),
    Attribute(
        "tactile_paving", _E, "i1", Where.TRANSITION, Fill.TAG, "taktiles Leitsystem",
        "tactile paving", unknown=-1, enum=Tri, rule=_WAY, osm_keys=("tactile_paving",),
        unknown_flag="tactile_paving",
    ),
    Attribute(
        "kerb", _E, "i1", Where.TRANSITION, Fill.TAG, "Bordstein", "kerb", unknown=-1, absent=0,
        enum=KerbKind, rule=_WAY, osm_keys=("kerb", *_sidewalk_sub("kerb")), patchable=True,
        note="kerb kind tagged on the way itself (crossing ways)",
    ),
    Attribute(
        "kerb_height_cm", _E, "f4", Where.TRANSITION, Fill.TAG, "Bordsteinhöhe", "kerb height",
        unknown=_NAN, rule=_WAY, osm_keys=("kerb:height", *_sidewalk_sub("kerb:height")),
        unknown_flag="kerb_height", patchable=True,
    ),
    Attribute(
        "is_elevator", _E, "?", Where.EDGE, Fill.TAG, "Aufzug", "elevator", rule=_WAY,
        osm_keys=("highway",),
    ),
    Attribute(
        "ramp_wheelchair", _E, "i1", Where.EDGE, Fill.TAG, "Rollstuhlrampe", "wheelchair ramp",
        unknown=-1, enum=Tri, rule=_WAY, osm_keys=("ramp:wheelchair", "ramp"),
    ),
    Attribute(
        "name_id", _E, "i4", Where.EDGE, Fill.TAG_DERIVED, "Straßenname", "street name",
        rule=_WAY, osm_keys=("name",),
        note="index into CompiledGraph.names, INVALID_ID when unnamed; sidewalks borrow the "
        "nearest road's name",
    ),
    Attribute(
        "road_side", _E, "i1", Where.STRUCTURE, Fill.BUILD, "Fahrbahnseite", "road side",
        note="for a sidewalk that borrows its road's name: the side that road is on, walking "
        "the edge (-1 left, 1 right); 0 not known or not such a sidewalk",
    ),
    Attribute(
        "closed", _E, "?", Where.EDGE, Fill.OBSTACLE, "gesperrt", "closed", patchable=True,
        note="impassable for everyone (set by obstacles; False from OSM)",
    ),
    Attribute(
        "level_offset", _E, "i1", Where.EDGE, Fill.TAG, "Ebene", "level", rule=_WAY,
        osm_keys=("level", "layer", "tunnel", "bridge", "location"),
        note="0 at ground level (or untagged), < 0 below ground (tunnel, negative layer/level), "
        "> 0 above (bridge, upper level); snapping prefers 0",
    ),
    # --- joined from features beside the network (graphs/features.py) --------------------------
    Attribute(
        "seat_first_m", _E, "f4", Where.EDGE, Fill.BUILD, "erste Sitzgelegenheit nach",
        "first seat after", unknown=_NAN, rule=_SURROUNDINGS,
        note="metres from the edge's tail to its first seat (joined within seat_distance_m, "
        "or on its end nodes); NaN: no seat mapped on this edge",
    ),
    Attribute(
        "seat_last_m", _E, "f4", Where.EDGE, Fill.BUILD, "letzte Sitzgelegenheit bei",
        "last seat at", unknown=_NAN, rule=_SURROUNDINGS,
        note="metres from the edge's tail to its last seat; NaN: no seat mapped on this edge",
    ),
    Attribute(
        "seat_max_gap_m", _E, "f4", Where.EDGE, Fill.BUILD, "längste Strecke zwischen Bänken",
        "longest stretch between seats", unknown=_NAN, rule=_SURROUNDINGS,
        note="longest stretch between consecutive seats on the edge; 0 with one seat, NaN none",
    ),
    *(
        Attribute(
            f"trees_{taxon}", _E, "f4", Where.EDGE, Fill.BUILD, f"Bäume: {de}", f"trees: {en}",
            rule=_SURROUNDINGS,
            note="trees passed along the edge (nodes, tree rows, woods, register): per tree, "
            "the edge's metres within tree_distance_m of it ÷ (2 × tree_distance_m), so a tree "
            "beside a straight way counts 1 over the edges that pass it, however the way is "
            "split; trees_unknown is 65535 on every edge when the source was not read for trees "
            "(a download: meta features.read false), an unknown number of unknown genus",
        )
        for taxon, de, en in _TREE_LABELS
    ),
    Attribute(
        "green_share", _E, "f4", Where.EDGE, Fill.BUILD, "Grünanteil", "green share",
        rule=_SURROUNDINGS,
        note="share 0..1 of the edge's length inside or within green_distance_m of a park, "
        "grass, meadow, forest, recreation ground, wood, scrub or grassland; 0: none mapped; "
        "NaN: surroundings not read (a download)",
    ),
    Attribute(
        "grass_share", _E, "f4", Where.EDGE, Fill.BUILD, "Anteil an Wiesen", "grass share",
        rule=_SURROUNDINGS,
        note="share 0..1 of the edge's length beside grass, meadow or grassland (grass pollen); "
        "NaN: surroundings not read (a download)",
    ),
    Attribute(
        "park_id", _E, "i4", Where.EDGE, Fill.BUILD, "Park", "park", absent=-1,
        rule=_SURROUNDINGS,
        note="index into graph.meta['parks'] of the named park beside the edge, -1 none",
    ),
    # --- nodes ---------------------------------------------------------------------------------
    Attribute("lat", _N, "f8", Where.STRUCTURE, Fill.BUILD, "Breite", "latitude"),
    Attribute("lon", _N, "f8", Where.STRUCTURE, Fill.BUILD, "Länge", "longitude"),
    Attribute("osm_id", _N, "i8", Where.STRUCTURE, Fill.BUILD, "OSM-Knoten", "OSM node"),
    Attribute(
        "kerb", _N, "i1", Where.NODE, Fill.TAG, "Bordstein", "kerb", unknown=-1, absent=0,
        enum=KerbKind, rule=_NODE, osm_keys=_KERB_NODE_KEYS, patchable=True,
    ),
    Attribute(
        "kerb_height_cm", _N, "f4", Where.NODE, Fill.TAG, "Bordsteinhöhe", "kerb height",
        unknown=_NAN, rule=_NODE, osm_keys=_KERB_NODE_KEYS, unknown_flag="kerb_height",
        patchable=True,
    ),
    Attribute(
        "kerb_height_source", _N, "i1", Where.NODE, Fill.TAG, "Quelle der Bordsteinhöhe",
        "kerb height source", unknown=-1, enum=KerbHeightSource, rule=_NODE,
        osm_keys=_KERB_NODE_KEYS, patchable=True,
    ),
    Attribute(
        "crossing", _N, "i1", Where.NODE, Fill.TAG, "Querungsart", "crossing kind", unknown=-1,
        absent=0, enum=CrossingKind, rule=_NODE, osm_keys=("highway", "railway", "crossing"),
    ),
    Attribute(
        "acoustic_signal", _N, "i1", Where.NODE, Fill.TAG, "akustisches Signal",
        "acoustic signal", unknown=-1, enum=AcousticSignal, rule=_NODE,
        osm_keys=("traffic_signals:sound",), unknown_flag="acoustic_signal",
    ),
    Attribute(
        "vibration_signal", _N, "i1", Where.NODE, Fill.TAG, "Vibrationssignal",
        "vibration signal", unknown=-1, enum=Tri, rule=_NODE,
        osm_keys=("traffic_signals:vibration",),
    ),
    Attribute(
        "crossing_island", _N, "i1", Where.NODE, Fill.TAG, "Mittelinsel",
        "traffic island", unknown=-1, enum=Tri, rule=_NODE,
        osm_keys=("crossing:island", "crossing"),
    ),
    Attribute(
        "tactile_paving", _N, "i1", Where.NODE, Fill.TAG, "taktiles Leitsystem",
        "tactile paving", unknown=-1, enum=Tri, rule=_NODE, osm_keys=("tactile_paving",),
        unknown_flag="tactile_paving",
    ),
    Attribute(
        "button_operated", _N, "i1", Where.NODE, Fill.TAG, "Anforderungstaster", "push button",
        unknown=-1, enum=Tri, rule=_NODE, osm_keys=("button_operated",),
    ),
    Attribute(
        "barrier", _N, "i1", Where.NODE, Fill.TAG, "Sperre", "barrier", unknown=-1, absent=0,
        enum=BarrierKind, rule=_NODE, osm_keys=("barrier",), coverage=Coverage.COUNT,
        coverage_label="barrier_nodes", coverage_known_label="of_known_kind",
        unknown_flag="barrier",
        note="who can pass it is the row of accessibility_rules/barriers.csv; unknown = "
        "barrier=yes or a value not in that table",
    ),
    Attribute(
        "barrier_access", _N, "i1", Where.NODE, Fill.TAG, "Durchgang erlaubt",
        "passage allowed", unknown=-1, enum=Tri, rule=_NODE, osm_keys=("foot", "access", "barrier"),
        note="may pedestrians pass the node's barrier (foot, else access); overrides the table",
    ),
    Attribute(
        "maxwidth_m", _N, "f4", Where.NODE, Fill.TAG, "Durchgangsbreite", "passage width",
        unknown=_NAN, rule=_NODE, osm_keys=("maxwidth:physical", "maxwidth"),
    ),
    Attribute(
        "wheelchair", _N, "i1", Where.NODE, Fill.TAG, "Rollstuhlzugang", "wheelchair access",
        unknown=-1, enum=Wheelchair, rule=_NODE, osm_keys=("wheelchair",), patchable=True,
    ),
    Attribute(
        "is_elevator", _N, "?", Where.NODE, Fill.TAG, "Aufzug", "elevator", rule=_NODE,
        osm_keys=("highway",),
    ),
    Attribute(
        "is_entrance", _N, "?", Where.NODE, Fill.TAG, "Eingang", "entrance", rule=_NODE,
        osm_keys=("entrance", "door"),
    ),
    Attribute(
        "seat", _N, "i1", Where.NODE, Fill.TAG, "Sitzgelegenheit", "seat", unknown=-1, absent=0,
        enum=Seat, rule="tags._seat",
        osm_keys=("amenity", "leisure", "highway", "public_transport", "bench", "backrest"),
        coverage=Coverage.COUNT, coverage_label="seat_nodes",
        coverage_known_label="with_backrest_known",
        note="a seat on a network node; unknown = a seat whose backrest is not tagged",
    ),
    Attribute(
        "road_arms", _N, "i1", Where.STRUCTURE, Fill.BUILD, "Fahrbahnarme", "carriageway arms",
        note="carriageway edges leaving the node (road classes but service); 3 or more: a road "
        "junction, where a walk along a road may cross a side road's mouth",
    ),
    Attribute(
        "closed", _N, "?", Where.NODE, Fill.OBSTACLE, "gesperrt", "closed", patchable=True,
        note="impassable for everyone (set by obstacles; False from OSM)",
    ),
)  # fmt: skip


def attributes(table: Table) -> tuple[Attribute, ...]:
    """The registry entries of one table (``"edge"`` or ``"node"``), in stored order."""
    return tuple(a for a in ATTRIBUTES if a.table == table)


def attribute(table: Table, name: str) -> Attribute:
    """The entry of array ``name`` of ``table``; ``KeyError`` if there is none."""
    for a in ATTRIBUTES:
        if a.table == table and a.name == name:
            return a
    raise KeyError(f"no {table} attribute {name!r} in the registry")


def dtypes(table: Table) -> dict[str, str]:
    """``{name: dtype}`` of every array of ``table``: what the build writes and the store keeps."""
    return {a.name: a.dtype for a in attributes(table)}


def tag_columns(table: Table) -> tuple[str, ...]:
    """Arrays the build copies unchanged from the tag rule's field of the same name."""
    return tuple(a.name for a in attributes(table) if a.fill is Fill.TAG)


def patchable_attributes(table: Table) -> tuple[str, ...]:
    """Arrays of ``table`` an obstacle may patch (the overlay keeps pristine copies of these)."""
    return tuple(a.name for a in attributes(table) if a.patchable)


def coverage_entries(kind: Coverage) -> tuple[Attribute, ...]:
    """Entries shown in the coverage report in the given way."""
    return tuple(a for a in ATTRIBUTES if a.coverage is kind)


def unknown_flags() -> dict[str, Where]:
    """Profile unknown treatments (``Profile.unknown.<flag>``) and where the fact lives.

    An unknown that lives along an edge is penalised by a time factor; one at a node or
    transition (kerbs, crossing signals) per occurrence. A flag found at both an edge and a node
    counts as a point when any of its entries is one.
    """
    out: dict[str, Where] = {}
    for a in ATTRIBUTES:
        if a.unknown_flag is None:
            continue
        if out.get(a.unknown_flag) in (Where.NODE, Where.TRANSITION):
            continue
        out[a.unknown_flag] = a.where
    return out


def label(table: Table, name: str, lang: Literal["de", "en"]) -> str:
    """Short label of an attribute for route messages (``Bordsteinhöhe`` / ``kerb height``)."""
    a = attribute(table, name)
    return a.label_de if lang == "de" else a.label_en


#: Unknown flags that belong to the day's conditions, not to one stored attribute (weights.Unknown).
CONTEXT_FLAG_LABELS: dict[str, tuple[str, str]] = {"pollen": ("Pollenbelastung", "pollen exposure")}


def unknown_flag_label(flag: str, lang: Literal["de", "en"]) -> str:
    """Label of the attribute behind a profile unknown flag (``kerb_height`` → ``kerb height``)."""
    for a in ATTRIBUTES:
        if a.unknown_flag == flag:
            return a.label_de if lang == "de" else a.label_en
    if flag in CONTEXT_FLAG_LABELS:  # a flag of the day's conditions, not of one attribute
        de, en = CONTEXT_FLAG_LABELS[flag]
        return de if lang == "de" else en
    raise KeyError(f"no attribute has the unknown flag {flag!r}")


def schema_fingerprint() -> str:
    """A short hash of every stored array's name, dtype and enumeration codes.

    The store records it and refuses a graph built under another registry, so adding an
    attribute or changing a code forces a rebuild without anyone bumping a version by hand.
    """
    parts = []
    for a in ATTRIBUTES:
        codes = sorted((m.name, int(m)) for m in a.enum) if a.enum is not None else []
        parts.append(f"{a.table}.{a.name}:{a.dtype}:{a.unknown!r}:{codes}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _keys(entries: Iterable[Attribute]) -> frozenset[str]:
    return frozenset(key for a in entries for key in a.osm_keys)


#: Every way tag key a rule reads (selection and attributes): what a source reader must keep.
RELEVANT_WAY_KEYS: frozenset[str] = _keys(attributes("edge")) | frozenset(WAY_SELECTION_KEYS)
#: Every node tag key a rule reads; a node with none of them carries nothing for the router.
RELEVANT_NODE_KEYS: frozenset[str] = _keys(attributes("node"))
#: Prefixes of way key families read by the rules (a coarser, future-proof filter).
RELEVANT_WAY_KEY_PREFIXES: tuple[str, ...] = ("sidewalk:", "handrail:", "ramp:")


def is_relevant_way_key(key: str) -> bool:
    """Whether a way tag key may matter to the way rules."""
    return key in RELEVANT_WAY_KEYS or key.startswith(RELEVANT_WAY_KEY_PREFIXES)
