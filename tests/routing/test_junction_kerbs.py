"""The kerbs of a side road's mouth: a walk along a road (sidewalks not mapped apart) through a
road junction goes down a kerb and up another where it crosses the mouth, and where nobody
mapped them their height is unknown. Such a junction adds *implied* kerbs of unknown height
(one where three carriageways meet, two where more do), which a profile that weighs unknown
kerbs prices and lists among what its route relies on; the barriers and the steps keep naming
the kerbs someone mapped (:mod:`accessibility_rules.effective`).

Found 2026-12-05: a wheelchair route along the roads of Kaiserslautern's centre passes some
twenty junctions and relied on none of their kerbs (``relies_on`` had incline, width and
smoothness), though a side road's kerb is the barrier a wheelchair user meets most often
(PRODUCT.md 1: every route lists the unknowns it relies on). The fixture:
``tests/fixtures/osm/road_junctions.osm`` (T-junction at node 2, crossroads at node 3, a
driveway at node 4, a mapped crossing without kerb tags on the T-junction at node 5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accessibility_rules.effective import effective_edges
from accessibility_rules.profile import make_profile
from graphs.build import build_graph
from graphs.sources import read_osm_file
from routing.engine import Router
from routing.instructions import instructions
from routing.network import piece_facts

WEST_END = (49.44000, 7.75862)  # node 1
EAST_END = (49.44000, 7.76690)  # node 7


@pytest.fixture(scope="module")
def router(road_junctions_router: Router) -> Router:
    return road_junctions_router


def _variant(osm_fixtures: Path, tmp_path: Path, old: str, new: str) -> Router:
    """A Router on ``road_junctions.osm`` with ``old`` replaced by ``new`` (once)."""
    text = (osm_fixtures / "road_junctions.osm").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "variant.osm"
    path.write_text(text.replace(old, new), encoding="utf-8")
    graph, _ = build_graph(read_osm_file(path))
    return Router(graph)


def _into(router: Router, osm_id: int, way: int) -> np.ndarray:
    """The edges of ``way`` that lead into the node ``osm_id`` (at least one)."""
    g = router.graph
    node = int(np.flatnonzero(g.node["osm_id"] == osm_id)[0])
    into = np.flatnonzero((g.head == node) & (g.edge["way_id"] == way))
    assert len(into)
    return into


def _implied(router: Router, osm_id: int, way: int) -> set[int]:
    """The unknown kerbs counted on the edges of ``way`` into node ``osm_id`` (and that no kerb
    is counted as a mapped one there)."""
    g = router.graph
    into = _into(router, osm_id, way)
    eff = effective_edges(g)
    assert np.all(eff.kerb_count[into] == 0)
    return {int(x) for x in eff.kerb_unknown_count[into]}


def test_a_junction_walked_along_a_road_implies_kerbs_of_unknown_height(router: Router) -> None:
    assert _implied(router, 2, 300) == {1}  # T-junction: half a crossing, one kerb
    assert _implied(router, 2, 301) == {1}  # the side road's sidewalk is not known: maybe one
    assert _implied(router, 3, 300) == {2}  # crossroads: a whole side road's mouth
    assert _implied(router, 3, 302) == {2}
    assert _implied(router, 4, 300) == {0}  # a driveway makes no junction
    assert _implied(router, 5, 300) == {1}  # a crossing mapped there, its kerbs not
    assert _implied(router, 6, 300) == {0}  # a footway ending on the road


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # on a road without sidewalk the walk is on the carriageway already
        ('<tag k="sidewalk" v="both"/>', '<tag k="sidewalk" v="no"/>'),
        # a living street is one level surface
        ('<tag k="highway" v="residential"/>\n    <tag k="name" v="Hauptstraße"/>',
         '<tag k="highway" v="living_street"/>\n    <tag k="name" v="Hauptstraße"/>'),
        # the sidewalk's kerb mapped on the road: that kerb (its height known from its kind)
        ('<tag k="sidewalk" v="both"/>',
         '<tag k="sidewalk" v="both"/>\n    <tag k="sidewalk:both:kerb" v="lowered"/>'),
    ],
)  # fmt: skip
def test_no_kerb_of_unknown_height_where_the_road_says_what_is_there(
    osm_fixtures: Path, tmp_path: Path, old: str, new: str
) -> None:
    variant = _variant(osm_fixtures, tmp_path, old, new)
    g = variant.graph
    into = _into(variant, 3, 300)
    assert np.all(effective_edges(g).kerb_unknown_count[into] == 0)


def test_a_kerb_mapped_on_the_junction_is_that_kerb(osm_fixtures: Path, tmp_path: Path) -> None:
    variant = _variant(
        osm_fixtures, tmp_path,
        '<node id="3" lat="49.44000" lon="7.76138" version="1"/>',
        '<node id="3" lat="49.44000" lon="7.76138" version="1">\n'
        '    <tag k="barrier" v="kerb"/>\n    <tag k="kerb" v="flush"/>\n  </node>',
    )  # fmt: skip
    g = variant.graph
    into = _into(variant, 3, 300)
    eff = effective_edges(g)
    assert np.all(eff.kerb_count[into] == 1)
    assert np.all(eff.kerb_unknown_count[into] == 0)
    assert np.all(eff.kerb_height_cm[into] == 0.0)


def test_a_wheelchair_route_relies_on_the_junctions_kerbs_and_says_so(router: Router) -> None:
    route = router.route(WEST_END, EAST_END, "wheelchair")
    answer = route.as_dict()
    access = answer["accessibility"]
    assert access["verdict"] == "unknown"
    relies = {r["attribute"]: r for r in access["relies_on"]}
    kerbs = relies["kerb_height"]
    assert kerbs["count"] == 4  # 1 + 2 + 1 at nodes 2, 3 and 5
    assert [p["lon"] for p in kerbs["places"]] == [7.76, 7.76138, 7.76414]
    assert answer["unknowns"]["kerb_height"] == {"count": 4}
    # reliances, not barriers: no kerb listed or said where none is mapped
    assert not [b for b in answer["barriers"] if b["kind"] == "kerb"]
    steps = [s.text for s in instructions(route, "de")]
    assert not [t for t in steps[:-1] if "Bordstein" in t]
    assert "4 Bordsteine unbekannter Höhe" in steps[-1]  # the arrival's sentence
    assert "4 kerbs of unknown height" in instructions(route, "en")[-1].text


def test_a_profile_without_a_kerb_limit_relies_on_none(router: Router) -> None:
    for preset in ("walk", "blind", "elderly"):
        access = router.route(WEST_END, EAST_END, preset).as_dict()["accessibility"]
        assert "kerb_height" not in {r["attribute"] for r in access["relies_on"]}, preset


def test_the_junctions_kerbs_cost_a_wheelchair_their_penalty(router: Router) -> None:
    """The same walk costs four unknown kerbs' penalty (``unknown_transition_penalty_s``, the
    preset's figure) more than with unknown kerbs accepted; its duration is the same, and
    accepted or not, a route under a kerb limit relies on them."""
    penalized = router.route(WEST_END, EAST_END, "wheelchair")
    accepting = make_profile("wheelchair", {"unknown.kerb_height": "accept"})
    accepted = router.route(WEST_END, EAST_END, accepting)
    penalty = router.profile("wheelchair").unknown_transition_penalty_s
    assert penalty > 0
    assert penalized.distance_m == accepted.distance_m
    assert penalized.duration_s == pytest.approx(accepted.duration_s)
    assert penalized.cost_s - accepted.cost_s == pytest.approx(4 * penalty)
    relied = {r.attribute for r in accepted.accessibility.relies_on}
    assert "kerb_height" in relied


def test_the_network_map_shows_a_junctions_kerbs_as_unknown(router: Router) -> None:
    """The staff map's kerb layer and its "known" count read the same unknowns."""
    g = router.graph
    eff = effective_edges(g)
    into = _into(router, 3, 300)
    plain = _into(router, 7, 300)  # the piece 6-7: no junction either way
    facts = piece_facts(g.edge, eff, into, "kerb")
    assert [(known, label) for _, known, label in facts] == [
        (False, "kerb of unknown height")
    ] * len(into)
    assert all(label == "no kerb" for _, _, label in piece_facts(g.edge, eff, plain, "kerb"))


def test_the_coverage_report_counts_the_junctions_to_map(router: Router) -> None:
    from graphs.coverage import coverage_report

    report = coverage_report(router.graph)
    assert report["counts"]["junctions_with_unmapped_kerbs"] == 3  # nodes 2, 3 and 5
    assert "road_junctions" in report["assumptions"]
