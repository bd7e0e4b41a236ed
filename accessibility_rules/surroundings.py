"""What stands beside the way: seats, trees and green areas, read from their OSM tags.

These features rarely lie on the walking network (a bench stands beside the footway, a lime tree
in the verge), so the graph build joins them to the edges by distance
(:mod:`graphs.features`). This module holds only the *tag rules*: which tags make a seat, a tree
of which genus, a green or a grass area. Everything here is pure, like
:mod:`accessibility_rules.tags`; the distances of the join are build options.

Trees and allergy
-----------------
The pollen of six tree genera causes most tree-pollen allergy in Germany (Stiftung Deutscher
Polleninformationsdienst, the taxa of the German weather service's pollen forecast): hazel
(*Corylus*), alder (*Alnus*), birch (*Betula*), ash (*Fraxinus*), oak (*Quercus*) and, less
often, lime (*Tilia*). A tree's genus is read, in this order, from ``genus``, ``genus:la``, the
first word of ``species`` or ``taxon`` (botanical names), then from the German common name in
``genus:de``, ``species:de`` or ``taxon:de`` (``Winterlinde`` → *Tilia*; the last word part
decides, so ``Sandbirke`` is a birch). ``leaf_type`` or ``leaf_cycle`` alone name no genus: such
a tree counts as **unknown**, never as harmless. A genus that is read but is none of the six is
``other``.

Tree rows and woods
-------------------
A ``natural=tree_row`` way stands for trees along its line: one tree every
:data:`TREE_ROW_SPACING_M` metres from its start, plus the one at its end (street trees in German
cities are planted 8–12 m apart; FLL *Empfehlungen für Baumpflanzungen*, 2015). Wooded and scrub
areas (``natural=wood``, ``natural=scrub``, ``landuse=forest``) count as trees of the area's
genus (usually unknown) at the same spacing along the part of an edge that is within the tree
distance of the area: a walk along a wood's edge meets about one tree per 10 m.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

__all__ = [
    "GRASS_AREA_TAGS",
    "GREEN_AREA_TAGS",
    "TREE_ROW_SPACING_M",
    "TREE_TAXA",
    "WOOD_AREA_TAGS",
    "SeatKind",
    "area_kind",
    "genus_of_name",
    "is_seat",
    "is_tree",
    "is_tree_row",
    "park_name",
    "seat_backrest",
    "seat_kind",
    "taxon_of_genus",
    "tree_genus",
    "tree_taxon",
]

#: The allergenic tree taxa with a column of their own (``trees_<taxon>``), then ``other`` (genus
#: known, none of these) and ``unknown`` (no genus tagged). Order = column order.
TREE_TAXA: tuple[str, ...] = (
    "alnus",
    "betula",
    "corylus",
    "fraxinus",
    "quercus",
    "tilia",
    "other",
    "unknown",
)
_ALLERGENIC = frozenset(TREE_TAXA[:6])

#: Spacing of the trees a ``natural=tree_row`` (or a wood's edge) stands for.
TREE_ROW_SPACING_M = 10.0

#: German common names (last word part, lower case) → genus. Only names of one genus.
_GERMAN_GENUS: dict[str, str] = {
    "linde": "Tilia",
    "birke": "Betula",
    "erle": "Alnus",
    "hasel": "Corylus",
    "haselnuss": "Corylus",
    "esche": "Fraxinus",
    "eiche": "Quercus",
    "ahorn": "Acer",
    "pappel": "Populus",
    "buche": "Fagus",
    "hainbuche": "Carpinus",
    "kastanie": "Aesculus",
    "rosskastanie": "Aesculus",
    "platane": "Platanus",
    "robinie": "Robinia",
    "weide": "Salix",
    "ulme": "Ulmus",
    "kiefer": "Pinus",
    "fichte": "Picea",
    "tanne": "Abies",
    "lärche": "Larix",
    "eibe": "Taxus",
    "kirsche": "Prunus",
    "walnuss": "Juglans",
    "ginkgo": "Ginkgo",
}

#: Green areas: (key, value) pairs (issue 12: park, grass, meadow, forest, recreation ground,
#: wood, scrub, grassland).
GREEN_AREA_TAGS: frozenset[tuple[str, str]] = frozenset(
    {
        ("leisure", "park"),
        ("landuse", "grass"),
        ("landuse", "meadow"),
        ("landuse", "forest"),
        ("landuse", "recreation_ground"),
        ("natural", "wood"),
        ("natural", "scrub"),
        ("natural", "grassland"),
    }
)
#: Grass areas (grass pollen): a subset of the green areas.
GRASS_AREA_TAGS: frozenset[tuple[str, str]] = frozenset(
    {("landuse", "grass"), ("landuse", "meadow"), ("natural", "grassland")}
)
#: Wooded or scrub areas: their trees count at :data:`TREE_ROW_SPACING_M` along the edge.
WOOD_AREA_TAGS: frozenset[tuple[str, str]] = frozenset(
    {("natural", "wood"), ("natural", "scrub"), ("landuse", "forest")}
)

#: Keys the rules of this module read (the source reader keeps them).
OSM_KEYS: tuple[str, ...] = (
    "amenity", "leisure", "highway", "public_transport", "bench", "backrest", "natural",
    "landuse", "genus", "genus:la", "species", "taxon", "genus:de", "species:de", "taxon:de",
    "name",
)  # fmt: skip


#: A seat, tree or tree row has at least one of these keys (a cheap filter for the reader).
POINT_KEYS: tuple[str, ...] = ("amenity", "leisure", "bench", "natural")
#: A public transport stop has at least one of these keys (see :func:`stop_kind`).
STOP_KEYS: tuple[str, ...] = ("highway", "railway", "public_transport")
#: A green, grass or wooded area has at least one of these keys.
AREA_KEYS: tuple[str, ...] = ("leisure", "landuse", "natural")


class SeatKind(IntEnum):
    """What a seat is (``seat_kind`` of the seat table)."""

    BENCH = 1  # amenity=bench
    PICNIC_TABLE = 2  # leisure=picnic_table
    STOP = 3  # a stop or platform with bench=yes
    SHELTER = 4  # amenity=shelter with bench=yes


def _value(tags: Mapping[str, str], key: str) -> str:
    return tags.get(key, "").strip().lower()


#: Stops and shelters that have a seat when tagged ``bench=yes``.
_WITH_BENCH = (
    ("highway", "bus_stop", SeatKind.STOP),
    ("public_transport", "platform", SeatKind.STOP),
    ("railway", "platform", SeatKind.STOP),
    ("highway", "platform", SeatKind.STOP),
    ("amenity", "shelter", SeatKind.SHELTER),
)


def seat_kind(tags: Mapping[str, str]) -> SeatKind | None:
    """The kind of seat ``tags`` describe, or None when they describe none.

    ``amenity=bench`` and ``leisure=picnic_table`` are seats; a stop, platform or shelter is one
    only with ``bench=yes`` (``bench=no`` or no ``bench`` tag: no seat mapped).
    """
    if _value(tags, "amenity") == "bench":
        return SeatKind.BENCH
    if _value(tags, "leisure") == "picnic_table":
        return SeatKind.PICNIC_TABLE
    if _value(tags, "bench") in ("yes", "true", "1"):
        for key, value, kind in _WITH_BENCH:
            if _value(tags, key) == value:
                return kind
    return None


#: Public transport stops a walker boards at (``highway=bus_stop``, platforms, tram stops);
#: stop positions on the carriageway are not where people wait.
_STOP_TAGS = (
    ("highway", "bus_stop", "bus_stop"),
    ("railway", "tram_stop", "tram_stop"),
    ("public_transport", "platform", "platform"),
    ("railway", "platform", "platform"),
    ("highway", "platform", "platform"),
)


def stop_kind(tags: Mapping[str, str]) -> str | None:
    """``bus_stop``, ``tram_stop`` or ``platform`` for a stop a walker boards at, else None."""
    for key, value, kind in _STOP_TAGS:
        if _value(tags, key) == value:
            return kind
    return None


def stop_facts(tags: Mapping[str, str]) -> dict[str, str | None]:
    """What the console's map says of a stop: ``name`` (None untagged), ``wheelchair`` and
    ``bench`` as ``yes``/``no``/``limited`` or ``unknown`` (untagged: unknown, not no)."""

    def tri(key: str) -> str:
        value = _value(tags, key)
        return value if value in ("yes", "no", "limited") else "unknown"

    name = tags.get("name", "").strip() or None
    return {"name": name, "wheelchair": tri("wheelchair"), "bench": tri("bench")}


def is_seat(tags: Mapping[str, str]) -> bool:
    """Whether ``tags`` describe a place to sit (:func:`seat_kind`)."""
    return seat_kind(tags) is not None


def seat_backrest(tags: Mapping[str, str]) -> int:
    """``1`` with a backrest (``backrest=yes``), ``0`` without (``no``), ``-1`` unknown."""
    value = _value(tags, "backrest")
    if value in ("yes", "true", "1"):
        return 1
    if value in ("no", "false", "0"):
        return 0
    return -1


def is_tree(tags: Mapping[str, str]) -> bool:
    """``natural=tree``."""
    return _value(tags, "natural") == "tree"


def is_tree_row(tags: Mapping[str, str]) -> bool:
    """``natural=tree_row`` (a line of trees)."""
    return _value(tags, "natural") == "tree_row"


def _botanical(value: str) -> str | None:
    """The genus of a botanical name (its first word, capitalised), or None."""
    first = value.strip().split(";")[0].strip().split(" ")[0].strip()
    return first.capitalize() if first.isalpha() else None


def _german(value: str) -> str | None:
    """The genus of a German common name (``Winterlinde``, ``Amerikanische Linde``), or None."""
    word = value.strip().split(";")[0].strip().split(" ")[-1].split("-")[-1].lower()
    for name in sorted(_GERMAN_GENUS, key=len, reverse=True):
        if word.endswith(name):
            return _GERMAN_GENUS[name]
    return None


def tree_genus(tags: Mapping[str, str]) -> str | None:
    """The genus of a tree (or tree row, or wood) as a capitalised botanical name, or None.

    ``genus``, ``genus:la``, the first word of ``species``, ``taxon`` (botanical), then the German
    common names ``genus:de``, ``species:de``, ``taxon:de``. With a list (``Tilia;Acer``) the
    first entry counts. ``leaf_type`` and ``leaf_cycle`` give no genus.
    """
    for key in ("genus", "genus:la", "species", "taxon"):
        raw = tags.get(key)
        if raw and (genus := _botanical(raw)) is not None:
            return genus
    for key in ("genus:de", "species:de", "taxon:de"):
        raw = tags.get(key)
        if raw and (genus := _german(raw)) is not None:
            return genus
    return None


def genus_of_name(value: str | None) -> str | None:
    """The genus of a name in a tree register's genus column: a German common name
    (``Winter-Linde``) or a botanical name (``Tilia cordata``, ``TILIA``); None when empty."""
    if value is None or not value.strip():
        return None
    return _german(value) or _botanical(value)


def taxon_of_genus(genus: str | None) -> str:
    """The column (:data:`TREE_TAXA`) of a genus: its lower-case name when allergenic, ``other``
    for any other known genus, ``unknown`` for None or an empty name."""
    if genus is None or not genus.strip():
        return "unknown"
    name = genus.strip().split(" ")[0].lower()
    return name if name in _ALLERGENIC else "other"


def tree_taxon(tags: Mapping[str, str]) -> str:
    """:func:`taxon_of_genus` of :func:`tree_genus`."""
    return taxon_of_genus(tree_genus(tags))


def area_kind(tags: Mapping[str, str]) -> tuple[bool, bool, bool]:
    """``(green, grass, wood)``: whether an area is green, grass (grass pollen), wooded/scrub."""
    pairs = {(key, _value(tags, key)) for key in ("leisure", "landuse", "natural")}
    return (
        bool(pairs & GREEN_AREA_TAGS),
        bool(pairs & GRASS_AREA_TAGS),
        bool(pairs & WOOD_AREA_TAGS),
    )


def park_name(tags: Mapping[str, str]) -> str | None:
    """The name of a ``leisure=park`` (None for other areas and for unnamed parks)."""
    if _value(tags, "leisure") != "park":
        return None
    name = tags.get("name", "").strip()
    return name or None
