"""Tests for accessibility_rules.tags: OSM tag values and tag dicts → typed attributes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import (
    ASSUMED_KERB_HEIGHT_CM,
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.node_rules import EMPTY_NODE, NodeAttributes, node_attributes
from accessibility_rules.registry import (
    RELEVANT_NODE_KEYS,
    RELEVANT_WAY_KEY_PREFIXES,
    RELEVANT_WAY_KEYS,
    is_relevant_way_key,
)
from accessibility_rules.tag_reading import barrier_access
from accessibility_rules.tag_values import (
    MalformedTagError,
    highway_class,
    parse_acoustic_signal,
    parse_barrier,
    parse_crossing_kind,
    parse_incline,
    parse_kerb_height_cm,
    parse_kerb_kind,
    parse_lit,
    parse_sloped_curb,
    parse_smoothness,
    parse_step_count,
    parse_surface,
    parse_tactile_paving,
    parse_wheelchair,
    parse_width_m,
    parse_yes_no,
)
from accessibility_rules.tags import crossing_way_with_nodes
from accessibility_rules.way_rules import WayAttributes, is_pedestrian_way, way_attributes

TAN5 = math.tan(math.radians(5)) * 100


def _assert_malformed(parser: Callable[[str], object], value: str) -> None:
    """``parser(value)`` raises MalformedTagError naming the value."""
    with pytest.raises(MalformedTagError) as info:
        parser(value)
    assert repr(value) in str(info.value)
    assert info.value.value == value


# ------------------------------------------------------------------------------ error type


def test_malformed_tag_error_message_and_attributes() -> None:
    error = MalformedTagError("incline", "steep", "a slope")
    assert isinstance(error, ValueError)
    assert str(error) == "cannot read incline='steep' as a slope"
    assert error.key == "incline"
    assert error.value == "steep"


def test_parser_error_names_key() -> None:
    with pytest.raises(MalformedTagError, match=r"incline='steep'") as info:
        parse_incline("steep")
    assert info.value.key == "incline"


def test_parser_error_uses_given_key() -> None:
    with pytest.raises(MalformedTagError, match=r"maxwidth='wide'"):
        parse_width_m("wide", key="maxwidth")


# ------------------------------------------------------------------------------ incline


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6%", (6.0, 1)),
        ("-10 %", (-10.0, -1)),
        ("0%", (0.0, 0)),
        ("0", (0.0, 0)),
        ("-0%", (0.0, 0)),
        ("up", (None, 1)),
        ("down", (None, -1)),
        (" Up ", (None, 1)),
        ("6", (6.0, 1)),
        ("12.5%", (12.5, 1)),
        ("12,5%", (12.5, 1)),
        ("100%", (100.0, 1)),
        ("+3%", (3.0, 1)),
    ],
)
def test_parse_incline(value: str, expected: tuple[float | None, int]) -> None:
    assert parse_incline(value) == expected


@pytest.mark.parametrize("value", ["5°", "5 °", "5deg", "5 degrees"])
def test_parse_incline_degrees(value: str) -> None:
    percent, direction = parse_incline(value)
    assert percent == pytest.approx(TAN5)
    assert direction == 1


def test_parse_incline_negative_degrees() -> None:
    percent, direction = parse_incline("-10°")
    assert percent == pytest.approx(-math.tan(math.radians(10)) * 100)
    assert percent == pytest.approx(-17.63, abs=0.01)
    assert direction == -1


@pytest.mark.parametrize(
    "value",
    [
        "steep",
        "yes",
        "10%-15%",
        "",
        "   ",
        "nan",
        "inf",
        "-inf",
        "101%",
        "150",
        "90°",
        "95°",
        "6%%",
    ],
)
def test_parse_incline_malformed(value: str) -> None:
    _assert_malformed(parse_incline, value)


# ------------------------------------------------------------------------------ width


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", 1.5),
        ("1,5", 1.5),
        ("1.5 m", 1.5),
        ("1,5 m", 1.5),
        ("1.5m", 1.5),
        ("120 cm", 1.2),
        ("1200 mm", 1.2),
        ("4'", 4 * 0.3048),
        ("3'6\"", 3 * 0.3048 + 6 * 0.0254),
        (" 2 ", 2.0),
    ],
)
def test_parse_width_m(value: str, expected: float) -> None:
    assert parse_width_m(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    "value", ["est. 2", "0", "0 m", "100", "150 m", "wide", "", "-1", "1.5 km", "3'13\"", "nan"]
)
def test_parse_width_m_malformed(value: str) -> None:
    _assert_malformed(parse_width_m, value)


# ------------------------------------------------------------------------------ kerb height


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.03", 3.0),
        ("3 cm", 3.0),
        ("3cm", 3.0),
        ("30 mm", 3.0),
        ("0,03", 3.0),
        ("0.03 m", 3.0),
        ("0", 0.0),
        ("0.12", 12.0),
        ("50 cm", 50.0),
    ],
)
def test_parse_kerb_height_cm(value: str, expected: float) -> None:
    assert parse_kerb_height_cm(value) == expected


@pytest.mark.parametrize("value", ["3", "12", "0.6", "51 cm", "-0.03", "high", "", "3 inch"])
def test_parse_kerb_height_cm_malformed(value: str) -> None:
    _assert_malformed(parse_kerb_height_cm, value)


# ------------------------------------------------------------------------------ step count


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" 12 ", 12), ("1", 1)])
def test_parse_step_count(value: str, expected: int) -> None:
    assert parse_step_count(value) == expected


@pytest.mark.parametrize("value", ["0", "-3", "many", "12.5", "10-12", "", "١٢"])
def test_parse_step_count_malformed(value: str) -> None:
    _assert_malformed(parse_step_count, value)


# ------------------------------------------------------------------------------ surface


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("asphalt", SurfaceClass.ASPHALT),
        ("Asphalt ", SurfaceClass.ASPHALT),
        ("concrete", SurfaceClass.CONCRETE),
        ("concrete:plates", SurfaceClass.CONCRETE),
        ("concrete:lanes", SurfaceClass.CONCRETE),
        ("paving_stones", SurfaceClass.PAVING_STONES),
        ("paving_stones:30", SurfaceClass.PAVING_STONES),
        ("paved", SurfaceClass.PAVED),
        ("sett", SurfaceClass.SETT),
        ("cobblestone", SurfaceClass.COBBLESTONE),
        ("unhewn_cobblestone", SurfaceClass.COBBLESTONE),
        ("cobblestone:flattened", SurfaceClass.COBBLESTONE),
        ("compacted", SurfaceClass.COMPACTED),
        ("fine_gravel", SurfaceClass.FINE_GRAVEL),
        ("gravel", SurfaceClass.GRAVEL),
        ("pebblestone", SurfaceClass.GRAVEL),
        ("ground", SurfaceClass.GROUND),
        ("dirt", SurfaceClass.GROUND),
        ("earth", SurfaceClass.GROUND),
        ("mud", SurfaceClass.GROUND),
        ("sand", SurfaceClass.GROUND),
        ("grass", SurfaceClass.GRASS),
        ("grass_paver", SurfaceClass.GRASS_PAVER),
        ("wood", SurfaceClass.WOOD),
        ("metal", SurfaceClass.METAL),
        ("unpaved", SurfaceClass.UNPAVED),
        ("bricks", SurfaceClass.PAVING_STONES),
        ("chipseal", SurfaceClass.ASPHALT),
        ("rock", SurfaceClass.OTHER),
        ("stepping_stones", SurfaceClass.OTHER),
        ("artificial_turf", SurfaceClass.OTHER),
        ("tartan", SurfaceClass.OTHER),
        ("clay", SurfaceClass.OTHER),
        ("rubber", SurfaceClass.OTHER),
        ("plastic", SurfaceClass.OTHER),
    ],
)
def test_parse_surface(value: str, expected: SurfaceClass) -> None:
    assert parse_surface(value) == expected


@pytest.mark.parametrize(
    "value", ["", "nice", "asphalt;gravel", "paving_stones:", "smooth asphalt", "yes"]
)
def test_parse_surface_malformed(value: str) -> None:
    _assert_malformed(parse_surface, value)


# ------------------------------------------------------------------------------ smoothness


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("excellent", Smoothness.EXCELLENT),
        ("good", Smoothness.GOOD),
        ("intermediate", Smoothness.INTERMEDIATE),
        ("bad", Smoothness.BAD),
        ("very_bad", Smoothness.VERY_BAD),
        ("horrible", Smoothness.HORRIBLE),
        ("very_horrible", Smoothness.VERY_HORRIBLE),
        ("impassable", Smoothness.IMPASSABLE),
    ],
)
def test_parse_smoothness(value: str, expected: Smoothness) -> None:
    assert parse_smoothness(value) == expected


@pytest.mark.parametrize("value", ["", "ok", "very bad", "medium", "5"])
def test_parse_smoothness_malformed(value: str) -> None:
    _assert_malformed(parse_smoothness, value)


# ------------------------------------------------------------------------------ wheelchair


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", Wheelchair.YES),
        ("limited", Wheelchair.LIMITED),
        ("no", Wheelchair.NO),
        ("designated", Wheelchair.DESIGNATED),
    ],
)
def test_parse_wheelchair(value: str, expected: Wheelchair) -> None:
    assert parse_wheelchair(value) == expected


@pytest.mark.parametrize("value", ["", "maybe", "partial", "1"])
def test_parse_wheelchair_malformed(value: str) -> None:
    _assert_malformed(parse_wheelchair, value)


# ------------------------------------------------------------------------------ yes/no


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", Tri.YES),
        ("true", Tri.YES),
        ("1", Tri.YES),
        ("no", Tri.NO),
        ("false", Tri.NO),
        ("0", Tri.NO),
        ("none", Tri.NO),
        (" YES ", Tri.YES),
    ],
)
def test_parse_yes_no(value: str, expected: Tri) -> None:
    assert parse_yes_no(value) == expected


@pytest.mark.parametrize("value", ["", "maybe", "2", "y"])
def test_parse_yes_no_malformed(value: str) -> None:
    _assert_malformed(parse_yes_no, value)


# ------------------------------------------------------------------------------ lit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", Tri.YES),
        ("24/7", Tri.YES),
        ("automatic", Tri.YES),
        ("sunset-sunrise", Tri.YES),
        ("dusk-dawn", Tri.YES),
        ("Mo-Su sunset-sunrise", Tri.YES),
        ("sunset - sunrise", Tri.YES),
        ("(sunset-00:30)-(sunrise+00:30)", Tri.YES),  # on earlier, off later: still all night
        ("15:00-09:00", Tri.YES),  # before any German sunset, after any sunrise
        ("00:00-24:00", Tri.YES),
        ("Mo-Fr 18:00-06:00; Sa-Su sunset-sunrise; Mo-Su dusk-dawn", Tri.YES),
        ("no", Tri.NO),
        ("disused", Tri.NO),
        ("limited", Tri.NO),
        ("interval", Tri.NO),
        # timetables that leave part of some night dark: limited by their times
        ("Mo-Fr 06:00-22:00", Tri.NO),  # weekends dark, and after 22:00
        ("Mo-Su 05:00-01:00", Tri.NO),  # dark from 01:00 to 05:00
        ("sunset-01:00", Tri.NO),
        ("(sunset+01:00)-sunrise", Tri.NO),  # the first hour of the night is dark
        ("sunset-(sunrise-00:30)", Tri.NO),
        ("18:00-09:00", Tri.NO),  # a December evening is dark from about 16:30
        ("00:00-09:00", Tri.NO),
        ("Mo-Fr sunset-sunrise", Tri.NO),  # weekends dark
    ],
)
def test_parse_lit(value: str, expected: Tri) -> None:
    assert parse_lit(value) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"lit": "yes", "lit:time": "sunset-01:00"}, Tri.NO),  # switched off at 1 a.m.
        ({"lit": "yes", "lit:time": "sunset-sunrise"}, Tri.YES),
        ({"lit:time": "dusk-dawn"}, Tri.YES),
        ({"lit:time": "Mo-Fr 05:00-07:45"}, Tri.NO),
        ({"lit": "no", "lit:time": "sunset-sunrise"}, Tri.NO),  # no lamps: no schedule lights it
        ({"lit": "yes", "lit:time": "bright"}, Tri.YES),  # unreadable schedule: lit=yes stands
        ({"lit:time": "bright"}, Tri.UNKNOWN),
    ],
)
def test_lit_time_refines_lit(tags: dict[str, str], expected: Tri) -> None:
    malformed: Counter[str] = Counter()
    assert way_attributes({"highway": "footway", **tags}, malformed).lit is expected
    assert malformed == (
        Counter({"lit:time": 1}) if tags.get("lit:time") == "bright" else Counter()
    )


def test_lit_time_is_a_relevant_key() -> None:
    assert "lit:time" in RELEVANT_WAY_KEYS


@pytest.mark.parametrize("value", ["", "bright", "mo-fr", "sometimes 10:00", "off"])
def test_parse_lit_malformed(value: str) -> None:
    _assert_malformed(parse_lit, value)


# ------------------------------------------------------------------------------ tactile paving


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", Tri.YES),
        ("contrasted", Tri.YES),
        ("primitive", Tri.YES),
        ("no", Tri.NO),
        ("incorrect", Tri.NO),
        ("partial", Tri.NO),
    ],
)
def test_parse_tactile_paving(value: str, expected: Tri) -> None:
    assert parse_tactile_paving(value) == expected


@pytest.mark.parametrize("value", ["", "bumpy", "2"])
def test_parse_tactile_paving_malformed(value: str) -> None:
    _assert_malformed(parse_tactile_paving, value)


# ------------------------------------------------------------------------------ acoustic signal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", AcousticSignal.YES),
        ("no", AcousticSignal.NO),
        ("locate", AcousticSignal.LOCATE),
        ("walk_only", AcousticSignal.YES),
    ],
)
def test_parse_acoustic_signal(value: str, expected: AcousticSignal) -> None:
    assert parse_acoustic_signal(value) == expected


@pytest.mark.parametrize("value", ["", "beep", "loud"])
def test_parse_acoustic_signal_malformed(value: str) -> None:
    _assert_malformed(parse_acoustic_signal, value)


# ------------------------------------------------------------------------------ crossing kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("traffic_signals", CrossingKind.TRAFFIC_SIGNALS),
        ("traffic_signals;marked", CrossingKind.TRAFFIC_SIGNALS),
        ("marked", CrossingKind.MARKED),
        ("zebra", CrossingKind.MARKED),
        ("uncontrolled", CrossingKind.MARKED),
        ("unmarked", CrossingKind.UNMARKED),
        ("informal", CrossingKind.INFORMAL),
        ("island", CrossingKind.UNKNOWN),
        ("marked;island", CrossingKind.MARKED),
        ("no", CrossingKind.NONE),
    ],
)
def test_parse_crossing_kind(value: str, expected: CrossingKind) -> None:
    assert parse_crossing_kind(value) == expected


@pytest.mark.parametrize(
    "value", ["", "yes", "pedestrian", "no;marked", "marked;", "zebra crossing"]
)
def test_parse_crossing_kind_malformed(value: str) -> None:
    _assert_malformed(parse_crossing_kind, value)


# ------------------------------------------------------------------------------ kerb kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("raised", KerbKind.RAISED),
        ("lowered", KerbKind.LOWERED),
        ("rolled", KerbKind.ROLLED),
        ("flush", KerbKind.FLUSH),
        ("no", KerbKind.FLUSH),
        ("yes", KerbKind.UNKNOWN),
        ("regular", KerbKind.RAISED),
    ],
)
def test_parse_kerb_kind(value: str, expected: KerbKind) -> None:
    assert parse_kerb_kind(value) == expected


@pytest.mark.parametrize("value", ["", "high", "0.03", "lowered;raised"])
def test_parse_kerb_kind_malformed(value: str) -> None:
    _assert_malformed(parse_kerb_kind, value)


# ------------------------------------------------------------------------------ sloped_curb


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", KerbKind.FLUSH),
        ("at_grade", KerbKind.FLUSH),
        ("flush", KerbKind.FLUSH),
        ("yes", KerbKind.LOWERED),
        ("both", KerbKind.LOWERED),
        ("one_side", KerbKind.LOWERED),
        ("no", KerbKind.RAISED),
        ("0.03", KerbKind.LOWERED),
        ("0,03", KerbKind.LOWERED),
        ("3 cm", KerbKind.LOWERED),
        ("0.02", KerbKind.LOWERED),
        ("0.04", KerbKind.RAISED),
        ("5 cm", KerbKind.RAISED),
    ],
)
def test_parse_sloped_curb(value: str, expected: KerbKind) -> None:
    assert parse_sloped_curb(value) == expected


@pytest.mark.parametrize("value", ["", "3", "gentle", "left"])
def test_parse_sloped_curb_malformed(value: str) -> None:
    _assert_malformed(parse_sloped_curb, value)


# ------------------------------------------------------------------------------ barrier


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bollard", BarrierKind.BOLLARD),
        ("gate", BarrierKind.GATE),
        ("lift_gate", BarrierKind.LIFT_GATE),
        ("swing_gate", BarrierKind.SWING_GATE),
        ("stile", BarrierKind.STILE),
        ("turnstile", BarrierKind.TURNSTILE),
        ("full-height_turnstile", BarrierKind.FULL_HEIGHT_TURNSTILE),
        ("kissing_gate", BarrierKind.KISSING_GATE),
        ("cycle_barrier", BarrierKind.CYCLE_BARRIER),
        ("block", BarrierKind.BLOCK),
        ("chain", BarrierKind.CHAIN),
        ("entrance", BarrierKind.ENTRANCE),
        ("kerb", BarrierKind.NONE),
        ("no", BarrierKind.NONE),
        ("fence", BarrierKind.FENCE),
        ("wall", BarrierKind.WALL),
        ("hedge", BarrierKind.HEDGE),
        ("border_control", BarrierKind.BORDER_CONTROL),
        ("toll_booth", BarrierKind.TOLL_BOOTH),
        ("height_restrictor", BarrierKind.HEIGHT_RESTRICTOR),
        ("debris", BarrierKind.DEBRIS),
        ("Cattle_Grid", BarrierKind.CATTLE_GRID),
        ("sliding_gate", BarrierKind.SLIDING_GATE),
        ("yes", BarrierKind.UNKNOWN),  # an unspecified barrier: passability unknown
        ("dragons_teeth", BarrierKind.UNKNOWN),  # not in the table: unknown, not passable
        ("unknown", BarrierKind.UNKNOWN),
    ],
)
def test_parse_barrier(value: str, expected: BarrierKind) -> None:
    assert parse_barrier(value) == expected


@pytest.mark.parametrize("value", ["", "a big rock", "gate;bollard"])
def test_parse_barrier_malformed(value: str) -> None:
    _assert_malformed(parse_barrier, value)


# ------------------------------------------------------------------------------ highway class


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("footway", HighwayClass.FOOTWAY),
        ("path", HighwayClass.PATH),
        ("pedestrian", HighwayClass.PEDESTRIAN),
        ("living_street", HighwayClass.LIVING_STREET),
        ("residential", HighwayClass.RESIDENTIAL),
        ("service", HighwayClass.SERVICE),
        ("steps", HighwayClass.STEPS),
        ("cycleway", HighwayClass.CYCLEWAY),
        ("track", HighwayClass.TRACK),
        ("bridleway", HighwayClass.BRIDLEWAY),
        ("platform", HighwayClass.PLATFORM),
        ("elevator", HighwayClass.ELEVATOR),
        ("corridor", HighwayClass.CORRIDOR),
        ("unclassified", HighwayClass.UNCLASSIFIED),
        ("tertiary", HighwayClass.TERTIARY),
        ("tertiary_link", HighwayClass.TERTIARY),
        ("secondary", HighwayClass.SECONDARY),
        ("secondary_link", HighwayClass.SECONDARY),
        ("primary", HighwayClass.PRIMARY),
        ("primary_link", HighwayClass.PRIMARY),
        ("trunk", HighwayClass.TRUNK),
        ("trunk_link", HighwayClass.TRUNK),
        ("road", HighwayClass.ROAD),
        ("motorway", HighwayClass.OTHER),
        ("bus_stop", HighwayClass.OTHER),
        ("", HighwayClass.OTHER),
    ],
)
def test_highway_class(value: str, expected: HighwayClass) -> None:
    assert highway_class(value) == expected


# ------------------------------------------------------------------------------ pedestrian ways


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "path"}, True),
        ({"highway": "pedestrian"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "service"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "track"}, True),
        ({"highway": "bridleway"}, True),
        ({"highway": "platform"}, True),
        ({"highway": "elevator"}, True),
        ({"highway": "corridor"}, True),
        ({"highway": "unclassified"}, True),
        ({"highway": "road"}, True),
        ({"highway": "tertiary_link"}, True),
        ({"highway": "secondary"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "yes"}, True),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "cycleway", "foot": "permissive"}, True),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "foot": "yes"}, True),
        ({"highway": "trunk_link", "sidewalk": "right"}, True),
        ({"highway": "trunk", "sidewalk:both": "yes"}, True),
        ({"highway": "trunk", "sidewalk": "separate"}, False),
        ({"public_transport": "platform"}, True),
        ({"railway": "platform"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway", "foot": "yes"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "abandoned"}, False),
        ({"highway": "razed"}, False),
        ({"highway": "raceway"}, False),
        ({"highway": "bus_guideway"}, False),
        ({"highway": "escape"}, False),
        ({"highway": "busway"}, False),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "residential", "foot": "use_sidepath"}, True),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "no"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "footway", "access": "no", "foot": "designated"}, True),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "footway", "footway": "crossing", "crossing": "no"}, False),
        ({"highway": "footway", "footway": "crossing", "crossing": "marked"}, True),
        ({"highway": "crossing", "crossing": "no"}, False),
        ({"building": "yes"}, False),
        ({}, False),
    ],
)
def test_is_pedestrian_way(tags: dict[str, str], expected: bool) -> None:
    assert is_pedestrian_way(tags) is expected


# ------------------------------------------------------------------------------ way attributes


def test_way_crossing_with_lowered_kerb() -> None:
    malformed: Counter[str] = Counter()
    tags = {"highway": "footway", "footway": "crossing", "crossing": "marked", "kerb": "lowered"}
    way = way_attributes(tags, malformed)
    assert way.highway is HighwayClass.FOOTWAY
    assert way.crossing is CrossingKind.MARKED
    assert way.kerb is KerbKind.LOWERED
    assert way.kerb_height_cm == ASSUMED_KERB_HEIGHT_CM[KerbKind.LOWERED]
    assert way.kerb_height_source is KerbHeightSource.DERIVED
    assert way.sidewalk is Sidewalk.NOT_APPLICABLE
    assert not malformed


def test_way_untagged_crossing_is_unknown_kind_without_kerb() -> None:
    way = way_attributes({"highway": "footway", "footway": "crossing"}, Counter())
    assert way.crossing is CrossingKind.UNKNOWN
    assert way.kerb is KerbKind.NONE


def test_way_not_a_crossing() -> None:
    way = way_attributes({"highway": "footway", "crossing": "marked"}, Counter())
    assert way.crossing is CrossingKind.NONE


def test_road_with_sidewalk_both_uses_sidewalk_surface_not_carriageway_width() -> None:
    malformed: Counter[str] = Counter()
    tags = {
        "highway": "residential",
        "sidewalk": "both",
        "sidewalk:both:surface": "sett",
        "surface": "asphalt",
        "width": "7",
    }
    way = way_attributes(tags, malformed)
    assert way.sidewalk is Sidewalk.PRESENT
    assert way.width_m is None
    assert way.surface is SurfaceClass.SETT
    assert not malformed


def test_road_with_sidewalk_falls_back_to_road_surface() -> None:
    tags = {"highway": "residential", "sidewalk": "both", "surface": "asphalt", "width": "7"}
    way = way_attributes(tags, Counter())
    assert way.surface is SurfaceClass.ASPHALT
    assert way.width_m is None


def test_road_sidewalk_sides_take_worse_value() -> None:
    tags = {
        "highway": "tertiary",
        "sidewalk": "both",
        "sidewalk:left:width": "2.0",
        "sidewalk:right:width": "1.2",
        "sidewalk:left:smoothness": "good",
        "sidewalk:right:smoothness": "bad",
        "sidewalk:left:kerb": "lowered",
        "sidewalk:right:kerb": "raised",
        "sidewalk:left:surface": "paving_stones",
        "sidewalk:right:surface": "sett",
    }
    way = way_attributes(tags, Counter())
    assert way.width_m == 1.2
    assert way.smoothness is Smoothness.BAD
    assert way.kerb is KerbKind.RAISED
    assert way.kerb_height_cm == ASSUMED_KERB_HEIGHT_CM[KerbKind.RAISED]
    assert way.surface is SurfaceClass.PAVING_STONES  # left wins: surfaces have no order


def test_road_sidewalk_only_present_side_counts() -> None:
    tags = {
        "highway": "residential",
        "sidewalk": "right",
        "sidewalk:left:width": "0.5",
        "sidewalk:right:width": "1.8",
    }
    way = way_attributes(tags, Counter())
    assert way.width_m == 1.8


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"sidewalk": "both"}, Sidewalk.PRESENT),
        ({"sidewalk": "left"}, Sidewalk.PRESENT),
        ({"sidewalk": "right"}, Sidewalk.PRESENT),
        ({"sidewalk": "yes"}, Sidewalk.PRESENT),
        ({"sidewalk": "no"}, Sidewalk.NONE),
        ({"sidewalk": "none"}, Sidewalk.NONE),
        ({"sidewalk": "separate"}, Sidewalk.SEPARATE),
        ({"sidewalk:both": "separate"}, Sidewalk.SEPARATE),
        ({"sidewalk:both": "no"}, Sidewalk.NONE),
        ({"sidewalk:both": "yes"}, Sidewalk.PRESENT),
        ({"sidewalk:left": "separate", "sidewalk:right": "no"}, Sidewalk.SEPARATE),
        ({"sidewalk:left": "separate"}, Sidewalk.SEPARATE),
        ({"sidewalk:left": "separate", "sidewalk:right": "yes"}, Sidewalk.PRESENT),
        ({"sidewalk:left": "no", "sidewalk:right": "no"}, Sidewalk.NONE),
        ({"sidewalk:left": "no"}, Sidewalk.UNKNOWN),
        ({"sidewalk": "no", "sidewalk:right": "yes"}, Sidewalk.PRESENT),
        ({"foot": "use_sidepath"}, Sidewalk.SEPARATE),
        ({"sidewalk": "no", "foot": "use_sidepath"}, Sidewalk.SEPARATE),
        ({}, Sidewalk.UNKNOWN),
    ],
)
def test_road_sidewalk_state(tags: dict[str, str], expected: Sidewalk) -> None:
    way = way_attributes({"highway": "residential", **tags}, Counter())
    assert way.sidewalk is expected


def test_road_with_sidewalk_separate() -> None:
    malformed: Counter[str] = Counter()
    tags = {"highway": "secondary", "sidewalk": "separate", "width": "9", "surface": "asphalt"}
    way = way_attributes(tags, malformed)
    assert way.sidewalk is Sidewalk.SEPARATE
    assert way.width_m is None
    assert way.surface is SurfaceClass.ASPHALT
    assert way.highway is HighwayClass.SECONDARY
    assert not malformed


@pytest.mark.parametrize("highway", ["footway", "path", "steps", "platform", "cycleway"])
def test_non_road_sidewalk_not_applicable_and_width_used(highway: str) -> None:
    way = way_attributes({"highway": highway, "width": "1.5"}, Counter())
    assert way.sidewalk is Sidewalk.NOT_APPLICABLE
    assert way.width_m == 1.5


def test_non_road_est_width_fallback() -> None:
    malformed: Counter[str] = Counter()
    way = way_attributes({"highway": "footway", "width": "wide", "est_width": "2"}, malformed)
    assert way.width_m == 2.0
    assert malformed == Counter({"width": 1})


def test_steps_with_step_count_and_handrail() -> None:
    malformed: Counter[str] = Counter()
    tags = {"highway": "steps", "step_count": "12", "handrail:right": "yes", "handrail:left": "no"}
    way = way_attributes(tags, malformed)
    assert way.is_steps
    assert way.highway is HighwayClass.STEPS
    assert way.step_count == 12
    assert way.handrail is Tri.YES
    assert not malformed


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"handrail": "yes"}, Tri.YES),
        ({"handrail": "no"}, Tri.NO),
        ({"handrail:left": "no", "handrail:right": "no"}, Tri.NO),
        ({"handrail:center": "yes"}, Tri.YES),
        ({"handrail": "no", "handrail:center": "yes"}, Tri.YES),
        ({}, Tri.UNKNOWN),
    ],
)
def test_handrail(tags: dict[str, str], expected: Tri) -> None:
    assert way_attributes({"highway": "steps", **tags}, Counter()).handrail is expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"ramp:wheelchair": "yes"}, Tri.YES),
        ({"ramp:wheelchair": "no"}, Tri.NO),
        ({"ramp:wheelchair": "separate"}, Tri.NO),
        ({"ramp": "yes"}, Tri.UNKNOWN),
        ({"ramp": "yes", "ramp:bicycle": "yes"}, Tri.UNKNOWN),
        ({"ramp:stroller": "yes"}, Tri.UNKNOWN),
        ({"ramp": "no"}, Tri.NO),
        ({}, Tri.UNKNOWN),
    ],
)
def test_ramp_wheelchair(tags: dict[str, str], expected: Tri) -> None:
    assert way_attributes({"highway": "steps", **tags}, Counter()).ramp_wheelchair is expected


def test_incline_up_is_direction_only() -> None:
    way = way_attributes({"highway": "steps", "incline": "up"}, Counter())
    assert way.incline_percent is None
    assert way.incline_source is InclineSource.TAG_DIRECTION_ONLY
    assert way.incline_direction == 1


def test_incline_percent_is_tagged() -> None:
    way = way_attributes({"highway": "footway", "incline": "-6%"}, Counter())
    assert way.incline_percent == -6.0
    assert way.incline_source is InclineSource.TAG
    assert way.incline_direction == -1


def test_malformed_incline_is_counted_and_unknown() -> None:
    malformed: Counter[str] = Counter()
    way = way_attributes({"highway": "footway", "incline": "steep"}, malformed)
    assert way.incline_percent is None
    assert way.incline_source is InclineSource.UNKNOWN
    assert malformed["incline"] == 1


def test_untagged_way_is_unknown_everywhere() -> None:
    way = way_attributes({"highway": "footway"}, Counter())
    assert way == WayAttributes(
        highway=HighwayClass.FOOTWAY,
        is_steps=False,
        step_count=None,
        handrail=Tri.UNKNOWN,
        incline_percent=None,
        incline_source=InclineSource.UNKNOWN,
        width_m=None,
        surface=SurfaceClass.UNKNOWN,
        smoothness=Smoothness.UNKNOWN,
        wheelchair=Wheelchair.UNKNOWN,
        lit=Tri.UNKNOWN,
        sidewalk=Sidewalk.NOT_APPLICABLE,
        is_sidewalk=False,
        crossing=CrossingKind.NONE,
        acoustic_signal=AcousticSignal.UNKNOWN,
        vibration_signal=Tri.UNKNOWN,
        tactile_paving=Tri.UNKNOWN,
        kerb=KerbKind.NONE,
        kerb_height_cm=None,
        kerb_height_source=KerbHeightSource.UNKNOWN,
        is_elevator=False,
        ramp_wheelchair=Tri.UNKNOWN,
        name=None,
    )


def test_way_plain_attributes() -> None:
    tags = {
        "highway": "footway",
        "footway": "sidewalk",
        "surface": "paving_stones",
        "smoothness": "good",
        "wheelchair": "yes",
        "lit": "yes",
        "name": "Marktstraße",
    }
    way = way_attributes(tags, Counter())
    assert way.is_sidewalk
    assert way.surface is SurfaceClass.PAVING_STONES
    assert way.smoothness is Smoothness.GOOD
    assert way.wheelchair is Wheelchair.YES
    assert way.lit is Tri.YES
    assert way.name == "Marktstraße"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "path", "is_sidepath": "yes"}, True),
        ({"highway": "footway", "is_sidepath": "yes"}, True),
        ({"highway": "cycleway", "is_sidepath": "yes"}, False),
        ({"highway": "footway"}, False),
    ],
)
def test_is_sidewalk(tags: dict[str, str], expected: bool) -> None:
    assert way_attributes(tags, Counter()).is_sidewalk is expected


def test_elevator_and_platform_ways() -> None:
    assert way_attributes({"highway": "elevator"}, Counter()).is_elevator
    platform = way_attributes({"railway": "platform"}, Counter())
    assert platform.highway is HighwayClass.PLATFORM
    assert platform.sidewalk is Sidewalk.NOT_APPLICABLE


def test_way_crossing_signals() -> None:
    tags = {
        "highway": "footway",
        "footway": "crossing",
        "crossing": "traffic_signals",
        "traffic_signals:sound": "locate",
        "traffic_signals:vibration": "yes",
        "tactile_paving": "contrasted",
    }
    way = way_attributes(tags, Counter())
    assert way.crossing is CrossingKind.TRAFFIC_SIGNALS
    assert way.acoustic_signal is AcousticSignal.LOCATE
    assert way.vibration_signal is Tri.YES
    assert way.tactile_paving is Tri.YES


def test_way_malformed_values_are_counted_per_key() -> None:
    malformed: Counter[str] = Counter()
    tags = {
        "highway": "footway",
        "surface": "nice",
        "smoothness": "ok",
        "lit": "bright",
        "wheelchair": "maybe",
        "step_count": "many",
    }
    way = way_attributes(tags, malformed)
    assert way.surface is SurfaceClass.UNKNOWN
    assert way.smoothness is Smoothness.UNKNOWN
    assert way.lit is Tri.UNKNOWN
    assert way.wheelchair is Wheelchair.UNKNOWN
    assert way.step_count is None
    assert malformed == Counter(dict.fromkeys(tags.keys() - {"highway"}, 1))


# ------------------------------------------------------------------------------ node attributes


def test_node_kerb_height_lowered() -> None:
    malformed: Counter[str] = Counter()
    node = node_attributes({"barrier": "kerb", "kerb:height": "0.03"}, malformed)
    assert node.kerb is KerbKind.LOWERED
    assert node.kerb_height_cm == 3.0
    assert node.kerb_height_source is KerbHeightSource.TAG
    assert node.barrier is BarrierKind.NONE
    assert not malformed


@pytest.mark.parametrize(
    ("tags", "kind", "height", "source"),
    [
        ({"kerb:height": "0"}, KerbKind.FLUSH, 0.0, KerbHeightSource.TAG),
        ({"kerb:height": "0.08"}, KerbKind.RAISED, 8.0, KerbHeightSource.TAG),
        ({"kerb:height": "0.04", "kerb": "rolled"}, KerbKind.ROLLED, 4.0, KerbHeightSource.TAG),
        ({"kerb": "raised"}, KerbKind.RAISED, 12.0, KerbHeightSource.DERIVED),
        ({"kerb": "no"}, KerbKind.FLUSH, 0.0, KerbHeightSource.DERIVED),
        ({"kerb": "yes"}, KerbKind.UNKNOWN, None, KerbHeightSource.UNKNOWN),
        ({"sloped_curb": "yes"}, KerbKind.LOWERED, 3.0, KerbHeightSource.DERIVED),
        ({"sloped_curb": "0.05"}, KerbKind.RAISED, 5.0, KerbHeightSource.TAG),
        ({"barrier": "kerb"}, KerbKind.UNKNOWN, None, KerbHeightSource.UNKNOWN),
        ({"barrier": "kerb", "kerb": "flush"}, KerbKind.FLUSH, 0.0, KerbHeightSource.DERIVED),
        (
            {"highway": "crossing", "kerb:left": "lowered", "kerb:right": "raised"},
            KerbKind.RAISED,
            12.0,
            KerbHeightSource.DERIVED,
        ),
        ({"kerb:height": "3"}, KerbKind.UNKNOWN, None, KerbHeightSource.UNKNOWN),
        ({}, KerbKind.NONE, None, KerbHeightSource.UNKNOWN),
    ],
)
def test_node_kerb(
    tags: dict[str, str], kind: KerbKind, height: float | None, source: KerbHeightSource
) -> None:
    node = node_attributes(tags, Counter())
    assert (node.kerb, node.kerb_height_cm, node.kerb_height_source) == (kind, height, source)


def test_node_barrier_kerb_only_is_unknown() -> None:
    node = node_attributes({"barrier": "kerb"}, Counter())
    assert node.kerb is KerbKind.UNKNOWN
    assert node.kerb_height_cm is None
    assert node.kerb_height_source is KerbHeightSource.UNKNOWN
    assert node.is_notable


def test_crossing_node_with_sound_and_tactile_paving() -> None:
    malformed: Counter[str] = Counter()
    tags = {
        "highway": "crossing",
        "crossing": "traffic_signals",
        "traffic_signals:sound": "yes",
        "tactile_paving": "yes",
        "button_operated": "yes",
    }
    node = node_attributes(tags, malformed)
    assert node.crossing is CrossingKind.TRAFFIC_SIGNALS
    assert node.acoustic_signal is AcousticSignal.YES
    assert node.tactile_paving is Tri.YES
    assert node.button_operated is Tri.YES
    assert node.is_notable
    assert not malformed


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "crossing"}, CrossingKind.UNKNOWN),
        ({"highway": "crossing", "crossing": "zebra"}, CrossingKind.MARKED),
        ({"railway": "crossing"}, CrossingKind.UNKNOWN),
        ({"highway": "traffic_signals"}, CrossingKind.NONE),
        (
            {"highway": "traffic_signals", "crossing": "traffic_signals"},
            CrossingKind.TRAFFIC_SIGNALS,
        ),
        ({"crossing": "marked"}, CrossingKind.NONE),
    ],
)
def test_node_crossing(tags: dict[str, str], expected: CrossingKind) -> None:
    assert node_attributes(tags, Counter()).crossing is expected


def test_node_maxwidth_prefers_physical() -> None:
    node = node_attributes(
        {"barrier": "bollard", "maxwidth:physical": "0,9", "maxwidth": "2"}, Counter()
    )
    assert node.maxwidth_m == 0.9
    assert node.barrier is BarrierKind.BOLLARD
    malformed: Counter[str] = Counter()
    node = node_attributes({"maxwidth:physical": "narrow", "maxwidth": "1.1"}, malformed)
    assert node.maxwidth_m == 1.1
    assert malformed == Counter({"maxwidth:physical": 1})


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"entrance": "main"}, True),
        ({"entrance": "yes"}, True),
        ({"door": "hinged"}, True),
        ({"entrance": "no"}, False),
        ({}, False),
    ],
)
def test_node_is_entrance(tags: dict[str, str], expected: bool) -> None:
    assert node_attributes(tags, Counter()).is_entrance is expected


def test_node_elevator_and_wheelchair() -> None:
    node = node_attributes({"highway": "elevator", "wheelchair": "yes"}, Counter())
    assert node.is_elevator
    assert node.wheelchair is Wheelchair.YES


@pytest.mark.parametrize(
    "tags",
    [{}, {"highway": "street_lamp"}, {"name": "x", "created_by": "JOSM"}, {"highway": "stop"}],
)
def test_ordinary_node_is_not_notable(tags: dict[str, str]) -> None:
    node = node_attributes(tags, Counter())
    assert node == EMPTY_NODE
    assert not node.is_notable


def test_node_malformed_counted() -> None:
    malformed: Counter[str] = Counter()
    node = node_attributes({"highway": "crossing", "crossing": "sure", "kerb": "tall"}, malformed)
    assert node.crossing is CrossingKind.UNKNOWN
    assert node.kerb is KerbKind.UNKNOWN
    assert malformed == Counter({"crossing": 1, "kerb": 1})


# ------------------------------------------------------------------------------ relevant keys


def test_relevant_keys() -> None:
    for key in ("kerb", "kerb:height", "barrier", "crossing", "maxwidth:physical", "door"):
        assert key in RELEVANT_NODE_KEYS
    for key in ("highway", "incline", "sidewalk:left:surface", "handrail:right", "foot"):
        assert key in RELEVANT_WAY_KEYS
    assert "sidewalk:" in RELEVANT_WAY_KEY_PREFIXES
    assert is_relevant_way_key("ramp:wheelchair")
    assert is_relevant_way_key("sidewalk:both:width")
    assert not is_relevant_way_key("created_by")


def test_irrelevant_tags_do_not_change_results() -> None:
    tags = {
        "highway": "residential",
        "sidewalk": "both",
        "sidewalk:right:width": "1.6",
        "handrail:left": "yes",
        "ramp:wheelchair": "no",
        "created_by": "JOSM",
        "maxspeed": "30",
    }
    kept = {key: value for key, value in tags.items() if is_relevant_way_key(key)}
    assert way_attributes(kept, Counter()) == way_attributes(tags, Counter())
    node_tags = {"barrier": "kerb", "kerb": "lowered", "note": "checked"}
    kept_node = {key: value for key, value in node_tags.items() if key in RELEVANT_NODE_KEYS}
    assert node_attributes(kept_node, Counter()) == node_attributes(node_tags, Counter())


# ------------------------------------------------------------------------------ robustness

_PLAUSIBLE_VALUES = [
    "yes",
    "no",
    "both",
    "left",
    "right",
    "separate",
    "crossing",
    "sidewalk",
    "footway",
    "residential",
    "trunk",
    "steps",
    "kerb",
    "lowered",
    "raised",
    "0.03",
    "3",
    "6%",
    "-5°",
    "up",
    "1,5 m",
    "sett",
    "bad",
    "traffic_signals",
    "use_sidepath",
    "platform",
    "",
    " ",
]
_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(_PLAUSIBLE_VALUES))
# The first run builds Hypothesis' unicode cache, which can trip the input-speed health check.
_ROBUSTNESS = settings(suppress_health_check=[HealthCheck.too_slow])


@_ROBUSTNESS
@given(st.dictionaries(st.sampled_from(sorted(RELEVANT_WAY_KEYS)), _VALUES, max_size=20))
def test_way_attributes_never_raises(tags: dict[str, str]) -> None:
    malformed: Counter[str] = Counter()
    way = way_attributes(tags, malformed)
    assert isinstance(way, WayAttributes)
    assert isinstance(is_pedestrian_way(tags), bool)
    assert set(malformed) <= set(tags)


@_ROBUSTNESS
@given(st.dictionaries(st.sampled_from(sorted(RELEVANT_NODE_KEYS)), _VALUES, max_size=20))
def test_node_attributes_never_raises(tags: dict[str, str]) -> None:
    malformed: Counter[str] = Counter()
    node = node_attributes(tags, malformed)
    assert isinstance(node, NodeAttributes)
    assert isinstance(node.is_notable, bool)
    assert set(malformed) <= set(tags)


# --- crossing ways merged with their crossing nodes (issue 10, item 4) ---------------------------


def _crossing_way(**tags: str) -> WayAttributes:
    return way_attributes({"highway": "footway", "footway": "crossing", **tags}, Counter())


def _crossing_node(**tags: str) -> NodeAttributes:
    return node_attributes({"highway": "crossing", **tags}, Counter())


def test_crossing_way_known_node_beats_unknown_way() -> None:
    way = crossing_way_with_nodes(
        _crossing_way(),
        [
            EMPTY_NODE,
            _crossing_node(crossing="traffic_signals", **{"traffic_signals:sound": "yes"}),
        ],
    )
    assert way.crossing is CrossingKind.TRAFFIC_SIGNALS
    assert way.acoustic_signal is AcousticSignal.YES
    assert way.tactile_paving is Tri.UNKNOWN  # nobody knows


def test_crossing_way_known_way_beats_unknown_node() -> None:
    way = crossing_way_with_nodes(
        _crossing_way(crossing="marked", tactile_paving="yes"), [_crossing_node(crossing="island")]
    )
    assert way.crossing is CrossingKind.MARKED
    assert way.tactile_paving is Tri.YES


def test_crossing_way_node_wins_when_both_known() -> None:
    way = crossing_way_with_nodes(
        _crossing_way(crossing="unmarked", **{"traffic_signals:sound": "no"}),
        [_crossing_node(crossing="traffic_signals", **{"traffic_signals:sound": "yes"})],
    )
    assert way.crossing is CrossingKind.TRAFFIC_SIGNALS
    assert way.acoustic_signal is AcousticSignal.YES


def test_crossing_way_over_two_nodes_takes_the_worst_known() -> None:
    way = crossing_way_with_nodes(
        _crossing_way(),
        [
            _crossing_node(crossing="traffic_signals", **{"traffic_signals:sound": "yes"}),
            _crossing_node(crossing="island"),
            _crossing_node(crossing="marked", **{"traffic_signals:sound": "locate"}),
        ],
    )
    assert way.crossing is CrossingKind.MARKED
    assert way.acoustic_signal is AcousticSignal.LOCATE


def test_non_crossing_way_is_unchanged() -> None:
    way = way_attributes({"highway": "footway"}, Counter())
    assert crossing_way_with_nodes(way, [_crossing_node(crossing="marked")]) is way


# --- barrier access overrides (issue 10, item 7) ---------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"barrier": "gate"}, Tri.UNKNOWN),
        ({"barrier": "gate", "access": "no"}, Tri.NO),
        ({"barrier": "gate", "access": "private"}, Tri.NO),
        ({"barrier": "gate", "access": "no", "foot": "yes"}, Tri.YES),  # specific beats general
        ({"barrier": "gate", "access": "yes", "foot": "no"}, Tri.NO),
        ({"barrier": "cycle_barrier", "foot": "designated"}, Tri.YES),
        ({"barrier": "gate", "access": "destination"}, Tri.YES),
        ({"barrier": "gate", "foot": "use_sidepath", "access": "no"}, Tri.NO),
        ({"access": "no"}, Tri.UNKNOWN),  # no barrier: nothing to override
        ({"barrier": "kerb", "access": "no"}, Tri.UNKNOWN),
    ],
)
def test_barrier_access(tags: dict[str, str], expected: Tri) -> None:
    assert barrier_access(tags) is expected
    assert node_attributes(tags, Counter()).barrier_access is expected


def test_access_tag_alone_does_not_make_a_node_notable() -> None:
    assert not node_attributes({"access": "private"}, Counter()).is_notable
