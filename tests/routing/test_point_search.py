"""``point_search`` (``Router.shortest_path``'s one kernel pass) against the Python steps it
replaced: the source's pieces and the target's exits added to a :class:`~routing.query.Query`,
``run`` toward the target, the walk along one street piece (``walk_pieces.direct_piece``) and
``path``. Same edges, the same fractions, the same cost to the last bit, the same settled count
and the same errors, on real trips of several presets, on points sharing an edge or its twin,
unreachable targets and the settle budget."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from routing.engine import Router
from routing.errors import NoRouteError, SearchBudgetError
from routing.metric import Metric
from routing.query import Path, walked_ends
from routing.snapping import SnapPoint
from routing.walk_pieces import direct_piece, end_node, exit_pieces, start_pieces

PRESETS = ["walk", "wheelchair", "rollator", "blind"]


def python_shortest_path(
    router: Router, source: SnapPoint, target: SnapPoint, metric: Metric
) -> Path:
    """What ``Router.shortest_path`` computed in Python before the kernel (its reference)."""
    q = router.query(metric)
    q.add_sources(start_pieces(router.graph, source))
    q.add_targets(exit_pieces(router.graph, target))
    best = q.run(toward=(target.lat, target.lon))
    direct = direct_piece(router.graph, source, target, metric)
    if direct is not None and direct[1] <= best:
        piece = direct[0]
        return Path(
            np.array([piece.edge]), piece.start, piece.end, direct[1], source, target,
            q.settled_nodes,
        )  # fmt: skip
    if not math.isfinite(best):
        raise NoRouteError("the destination cannot be reached from the origin on this map")
    edges, start, end = walked_ends(*q.path())
    return Path(edges, start, end, best, source, target, q.settled_nodes)


def outcome(find: Any, *args: Any) -> tuple[Any, ...]:
    """A search's result as comparable values, or its error and what it says."""
    try:
        p = find(*args)
    except SearchBudgetError as exc:
        return ("budget", str(exc))
    except NoRouteError:
        return ("no route",)
    assert p.edges.dtype == np.int64
    return (p.edges.tolist(), p.start, p.end, p.cost_s, p.settled_nodes)


def same_outcome(router: Router, s: SnapPoint, t: SnapPoint, metric: Metric) -> tuple[Any, ...]:
    got = outcome(router.shortest_path, s, t, metric)
    want = outcome(python_shortest_path, router, s, t, metric)
    assert got == want, (s, t)
    return got


def snapped(router: Router, metric: Metric, rng: np.random.Generator, role: str) -> SnapPoint:
    """A point a few metres off a random node, snapped for ``role``."""
    g = router.graph
    v = int(rng.integers(0, g.node_count))
    lat = float(g.node["lat"][v]) + float(rng.uniform(-1e-4, 1e-4))
    lon = float(g.node["lon"][v]) + float(rng.uniform(-1e-4, 1e-4))
    return router.snap((lat, lon), metric, role)[0]


@pytest.mark.parametrize("preset", PRESETS)
def test_random_trips(uni_router: Router, preset: str) -> None:
    router = uni_router
    metric = router.customize(router.profile(preset))
    rng = np.random.default_rng(11)
    kinds = set()
    for _ in range(150):
        s = snapped(router, metric, rng, "origin")
        t = snapped(router, metric, rng, "destination")
        kinds.add(same_outcome(router, s, t, metric)[0] == "no route")
    assert False in kinds  # most trips have a route


@pytest.mark.parametrize("preset", ["walk", "wheelchair"])
def test_points_on_one_edge_or_its_twin(uni_router: Router, preset: str) -> None:
    """Both points on one street piece, in and against its direction, on the edge and on its
    twin, at its ends: the walk along it (or the search's, when that is not cheaper)."""
    router = uni_router
    metric = router.customize(router.profile(preset))
    g = router.graph
    rev = g.edge["reverse_edge"]
    rng = np.random.default_rng(5)
    fractions = [0.0, 1.0, 0.5, 0.25, 0.75, 1e-9, 1.0 - 1e-9]
    lengths = []
    for e in rng.integers(0, g.edge_count, 60).tolist():
        for a in fractions[:4]:
            for b in fractions:
                s = SnapPoint(edge=e, fraction=a, distance_m=0.0, lon=0.0, lat=0.0)
                for te, tf in ((e, b), (int(rev[e]), 1.0 - b)):
                    if te < 0:
                        continue
                    t = SnapPoint(edge=te, fraction=tf, distance_m=0.0, lon=7.75, lat=49.43)
                    got = same_outcome(router, s, t, metric)
                    if got[0] != "no route":
                        lengths.append(len(got[0]))
    assert 1 in lengths  # walks along the one edge


@pytest.mark.parametrize("preset", ["walk", "wheelchair", "blind"])
def test_targets_on_nodes(uni_router: Router, preset: str) -> None:
    """A target on a node (its edge's end: fraction 0 or 1) is reached along every edge into
    the node, and directly from a source on an edge at that node: from far off, from the
    edges around the node (both directions, inside them and at their ends) and from the node
    itself."""
    router = uni_router
    metric = router.customize(router.profile(preset))
    g = router.graph
    rng = np.random.default_rng(23)
    exits, lengths = [], []
    for e in rng.integers(0, g.edge_count, 40).tolist():
        for f in (0.0, 1.0):
            t = SnapPoint(edge=e, fraction=f, distance_m=0.0, lon=7.75, lat=49.43)
            exits.append(len(exit_pieces(router.graph, t)))
            node = end_node(router.graph, t)
            around = list(range(int(g.first_out[node]), int(g.first_out[node + 1])))
            around += [int(g.edge["reverse_edge"][o]) for o in around]
            sources = [snapped(router, metric, rng, "origin") for _ in range(3)]
            sources += [SnapPoint(o, a, 0.0, 0.0, 0.0) for o in around for a in (0.0, 0.4, 1.0)]
            for s in sources:
                got = same_outcome(router, s, t, metric)
                if got[0] != "no route":
                    lengths.append(len(got[0]))
    assert max(exits) > 2  # nodes with more than the edge's own two ways in
    assert 1 in lengths
    assert max(lengths) > 3


def test_edges_without_a_twin_and_unusable_ends(
    uni_router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One-way pieces (no reverse edge: here some twins unlinked, for the kernel and the Python
    steps alike; a target behind the source on one is reached around the block) and a profile
    under which some ends are unusable."""
    router = uni_router
    g = router.graph
    rng = np.random.default_rng(3)
    rev = np.array(g.edge["reverse_edge"], dtype=np.int64)
    one_way = [e for e in rng.integers(0, g.edge_count, 60).tolist() if rev[e] >= 0]
    for e in one_way:
        if rev[e] >= 0:
            rev[rev[e]] = -1
            rev[e] = -1
    monkeypatch.setitem(g.edge, "reverse_edge", rev)
    monkeypatch.setattr(router.index, "reverse_edge", rev)
    around = []
    for preset in ("walk", "wheelchair"):
        metric = router.customize(router.profile(preset))
        for e in one_way:
            s = SnapPoint(edge=e, fraction=0.3, distance_m=0.0, lon=0.0, lat=0.0)
            t = snapped(router, metric, rng, "destination")
            same_outcome(router, s, t, metric)
            same_outcome(router, t, s, metric)
            behind = same_outcome(router, s, SnapPoint(e, 0.1, 0.0, 7.75, 49.43), metric)
            around.append(behind[0] != "no route" and len(behind[0]) > 1)
    assert any(around)


def test_the_settle_budget(uni_router: Router) -> None:
    router = uni_router
    metric = router.customize(router.profile("wheelchair"))
    rng = np.random.default_rng(8)
    pairs = [
        (snapped(router, metric, rng, "origin"), snapped(router, metric, rng, "destination"))
        for _ in range(40)
    ]
    was = router.max_settled
    seen = set()
    try:
        for budget in (1, 5, 40):
            router.max_settled = budget
            for s, t in pairs:
                seen.add(same_outcome(router, s, t, metric)[0] == "budget")
    finally:
        router.max_settled = was
    assert seen == {True, False}
