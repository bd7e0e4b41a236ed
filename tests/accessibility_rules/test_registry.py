"""The attribute registry: what derives from it, one unknown code, and the keys the rules read."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from enum import IntEnum
from pathlib import Path

import numpy as np
import osmium
import pytest

from accessibility_rules import attributes as vocabulary
from accessibility_rules import registry
from accessibility_rules.attributes import UNKNOWN, Seat, Tri, is_unknown
from accessibility_rules.node_rules import NodeAttributes, node_attributes
from accessibility_rules.profile import UnknownPolicy
from accessibility_rules.registry import (
    ATTRIBUTES,
    RELEVANT_NODE_KEYS,
    RELEVANT_WAY_KEYS,
    Coverage,
    Fill,
    Where,
)
from accessibility_rules.way_rules import WayAttributes, is_pedestrian_way, way_attributes
from accessibility_rules.weights import _EDGE_LEVEL_UNKNOWNS, Unknown

# --------------------------------------------------------------------------- one unknown code


def _enums() -> list[type[IntEnum]]:
    return [
        obj
        for obj in vars(vocabulary).values()
        if isinstance(obj, type) and issubclass(obj, IntEnum) and obj is not IntEnum
    ]


@pytest.mark.parametrize("enum", _enums(), ids=lambda e: e.__name__)
def test_every_enumeration_with_an_unknown_state_codes_it_minus_one(enum: type[IntEnum]) -> None:
    if "UNKNOWN" in enum.__members__:
        assert int(enum["UNKNOWN"]) == UNKNOWN == -1
    assert all(int(member) >= 0 for member in enum if member.name != "UNKNOWN")


def test_registry_unknown_codes_match_their_enumerations() -> None:
    for a in ATTRIBUTES:
        if a.enum is not None and "UNKNOWN" in a.enum.__members__:
            assert a.unknown == -1, a.name
        if a.dtype.startswith("f") and a.unknown is not None:
            assert math.isnan(a.unknown), a.name
        if a.absent is not None and a.enum is not None:
            assert a.enum(a.absent).name == "NONE", a.name


def test_is_unknown() -> None:
    assert is_unknown(Tri.UNKNOWN)
    assert is_unknown(-1)
    assert not is_unknown(0)
    assert is_unknown(math.nan)
    assert not is_unknown(0.0)
    assert not is_unknown(True)
    codes = np.array([-1, 0, 1, 2], dtype=np.int8)
    assert is_unknown(codes).tolist() == [True, False, False, False]
    floats = np.array([np.nan, 3.0], dtype=np.float32)
    assert is_unknown(floats).tolist() == [True, False]
    assert is_unknown(np.array([True, False])).tolist() == [False, False]


# --------------------------------------------------------------------------- what derives


def test_model_dtypes_come_from_the_registry() -> None:
    from graphs.model import EDGE_ATTRIBUTE_DTYPES, NODE_ATTRIBUTE_DTYPES

    assert {a.name: a.dtype for a in ATTRIBUTES if a.table == "edge"} == EDGE_ATTRIBUTE_DTYPES
    assert {a.name: a.dtype for a in ATTRIBUTES if a.table == "node"} == NODE_ATTRIBUTE_DTYPES


def test_names_are_unique_per_table_and_labelled() -> None:
    for table in ("edge", "node"):
        names = [a.name for a in registry.attributes(table)]
        assert len(names) == len(set(names))
    for a in ATTRIBUTES:
        assert a.label_de, a.name
        assert a.label_en, a.name
        assert (a.where is Where.NODE) == (a.table == "node" and a.where is not Where.STRUCTURE)
        if a.fill in (Fill.TAG, Fill.TAG_DERIVED):
            assert a.rule, a.name
            assert a.osm_keys, a.name
        else:
            assert not a.osm_keys, a.name


def test_tag_columns_are_fields_of_the_tag_rules() -> None:
    """The recipe: a node attribute is its registry entry plus a NodeAttributes field."""
    node_fields = {f.name for f in dataclasses.fields(NodeAttributes)}
    way_fields = {f.name for f in dataclasses.fields(WayAttributes)}
    assert set(registry.tag_columns("node")) == node_fields
    assert set(registry.tag_columns("edge")) <= way_fields


def test_labels() -> None:
    assert registry.label("node", "kerb_height_cm", "de") == "Bordsteinhöhe"
    assert registry.label("edge", "kerb_height_cm", "en") == "kerb height"
    with pytest.raises(KeyError):
        registry.attribute("edge", "no_such_attribute")


def test_patchable_attributes() -> None:
    assert set(registry.patchable_attributes("edge")) == {
        "closed", "width_m", "kerb", "kerb_height_cm", "surface", "smoothness", "is_steps",
        "step_count", "wheelchair",
    }  # fmt: skip
    assert set(registry.patchable_attributes("node")) == {
        "closed", "kerb", "kerb_height_cm", "kerb_height_source", "wheelchair",
    }  # fmt: skip


def test_unknown_bits_follow_the_registry() -> None:
    # pollen is the day's exposure (weights._UNKNOWN_WHERE), not one attribute's unknown
    flags = {**registry.unknown_flags(), "pollen": Where.EDGE}
    assert {f.upper() for f in flags} == {m.name for m in Unknown}
    assert set(flags) == set(UnknownPolicy.model_fields)
    along = {m.name for m in Unknown if m & _EDGE_LEVEL_UNKNOWNS}
    assert along == {"INCLINE", "WIDTH", "SURFACE", "SMOOTHNESS", "STEP_COUNT", "LIT", "POLLEN"}


def test_schema_fingerprint_changes_with_the_table() -> None:
    before = registry.schema_fingerprint()
    assert before == registry.schema_fingerprint()
    extra = registry.Attribute("x", "node", "f4", Where.NODE, Fill.BUILD, "x", "x")
    original = registry.ATTRIBUTES
    try:
        registry.ATTRIBUTES = (*original, extra)
        assert registry.schema_fingerprint() != before
    finally:
        registry.ATTRIBUTES = original


# --------------------------------------------------------------------------- keys the rules read


class _Recording(Mapping[str, str]):
    """A tag dict that records every key a rule looks at (iteration counts as all keys)."""

    def __init__(self, tags: Mapping[str, str], seen: set[str]) -> None:
        self._tags = dict(tags)
        self._seen = seen

    def __getitem__(self, key: str) -> str:
        self._seen.add(key)
        return self._tags[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._seen.add(key)
        return key in self._tags

    def __iter__(self) -> Iterator[str]:
        self._seen.update(self._tags)
        return iter(self._tags)

    def __len__(self) -> int:
        return len(self._tags)


def _keys_read(rule: Callable[[Mapping[str, str]], object], tags: Mapping[str, str]) -> set[str]:
    seen: set[str] = set()
    rule(_Recording(tags, seen))
    return seen


def _read_all_tags(path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Tags of every way with a highway-ish tag and of every tagged node, unfiltered."""
    ways: list[dict[str, str]] = []
    nodes: list[dict[str, str]] = []
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        assert isinstance(obj, osmium.osm.Node | osmium.osm.Way)  # what the processor reads
        tags = {t.k: t.v for t in obj.tags}
        if not tags:
            continue
        (nodes if obj.is_node() else ways).append(tags)
    return ways, nodes


#: Hand-made tag sets that reach every branch of the rules (sidewalk sides, sloped curbs, seats).
_EXTRA_WAYS: list[dict[str, str]] = [
    {"highway": "trunk", "sidewalk:left": "yes", "sidewalk:left:width": "2",
     "sidewalk:left:surface": "sett", "sidewalk:left:smoothness": "bad",
     "sidewalk:left:kerb": "lowered", "sidewalk:left:kerb:height": "0.03", "foot": "use_sidepath"},
    {"highway": "residential", "sidewalk:both": "yes", "sidewalk:both:width": "1.5",
     "sidewalk:right": "separate", "sidewalk:both:surface": "asphalt"},
    {"highway": "steps", "step_count": "12", "handrail:center": "yes", "ramp": "no",
     "incline": "up", "ramp:wheelchair": "separate", "name": "Treppe"},
    {"highway": "footway", "footway": "crossing", "crossing": "traffic_signals",
     "traffic_signals:sound": "yes", "traffic_signals:vibration": "no", "tactile_paving": "yes",
     "kerb": "raised", "kerb:height": "0.12", "est_width": "1", "lit": "yes", "wheelchair": "no"},
    {"highway": "path", "is_sidepath": "yes", "width": "x", "surface": "?", "access": "no"},
    {"public_transport": "platform", "railway": "platform", "area": "yes"},
    {"highway": "cycleway", "cycleway": "crossing", "path": "crossing", "foot": "designated"},
]  # fmt: skip
_EXTRA_NODES: list[dict[str, str]] = [
    {"barrier": "kerb", "kerb:left": "raised", "kerb:right": "flush", "sloped_curb": "0.02"},
    {"sloped_curb": "yes"},
    {"highway": "crossing", "crossing": "marked", "button_operated": "yes",
     "traffic_signals:sound": "locate", "traffic_signals:vibration": "yes", "tactile_paving": "no"},
    {"highway": "traffic_signals", "crossing": "traffic_signals"},
    {"railway": "crossing"},
    {"barrier": "gate", "maxwidth:physical": "0.9", "maxwidth": "1", "wheelchair": "limited"},
    {"entrance": "main", "door": "hinged"},
    {"highway": "elevator"},
    {"amenity": "bench", "backrest": "yes"},
    {"leisure": "picnic_table"},
    {"highway": "bus_stop", "bench": "yes", "backrest": "no"},
    {"public_transport": "platform", "bench": "no"},
]  # fmt: skip


@pytest.fixture(scope="module")
def all_tags(
    osm_fixtures: Path, shared_data: Path
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    ways, nodes = list(_EXTRA_WAYS), list(_EXTRA_NODES)
    files = sorted(osm_fixtures.glob("*.osm"))
    files += [
        p
        for p in (
            shared_data / "kaiserslautern-centre-2013.osm.gz",
            shared_data / "kaiserslautern-uni-2013.osm.gz",
            shared_data / "berlin-neukoelln-2024.osm.gz",
            shared_data / "herrenberg-2021.osm.pbf",
        )
        if p.is_file()
    ]
    for path in files:
        w, n = _read_all_tags(path)
        ways += w
        nodes += n
    return ways, nodes


def test_every_way_key_a_rule_reads_is_listed(all_tags: tuple[list, list]) -> None:
    ways, _ = all_tags
    read: set[str] = set()
    for tags in ways:
        read |= _keys_read(is_pedestrian_way, tags)
        read |= _keys_read(lambda t: way_attributes(t, Counter()), tags)
    assert read - RELEVANT_WAY_KEYS == set()
    assert {"sidewalk:left:kerb:height", "handrail:center", "est_width"} <= read


def test_every_node_key_a_rule_reads_is_listed(all_tags: tuple[list, list]) -> None:
    _, nodes = all_tags
    read: set[str] = set()
    for tags in nodes:
        read |= _keys_read(lambda t: node_attributes(t, Counter()), tags)
    assert read - RELEVANT_NODE_KEYS == set()
    assert {"sloped_curb", "backrest", "bench", "maxwidth"} <= read


def test_each_attribute_lists_the_keys_its_part_of_the_rule_reads() -> None:
    """A rule reading a key must find it listed on the attribute it fills, not just anywhere."""
    for a in registry.attributes("node"):
        if a.fill is not Fill.TAG:
            continue
        for tags in _EXTRA_NODES:
            with_key = {k: v for k, v in tags.items() if k in a.osm_keys}
            value = getattr(node_attributes(tags, Counter()), a.name)
            assert getattr(node_attributes(with_key, Counter()), a.name) == value, (a.name, tags)


# --------------------------------------------------------------------------- seat (issue 12)


@pytest.mark.parametrize(
    ("tags", "seat"),
    [
        ({"amenity": "bench"}, Seat.UNKNOWN),
        ({"amenity": "bench", "backrest": "yes"}, Seat.BACKREST),
        ({"amenity": "bench", "backrest": "no"}, Seat.NO_BACKREST),
        ({"leisure": "picnic_table"}, Seat.UNKNOWN),
        ({"highway": "bus_stop", "bench": "yes"}, Seat.UNKNOWN),
        ({"highway": "bus_stop", "bench": "yes", "backrest": "yes"}, Seat.BACKREST),
        ({"public_transport": "platform", "bench": "yes", "backrest": "no"}, Seat.NO_BACKREST),
        ({"highway": "bus_stop", "bench": "no"}, Seat.NONE),
        ({"highway": "bus_stop"}, Seat.NONE),
        ({"bench": "yes"}, Seat.NONE),  # bench=* only counts on a stop
        ({"amenity": "bench", "backrest": "maybe"}, Seat.UNKNOWN),  # malformed → unknown
        ({}, Seat.NONE),
    ],
)
def test_seat_rule(tags: dict[str, str], seat: Seat) -> None:
    node = node_attributes(tags, Counter())
    assert node.seat is seat
    assert node.is_notable == (seat is not Seat.NONE)


def test_seat_on_the_network_is_built_stored_and_covered(tmp_path: Path) -> None:
    from graphs.build import build_graph
    from graphs.coverage import coverage_report, format_report
    from graphs.sources import RawOsm, RawWay
    from graphs.store import load_graph, save_graph

    lonlat = {i: (7.75 + 0.0005 * i, 49.44) for i in range(1, 7)}
    raw = RawOsm(
        ways=[RawWay(10, [1, 2, 3, 4, 5, 6], {"highway": "footway"})],
        node_lonlat=lonlat,
        node_tags={
            2: {"amenity": "bench", "backrest": "yes"},
            3: {"amenity": "bench"},
            5: {"highway": "bus_stop", "bench": "yes", "backrest": "no"},
            99: {"amenity": "bench"},  # not on the network
        },
        source="test",
    )
    graph, _ = build_graph(raw)
    seat = dict(zip(graph.node["osm_id"].tolist(), graph.node["seat"].tolist(), strict=True))
    assert seat == {1: Seat.NONE, 2: Seat.BACKREST, 3: Seat.UNKNOWN, 5: Seat.NO_BACKREST, 6: 0}
    loaded = load_graph(save_graph(graph, tmp_path / "g"))
    assert loaded.node["seat"].dtype == np.int8
    assert np.array_equal(loaded.node["seat"], graph.node["seat"])
    report = coverage_report(graph)
    assert report["counts"]["seat_nodes"] == 3
    assert report["counts"]["seat_nodes_with_backrest_known"] == 2
    assert "seat nodes with backrest known" in format_report(report)
    assert registry.attribute("node", "seat").coverage is Coverage.COUNT
