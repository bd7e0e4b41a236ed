"""A crossing's traffic island (``crossing:island``): read, kept with the crossing, reported and
said, so that a blind person knows the road is crossed in two parts (PRODUCT.md 7: "signals
with sound, tactile paving, islands").

An island is a fact of the crossing like its vibration signal: it changes no cost, it is
listed with the crossing's other facts (``crossing_island``: yes, no or unknown) and said in
the steps where it is known to be there.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from accessibility_rules.attributes import CrossingKind, Tri
from accessibility_rules.effective import effective_edges
from accessibility_rules.node_rules import node_attributes
from accessibility_rules.tags import crossing_way_with_nodes
from accessibility_rules.way_rules import way_attributes
from routing.instructions import instructions
from routing.wording import describe_barrier

WEST_END = (49.44000, 7.75862)  # road_junctions.osm node 1
EAST_END = (49.44000, 7.76690)  # node 7


@pytest.mark.parametrize(
    ("tags", "island"),
    [
        ({"highway": "crossing", "crossing:island": "yes"}, Tri.YES),
        ({"highway": "crossing", "crossing:island": "no"}, Tri.NO),
        ({"highway": "crossing", "crossing": "island"}, Tri.YES),  # the older tagging
        ({"highway": "crossing", "crossing": "traffic_signals;island"}, Tri.YES),
        ({"highway": "crossing", "crossing": "traffic_signals"}, Tri.UNKNOWN),
        ({"highway": "crossing", "crossing": "island", "crossing:island": "no"}, Tri.NO),
    ],
)
def test_the_island_is_read_from_a_node_and_a_way(tags: dict[str, str], island: Tri) -> None:
    malformed: Counter[str] = Counter()
    assert node_attributes(tags, malformed).crossing_island == island
    way = {"highway": "footway", "footway": "crossing", **{k: v for k, v in tags.items() if k != "highway"}}  # fmt: skip
    assert way_attributes(way, malformed).crossing_island == island
    assert not malformed


def test_an_unreadable_island_is_unknown_and_counted() -> None:
    malformed: Counter[str] = Counter()
    node = node_attributes({"highway": "crossing", "crossing:island": "perhaps"}, malformed)
    assert node.crossing_island == Tri.UNKNOWN
    assert malformed["crossing:island"] == 1


def test_a_crossing_way_takes_the_island_of_its_crossing_node() -> None:
    malformed: Counter[str] = Counter()
    way = way_attributes({"highway": "footway", "footway": "crossing", "crossing": "marked"}, malformed)  # fmt: skip
    node = node_attributes({"highway": "crossing", "crossing": "marked", "crossing:island": "yes"}, malformed)  # fmt: skip
    assert crossing_way_with_nodes(way, [node]).crossing_island == Tri.YES


def test_the_crossing_node_on_a_junction_reports_and_says_its_island(
    road_junctions_router: Any,
) -> None:
    router = road_junctions_router
    g = router.graph
    node5 = int(np.flatnonzero(g.node["osm_id"] == 5)[0])
    eff = effective_edges(g)
    into = (g.head == node5) & (eff.crossing == CrossingKind.TRAFFIC_SIGNALS)
    assert into.any()
    island = eff.crossing_island
    assert island is not None
    assert np.all(island[into] == Tri.YES)
    assert np.all(island[eff.crossing == CrossingKind.JUNCTION] == Tri.UNKNOWN)

    route = router.route(WEST_END, EAST_END, "blind")
    signals = [b for b in route.barriers if b.details.get("crossing") == "traffic_signals"]
    assert [b.details["crossing_island"] for b in signals] == ["yes"]
    unmapped = [b for b in route.barriers if b.details.get("crossing") == "junction"]
    assert unmapped
    assert {b.details["crossing_island"] for b in unmapped} == {"unknown"}
    de = " ".join(s.text for s in instructions(route, "de"))
    en = " ".join(s.text for s in instructions(route, "en")).lower()
    assert "Ampel mit akustischem Signal, Bodenindikatoren und Mittelinsel" in de
    assert "traffic light with acoustic signal, tactile paving and a traffic island" in en


@pytest.mark.parametrize(
    ("island", "de", "en"),
    [
        ("yes", "Zebrastreifen mit Mittelinsel", "zebra crossing with a traffic island"),
        ("no", "Zebrastreifen", "zebra crossing"),  # no island is nothing to warn of
        ("unknown", "Zebrastreifen", "zebra crossing"),
    ],
)
def test_the_words_of_an_island(island: str, de: str, en: str) -> None:
    details = {"crossing": "marked", "acoustic_signal": "unknown", "vibration_signal": "unknown",
               "tactile_paving": "unknown", "crossing_island": island}  # fmt: skip
    assert describe_barrier("crossing", details, "de") == de
    assert describe_barrier("crossing", details, "en") == en
