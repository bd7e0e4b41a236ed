"""Independent truth: the router's routes checked against a second reading of the raw OSM.

For each extract (:data:`~tests.truth.conftest.EXTRACTS`) 250 seeded pairs (150 in the whole
city) plus the issue's reproducers are routed through ``routing.engine.Router`` for the
``wheelchair``, ``electric_wheelchair``, ``rollator``, ``stroller``, ``elderly`` and ``allergy``
presets, for ``blind`` with both crossing requirements (``blind_strict``) and for ``walk`` with
every penalty neutral (``flat_walk``). Each route's geometry is mapped back onto OSM by position (route points ↔ OSM node coordinates, exact to 1e-7°; partly walked end pieces by
the OSM segment under their midpoint) with :mod:`tests.truth.osm_truth`, which reads the file
itself and imports no project code. The checks, per profile with its own limits
(:class:`~tests.truth.osm_truth.Limits`):

1. no route whose verdict is "yes" crosses a known hard barrier (steps or too many of them, a
   blocking barrier node, a kerb too high, ``wheelchair=no``, a crossing known to lack the
   paving or sound a profile requires);
2. every known hard barrier a route crosses is among its breaks, at its place;
3. no route fails (a "no" verdict) where networkx finds a path between the route's two end
   points on the independent graph stripped of everything that might break the profile's limits
   (the unknowns the project may penalise stay: a path on them is not a failure to report "no");
4. the ``flat_walk`` route is as long as networkx's shortest path between the same two points,
   within 0.1 % (:data:`LENGTH_RTOL`);
5. each route lies on OSM segments the extract really has (no straight line across a gap);
6. each barrier or kerb break a route reports is met on the route (not beyond its end);
7. no "yes" rests on what is certainly unknown for the profile (a kerb of no kind, a flight of
   unknown count, a crossing without paving tags, a road crossed in its carriageway);
8. the ``elderly`` route's seats are OSM seats at their place, and none beside it is left out;
9. the ``allergy`` route passes as many trees of each allergenic genus as the raw OSM says.

Every check passes on every extract and reproducer: the defects these checks found (issue 10
items 2 and 6, edges left without their reverse twin, slivers past junctions, roads crossed in
their carriageway unannounced, seats beside a junction missed) are fixed, and any new failure is
one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from tests.truth.adapter import breaks, seats, trees_passed, verdict
from tests.truth.conftest import EXTRACTS, LIMITS, REPRODUCERS, TruthRun
from tests.truth.osm_truth import (
    WHEELCHAIR,
    Limits,
    RouteReading,
    coord_key,
    foot_on_route,
    haversine_m,
    metres_within,
    point_at,
    read_route,
    shortest_between,
)

#: Route length vs the independent shortest path. Both sum haversine lengths (same earth
#: radius) of the same OSM segments, so whole segments agree to rounding; the two partly
#: walked end pieces differ by how the project turns its snap fraction back into metres (a
#: flat-frame fraction of a haversine length). Measured worst case today:
#: 6e-5 relative (median 5e-9). The bound is the issue's 0.1 %, plus 1 cm for routes of a few metres.
LENGTH_RTOL = 1e-3
LENGTH_ATOL_M = 0.01
#: Metres of slack on a break's ``at_m`` (the report rounds to 0.1 m).
AT_SLACK_M = 0.5
#: A seat joins a way within this distance (README, rests); one this near a route's line stands
#: beside it; one this near a listed seat, or listed this near its place along the route, is at
#: the same place (benches in a group are one place to rest: the route lists the first).
SEAT_DISTANCE_M = 15.0
SEAT_BESIDE_M = 2.0
SAME_PLACE_M = 5.0
#: A tree is passed along the metres of the route within this distance, per twice it.
TREE_REACH_M = 20.0
#: The report prorates an edge's trees by the share walked (the independent count cuts the end
#: pieces exactly), and rounds: this much of a tree apart at either end, and 10 %.
TREES_ATOL = 1.0
TREES_RTOL = 0.1

Item = tuple[str, Any, Any]  # (label, (origin, destination), Route or exception)
Check = Callable[[TruthRun, list[Item], str], list[str]]  # run, routes, profile → problems


def _items(run: TruthRun, profile: str, *, seeded: bool = True, label: str = "") -> list[Item]:
    out = []
    for lab, pair, route in zip(run.labels, run.pairs, run.routes[profile], strict=True):
        if (lab.startswith("seed") if seeded else lab == label) and not isinstance(
            route, Exception
        ):
            out.append((lab, pair, route))
    return out


def _explain(label: str, pair: Any, text: str) -> str:
    (lat0, lon0), (lat1, lon1) = pair
    return f"{label} {lat0:.7f},{lon0:.7f} → {lat1:.7f},{lon1:.7f}: {text}"


def _reading(run: TruthRun, route: Any, limits: Limits = WHEELCHAIR) -> RouteReading:
    return read_route(run.truth, route.geometry, limits)


def _edge_start_bound_m(run: TruthRun, route: Any, at_m: float) -> float:
    """Route metres of the last point before ``at_m`` where a project edge may start.

    The project reports a barrier at a node on the edge leading to it, and its edges start
    only where ways meet or end or at tagged nodes (simplification keeps those): so the break
    lies no earlier than the last such OSM node before the hazard.
    """
    truth = run.truth
    last, walked = 0.0, 0.0
    pts = route.geometry
    for i in range(1, len(pts)):
        walked += haversine_m(*pts[i - 1], *pts[i])
        if walked >= at_m - 1e-6:
            break
        for n in truth.nodes_at(*pts[i]):
            ways = {w for nb in truth.graph[n] for w in truth.graph[n][nb]["ways"]}
            if truth.graph.degree(n) != 2 or len(ways) > 1 or n in truth.node_tags:
                last = walked
    return last


# --------------------------------------------------------------------------------- the checks


def yes_crossing_hard_barriers(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 1: 'yes' routes that cross a known hard barrier; and, stricter, 'unknown' ones
    ('unknown' says that nothing *known* breaks a limit, so it must not cross one either)."""
    bad = []
    for label, pair, route in items:
        said = verdict(route)
        if said != "no":
            hazards = _reading(run, route, LIMITS[profile]).hazards
            if hazards:
                found = ", ".join(f"{h.detail} ({h.osm})" for h in hazards)
                bad.append(_explain(label, pair, f"'{said}' across {found}"))
    return bad


def crossed_barriers_not_broken(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 2: crossed known hard barriers missing from the route's breaks (by limit and place)."""
    missing = []
    for label, pair, route in items:
        listed = breaks(route)
        for h in _reading(run, route, LIMITS[profile]).hazards:
            low = min(h.start_m, _edge_start_bound_m(run, route, h.start_m)) - AT_SLACK_M
            if not any(
                b["limit"] in h.limits() and low <= b["at_m"] <= h.end_m + AT_SLACK_M
                for b in listed
            ):
                where = f"{h.detail} ({h.osm}) at {h.start_m:.1f} m"
                missing.append(_explain(label, pair, f"{where} not among the breaks"))
    return missing


def failures_with_compliant_path(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 3: 'no' routes between two points that a compliant path joins."""
    failures = []
    for label, pair, route in items:
        if verdict(route) != "no":
            continue
        length = shortest_between(run.truth, run.compliant[profile], route.geometry)
        if math.isfinite(length):
            limits = ", ".join(sorted({b["limit"] for b in breaks(route)})) or "no break listed"
            text = f"'no' ({limits}) but a compliant path of {length:.0f} m exists"
            failures.append(_explain(label, pair, text))
    return failures


def longer_than_shortest(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 4: flat-walk routes whose length is not networkx's shortest (0.1 %) on the ways a
    walker may use (without the nodes that stop walkers: fences, closed gates). A route that
    breaks a limit (through such a node, least-bad) is no shortest path and not checked here."""
    off = []
    for label, pair, route in items:
        if verdict(route) == "no":
            continue
        length = shortest_between(run.truth, run.walker, route.geometry)
        if not math.isfinite(length):  # an end exactly at a closed gate starts beside it
            length = shortest_between(run.truth, run.truth.graph, route.geometry)
        if not abs(route.distance_m - length) <= LENGTH_RTOL * length + LENGTH_ATOL_M < math.inf:
            text = f"route {route.distance_m:.2f} m, independent shortest path {length:.2f} m"
            off.append(_explain(label, pair, text))
    return off


def off_osm_segments(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 5: routes with a piece on no OSM segment, or joining nodes no way joins."""
    bad = []
    for label, pair, route in items:
        reading = _reading(run, route)
        pieces = reading.gaps + reading.unmatched
        if pieces:
            pts = route.geometry
            where = ", ".join(f"{pts[i]} → {pts[i + 1]}" for i in pieces[:2])
            bad.append(_explain(label, pair, f"off the OSM segments: {where}"))
    return bad


def breaks_not_on_route(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 6: more barrier / kerb breaks than barrier / kerb nodes the route passes through."""
    phantom = []
    for label, pair, route in items:
        met = {"barrier": 0, "kerb_height": 0}
        for lon, lat in route.geometry[1:-1]:
            tags: dict[str, str] = {}
            for n in run.truth.nodes_at(lon, lat):
                tags |= run.truth.node_tags.get(n, {})
            met["barrier"] += "barrier" in tags and tags["barrier"] != "kerb"
            met["kerb_height"] += tags.get("barrier") == "kerb" or any(
                k.startswith("kerb") or k == "sloped_curb" for k in tags
            )
        walked_ways = set()
        for a, b in zip(route.geometry, route.geometry[1:], strict=False):
            for x in run.truth.nodes_at(*a):
                for y in run.truth.nodes_at(*b):
                    if run.truth.graph.has_edge(x, y):
                        walked_ways |= run.truth.graph[x][y]["ways"]
        # a way may carry kerb tags of its own (a crossing way, a road's sidewalk:*:kerb)
        met["kerb_height"] += sum(
            any("kerb" in k for k in run.truth.way_tags[w]) for w in walked_ways
        )
        listed = breaks(route)
        for limit, count in met.items():
            reported = sum(1 for b in listed if b["limit"] == limit)
            if reported > count:
                text = f"{reported} '{limit}' breaks, {count} such places met on the route"
                phantom.append(_explain(label, pair, text))
    return phantom


def yes_resting_on_unknowns(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 7: 'yes' routes that meet what is certainly unknown for the profile's limits (a
    kerb of no kind nor height, a flight of unknown count where the count is limited, a
    crossing without tactile paving tags where paving is required): 'yes' means *known*."""
    bad = []
    for label, pair, route in items:
        if verdict(route) == "yes":
            unknowns = _reading(run, route, LIMITS[profile]).unknowns
            if unknowns:
                found = ", ".join(f"{u.detail} ({u.osm})" for u in unknowns[:3])
                bad.append(_explain(label, pair, f"'yes' resting on {found}"))
    return bad


def _near(
    points: list[tuple[float, float]], geometry: list[list[float]], margin_deg: float
) -> list[tuple[float, float]]:
    """The ``points`` within a route's bounding box grown by ``margin_deg``."""
    lons = [p[0] for p in geometry]
    lats = [p[1] for p in geometry]
    west, east = min(lons) - margin_deg, max(lons) + margin_deg
    south, north = min(lats) - margin_deg, max(lats) + margin_deg
    return [p for p in points if west <= p[0] <= east and south <= p[1] <= north]


def seats_not_true(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 8: every seat a route lists is an OSM seat (a seat node, or within 25 m of a seat
    drawn as a way) within 15 m of the route's point at its ``at_m``; and every seat node within
    2 m of a route's line, its ends aside, is listed."""
    truth = run.truth
    at_nodes = {coord_key(*p) for p in truth.seats}
    bad = []
    for label, pair, route in items:
        listed = seats(route)
        for s in listed:
            here = (float(s["lon"]), float(s["lat"]))
            drawn = any(haversine_m(*here, *p) <= 25.0 for p in truth.seat_way_points)
            if coord_key(*here) not in at_nodes and not drawn:
                bad.append(_explain(label, pair, f"lists a seat at {here}: no OSM seat there"))
                continue
            gap = haversine_m(*point_at(route.geometry, float(s["at_m"])), *here)
            if gap > SEAT_DISTANCE_M + AT_SLACK_M:
                bad.append(_explain(label, pair, f"seat at {s['at_m']} m is {gap:.1f} m off"))
        # about 7–11 m: the prefilter of the seats near enough to measure
        for p in _near(truth.seats, route.geometry, 1e-4):
            dist, at = foot_on_route(route.geometry, p)
            inside = SAME_PLACE_M < at < route.distance_m - SAME_PLACE_M
            same = any(
                haversine_m(float(s["lon"]), float(s["lat"]), *p) <= SAME_PLACE_M
                or abs(float(s["at_m"]) - at) <= SAME_PLACE_M
                for s in listed
            )
            if dist <= SEAT_BESIDE_M and inside and not same:
                text = f"the seat at {p}, {dist:.1f} m beside the route at {at:.0f} m, not listed"
                bad.append(_explain(label, pair, text))
    return bad


def trees_not_true(run: TruthRun, items: list[Item], profile: str) -> list[str]:
    """Check 9: the trees of each allergenic taxon an ``allergy`` route passes equal an exact
    count on the raw OSM (per tree, the route's metres within 20 m of it ÷ 40 m), within what
    prorating the end edges allows: never a tree counted once per edge near it."""
    bad = []
    for label, pair, route in items:
        for taxon, trees in run.truth.trees.items():
            near = _near(trees, route.geometry, 3e-4)  # about 20–30 m: near enough to measure
            exact = sum(metres_within(route.geometry, p, TREE_REACH_M) for p in near)
            exact /= 2 * TREE_REACH_M
            said = trees_passed(route, run.router, taxon)
            if abs(said - exact) > TREES_RTOL * exact + TREES_ATOL:
                text = f"{said:.1f} {taxon} trees passed, {exact:.1f} by the raw OSM"
                bad.append(_explain(label, pair, text))
    return bad


#: The checks of each profile: name → (check, profile).
CHECKS: dict[str, tuple[Check, str]] = {
    "flat_walk_is_shortest": (longer_than_shortest, "flat_walk"),
    "walk_on_osm_segments": (off_osm_segments, "flat_walk"),
    "wheelchair_on_osm_segments": (off_osm_segments, "wheelchair"),
    "breaks_are_on_the_route": (breaks_not_on_route, "wheelchair"),
    "elderly_seats_are_true": (seats_not_true, "elderly"),
    "allergy_trees_are_true": (trees_not_true, "allergy"),
}
for _profile in LIMITS:
    _prefix = "" if _profile == "wheelchair" else f"{_profile}_"
    CHECKS |= {
        f"{_prefix}yes_crosses_no_barrier": (yes_crossing_hard_barriers, _profile),
        f"{_prefix}crossed_barriers_are_breaks": (crossed_barriers_not_broken, _profile),
        f"{_prefix}no_failure_with_compliant_path": (failures_with_compliant_path, _profile),
        f"{_prefix}yes_rests_on_no_unknown": (yes_resting_on_unknowns, _profile),
    }


def _params(pairs: list[tuple[str, str]]) -> list[Any]:
    """One parameter per (extract, check); the whole city's are marked slow."""
    return [
        pytest.param(
            a,
            b,
            id=f"{a}-{b}".replace(" ", ""),
            marks=[pytest.mark.slow] if EXTRACTS[a].slow else [],
        )
        for a, b in pairs
    ]


@pytest.mark.parametrize(
    ("extract", "check"),
    _params([(e, c) for e in sorted(EXTRACTS) for c in CHECKS]),
)
def test_seeded_pairs(truth_runs: Callable[[str], TruthRun], extract: str, check: str) -> None:
    run = truth_runs(extract)
    function, profile = CHECKS[check]
    items = _items(run, profile)
    assert len(items) >= 0.9 * len([x for x in run.labels if x.startswith("seed")])
    problems = function(run, items, profile)
    assert not problems, f"{len(problems)} of {len(items)} routes:\n" + "\n".join(problems[:10])


_REPRO_CASES = [
    (e, f"{label}:{c}") for e, cases in REPRODUCERS.items() for label, *_ in cases for c in CHECKS
]


@pytest.mark.parametrize(("extract", "case"), _params(_REPRO_CASES))
def test_issue_reproducers(truth_runs: Callable[[str], TruthRun], extract: str, case: str) -> None:
    label, check = case.split(":")
    run = truth_runs(extract)
    function, profile = CHECKS[check]
    items = _items(run, profile, seeded=False, label=label)
    assert len(items) == 1, f"{label} got no route for {profile}"
    problems = function(run, items, profile)
    assert not problems, "\n".join(problems)


def test_hard_barriers_are_met(truth_runs: Callable[[str], TruthRun]) -> None:
    """The seeded wheelchair routes do meet known hard barriers (the checks are not vacuous)."""
    run = truth_runs("kl-uni")
    crossed = [h for _, _, route in _items(run, "wheelchair") for h in _reading(run, route).hazards]
    assert {h.kind for h in crossed} >= {"steps"}
    verdicts = {verdict(route) for _, _, route in _items(run, "wheelchair")}
    # 2013 data: nearly nothing is known, so "unknown" stands where "yes" would with better data
    assert "no" in verdicts
    assert verdicts & {"yes", "unknown"}


def test_the_other_profiles_checks_are_not_vacuous(truth_runs: Callable[[str], TruthRun]) -> None:
    """On Neukölln (kerbs, crossings, seats and limes mapped) the other profiles' routes do meet
    what their checks read: crossings of unknown paving on blind routes (so check 7 reads
    them), known flights too long for a rollator, listed seats, and limes passed."""
    run = truth_runs("neukoelln")
    blind = [(route, _reading(run, route, LIMITS["blind_strict"])) for *_, route in
             _items(run, "blind_strict")]  # fmt: skip
    assert any(r.unknowns and verdict(route) == "unknown" for route, r in blind)
    assert any(verdict(route) == "yes" for route, _ in blind)
    rollator = [_reading(run, route, LIMITS["rollator"]) for *_, route in _items(run, "rollator")]
    assert any(h.kind == "steps" for r in rollator for h in r.hazards)
    assert sum(len(seats(route)) for *_, route in _items(run, "elderly")) > 50
    limes = [trees_passed(route, run.router, "tilia") for *_, route in _items(run, "allergy")]
    assert sum(1 for n in limes if n >= 1.0) > 20


def test_the_truth_reader_imports_no_project_code() -> None:
    """The independent reading stays independent: only the standard library, networkx, numpy."""
    import ast
    from pathlib import Path

    from tests.truth import osm_truth

    tree = ast.parse(Path(osm_truth.__file__).read_text())
    relative = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert not relative, f"relative imports (the test package's modules) at lines {relative}"
    imported = {  # (never "": the last condition leaves out `from . import`, module None)
        ((node.module or "") if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if not isinstance(node, ast.ImportFrom) or node.module
    }
    assert imported <= {
        "__future__", "gzip", "itertools", "math", "re", "xml", "collections", "dataclasses",
        "pathlib", "networkx", "numpy",
    }, imported  # fmt: skip
