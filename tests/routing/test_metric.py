"""Customisation and queries as objects: the metric cache, penalised metrics and the Query.

The alternatives of a route search on penalised copies of the profile's metric: they must reuse
its landmarks (no landmark search per alternative) and must not push the presets' metrics out of
the cache. Penalised metrics keep their parent's bounds and must still find exact least costs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import routing.engine
import routing.metric
import routing.rest_walks
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import load_preset, make_profile
from accessibility_rules.weights import BITS_DTYPE, EdgeWeights
from routing.engine import Router
from routing.errors import NoRouteError, SearchBudgetError
from routing.landmarks import Landmarks, borrow_scale
from routing.metric import (
    BORROW_MIN_SHARE,
    DEFAULT_CACHED_METRICS,
    MAX_DEFAULT_METRIC_CACHE_BYTES,
    WEIGHT_BYTES_PER_EDGE,
    Metric,
    MetricCache,
    default_cache_bytes,
    weights_nbytes,
)
from routing.query import PathPiece
from routing.walk_pieces import exit_pieces, start_pieces
from tests.accessibility_rules.test_weights_kernel import (
    PERSONAL,
    assert_same,
    personal,
    random_edges,
)
from tests.accessibility_rules.weights_reference import reference_weights
from tests.routing.trips import seeded_points

# ------------------------------------------------------------------------------- MetricCache


def fake_metric(n: int, revision: int = 0) -> Metric:
    """A metric holding ``n`` edges of weights (no landmarks)."""
    z = np.zeros(n)
    bits = np.zeros(n, dtype=BITS_DTYPE)
    weights = EdgeWeights(z, z.copy(), bits, bits.copy(), z.copy(), 1.0, bits.copy())
    return Metric(weights, Landmarks.none(0), 1.0, None, revision)


def test_metric_nbytes_counts_every_array() -> None:
    m = fake_metric(100)
    assert m.nbytes == weights_nbytes(m.weights) == 3 * 800 + 3 * 200  # 3 float64, 3 uint16
    lm = Landmarks(np.zeros(3, dtype=np.int64), np.zeros((100, 3)))
    assert dataclasses.replace(m, landmarks=lm).nbytes == m.nbytes + 24 + 2400


def test_cache_is_bounded_by_bytes_least_recently_used_first() -> None:
    size = fake_metric(100).nbytes
    cache = MetricCache(max_bytes=int(2.5 * size))
    a, b, c = fake_metric(100), fake_metric(100), fake_metric(100)
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # a is now the most recently used
    cache.put("c", c)
    assert "b" not in cache
    assert cache.get("a") is a
    assert cache.get("c") is c
    assert cache.nbytes == 2 * size <= cache.max_bytes
    cache.put("a", fake_metric(100))  # replacing keeps the byte count right
    assert cache.nbytes == 2 * size
    cache.put("big", fake_metric(1000))  # larger than the whole bound: not kept, nothing evicted
    assert "big" not in cache
    assert len(cache) == 2


def test_cache_keeps_only_metrics_of_its_revision() -> None:
    cache = MetricCache()
    cache.put("a", fake_metric(10, revision=0))
    cache.clear(revision=1)
    assert len(cache) == 0
    assert cache.nbytes == 0
    cache.put("old", fake_metric(10, revision=0))  # computed before the change: ignored
    cache.put("new", fake_metric(10, revision=1))
    assert "old" not in cache
    assert "new" in cache


def test_swap_keeps_the_use_order_hits_and_bytes() -> None:
    cache = MetricCache()
    a, b = fake_metric(10), fake_metric(10)
    cache.put("a", a)
    cache.put("b", b)
    for _ in range(3):
        cache.get("a")  # a: most recently used, 3 hits
    nbytes, moved = cache.nbytes, fake_metric(10)
    cache.swap("a", moved)
    assert [k for k, _ in cache.items()] == ["b", "a"]
    assert cache.get("a") is moved
    assert cache._hits["a"] == 4
    assert cache.nbytes == nbytes
    with pytest.raises(KeyError):
        cache.swap("c", fake_metric(10))
    with pytest.raises(ValueError, match="equal sizes"):
        cache.swap("b", fake_metric(11))


def test_kept_metrics_are_neither_counted_nor_evicted() -> None:
    size = fake_metric(100).nbytes
    cache = MetricCache(max_bytes=int(2.5 * size))
    cache.put("p", fake_metric(100))
    cache.keep("p")  # kept after it was put: no longer counted
    cache.keep("q")  # kept before: never counted
    cache.put("q", fake_metric(1000))  # larger than the bound, cached all the same
    assert cache.nbytes == 0
    assert cache.kept_nbytes == size + fake_metric(1000).nbytes
    assert cache.kept("p")
    assert not cache.kept("a")
    for name in "abcde":
        cache.put(name, fake_metric(100))
    assert [k for k, _ in cache.items()] == ["p", "q", "d", "e"]  # the oldest others went
    assert cache.nbytes == 2 * size
    patched = fake_metric(100, revision=1)
    cache.put("p", patched)  # a kept key's newer metric replaces it, still kept
    assert cache.get("p") is patched
    assert cache.nbytes == 2 * size
    cache.clear(revision=2)
    cache.put("p", fake_metric(100, revision=2))
    assert cache.nbytes == 0  # still kept after a clear


def test_a_kept_keys_patched_copy_counts_its_own_arrays_and_is_evicted_to_the_original() -> None:
    """A kept key's original (revision 0) is free; its patched copy counts the arrays it does
    not share with the original, and the least recently used is evicted back to the original
    when the bound is reached, like any other metric."""
    size = fake_metric(100).nbytes
    cache = MetricCache(max_bytes=2 * size + 400)
    cache.keep("p")
    original = fake_metric(100)
    cache.put("p", original)
    assert cache.original("p") is original
    assert cache.nbytes == 0
    cost = np.ones(100)  # a patch changed the costs: one new array of 800 bytes
    patched = dataclasses.replace(
        original, weights=dataclasses.replace(original.weights, cost_s=cost), revision=1
    )
    assert patched.nbytes_beyond(original) == cost.nbytes
    cache.put("p", patched)
    assert cache.get("p") is patched
    assert cache.nbytes == cost.nbytes
    assert cache.kept_nbytes == patched.nbytes - cost.nbytes
    cache.put("a", fake_metric(100, revision=1))
    cache.put("b", fake_metric(100, revision=1))  # over the bound: p is the least recently used
    assert cache.get("p") is original  # back to its original, still cached
    assert cache.original("p") is original
    assert cache.nbytes == 2 * size
    cache.put("p", patched)  # counted again: now a, the least recently used, goes
    assert "a" not in cache
    assert "b" in cache
    assert cache.nbytes == size + cost.nbytes
    cache.put("p", fake_metric(1000, revision=2))  # nothing shared, over the whole bound
    assert cache.get("p") is original


def test_cache_rejects_a_negative_bound() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        MetricCache(-1)


# ------------------------------------------------------------------------------ penalised


def test_penalised_keeps_bounds_and_records() -> None:
    m = fake_metric(5)
    cost = m.cost_s + np.array([0.0, 1.0, 2.0, np.inf, 0.5])
    p = m.penalised(cost)
    assert p.landmarks is m.landmarks
    assert p.h_scale == m.h_scale
    assert p.weights.min_cost_per_m == m.weights.min_cost_per_m
    assert p.weights.violations is m.weights.violations
    np.testing.assert_array_equal(p.cost_s, cost)
    np.testing.assert_array_equal(m.cost_s, np.zeros(5))  # the parent is unchanged


@pytest.mark.parametrize(
    ("cost", "match"),
    [
        (np.array([0.0, -1.0, 0.0]), "never fall below"),
        (np.array([0.0, np.nan, 0.0]), "never fall below"),
        (np.zeros(4), "shape"),
    ],
)
def test_penalised_rejects_lower_costs(cost: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fake_metric(3).penalised(cost)


# ------------------------------------------------------------------------ on a real graph


@pytest.fixture
def fresh_router(uni_router: Router) -> Router:
    """A new Router on the university graph (empty metric cache), on a graph object of its own:
    the attribute changes a test makes (``replace_attributes`` swaps the graph's arrays) must
    not reach the session's ``uni_router``."""
    g = uni_router.graph
    return Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The weights of every landmark computation (``compute_landmarks``) during the test."""
    seen: list[Any] = []
    compute = routing.metric.compute_landmarks

    def counting(graph: Any, weights: Any, nodes: Any) -> Landmarks:
        seen.append(weights)
        return compute(graph, weights, nodes)

    monkeypatch.setattr(routing.metric, "compute_landmarks", counting)
    return seen


@pytest.mark.realdata
def test_alternatives_reuse_the_parent_metric_landmarks(
    fresh_router: Router, calls: list[Any]
) -> None:
    """One landmark computation per profile; none for 40 requests with alternatives."""
    router = fresh_router
    presets = ["walk", "wheelchair"]
    first = {name: router.customize(load_preset(name)) for name in presets}
    assert len(calls) == len(presets)
    points = seeded_points(router, 11, 80)
    alternatives_found = 0
    for i in range(40):
        origin, destination = points[2 * i], points[2 * i + 1]
        try:
            routes = router.route_via([origin, destination], presets[i % 2], alternatives=2)
        except NoRouteError:
            continue
        alternatives_found += len(routes) - 1
    assert alternatives_found > 0, "the alternatives were searched at all"
    assert len(calls) == len(presets), "no landmarks were computed for the alternatives"
    for name in presets:  # the presets' metrics are still cached: the very same objects
        assert (load_preset(name), DEFAULT_CONDITIONS) in router.customizer.metric_cache
        assert router.customize(load_preset(name)) is first[name]
    assert len(router.customizer.metric_cache) == len(presets)


@pytest.mark.realdata
def test_customize_caches_per_profile_and_patches_on_new_attributes(fresh_router: Router) -> None:
    router = fresh_router
    walk = load_preset("walk")
    metric = router.customize(walk)
    assert router.customize(walk) is metric
    assert router.customize(make_profile("walk")) is metric  # equal profiles share a metric
    assert router.customizer.weights(walk) is metric.weights
    assert metric.profile == walk
    assert metric.revision == router.customizer.revision
    router.customizer.refresh()  # what an obstacle change does: cached metrics patched, not dropped
    assert len(router.customizer.metric_cache) == 1
    fresh = router.customize(walk)
    assert fresh is not metric
    assert fresh.revision == router.customizer.revision == metric.revision + 1
    np.testing.assert_array_equal(fresh.cost_s, metric.cost_s)  # same attributes, same costs


@pytest.mark.realdata
def test_cache_bound_evicts_by_bytes(uni_router: Router) -> None:
    one = uni_router.customize(load_preset("walk")).nbytes
    router = Router(uni_router.graph, metric_cache_bytes=int(1.5 * one))
    walk = router.customize(load_preset("walk"))
    router.customize(load_preset("wheelchair"))
    assert (load_preset("walk"), DEFAULT_CONDITIONS) not in router.customizer.metric_cache
    assert (load_preset("wheelchair"), DEFAULT_CONDITIONS) in router.customizer.metric_cache
    assert router.customize(load_preset("walk")) is not walk
    assert router.customizer.metric_cache.nbytes <= router.customizer.metric_cache.max_bytes


@pytest.mark.realdata
def test_default_bound_is_some_metrics_of_the_graph(uni_router: Router) -> None:
    """Without a bound given, the cache keeps :data:`DEFAULT_CACHED_METRICS` metrics of a
    preset's size on the router's graph (its estimate of one metric is a preset's exact bytes),
    at most :data:`MAX_DEFAULT_METRIC_CACHE_BYTES`; and that is the service's default."""
    from api.settings import Settings

    graph = uni_router.graph
    preset = uni_router.customize(load_preset("wheelchair"))
    assert not preset.shared_landmarks
    landmarks = len(preset.landmarks.nodes)
    one = (
        default_cache_bytes(graph.edge_count, graph.node_count, landmarks) // DEFAULT_CACHED_METRICS
    )
    assert one == preset.nbytes
    router = Router(graph)
    assert router.customizer.metric_cache.max_bytes == DEFAULT_CACHED_METRICS * preset.nbytes
    assert Settings().metric_cache_bytes is None  # the router's default
    huge = default_cache_bytes(3_000_000, 1_000_000, landmarks)
    assert huge == MAX_DEFAULT_METRIC_CACHE_BYTES
    without = Router(graph, use_landmarks=False).customizer.metric_cache.max_bytes
    assert without == DEFAULT_CACHED_METRICS * WEIGHT_BYTES_PER_EDGE * graph.edge_count


@pytest.mark.realdata
def test_the_presets_the_server_preloads_stay_cached_whatever_comes(uni_router: Router) -> None:
    """The serving parent customises every preset by day and in the dark before it forks, kept
    (``api.preload.preload_app``): however many personal profiles come after, they stay cached
    (one evicted would be weighed again in every worker, in pages of its own), outside the
    bound, which the others keep."""
    from accessibility_rules.profile import preset_names
    from api.preload import preset_conditions

    router = Router(uni_router.graph)
    asked = []
    for name in preset_names():
        profile = router.profile(name)
        for conditions in preset_conditions(router, profile):
            router.customize(profile, conditions, keep=True)
            asked.append((profile, conditions))
    kept = router.customizer.metric_cache.kept_nbytes
    assert router.customizer.metric_cache.nbytes == 0
    assert kept > router.customizer.metric_cache.max_bytes  # more than the bound: not counted in it
    for limit_cm in range(2 * DEFAULT_CACHED_METRICS):
        router.customize(make_profile("wheelchair", {"max_kerb_height_cm": 0.25 * limit_cm}))
    assert all(key in router.customizer.metric_cache for key in asked)
    assert router.customizer.metric_cache.kept_nbytes == kept
    assert 0 < router.customizer.metric_cache.nbytes <= router.customizer.metric_cache.max_bytes


@pytest.mark.realdata
def test_the_original_of_a_kept_metric_outlives_its_patches(uni_router: Router) -> None:
    """A kept metric customised on the map's own attributes stays the router's original after
    an attribute change patches the cached one; a metric not kept, or kept only after a
    change, has none."""
    g = uni_router.graph  # a copy: the change below replaces the graph's arrays
    router = Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))
    wheelchair, walk = router.profile("wheelchair"), router.profile("walk")
    kept = router.customize(wheelchair, keep=True)
    router.customize(walk)
    assert router.customizer.original_metric(wheelchair, DEFAULT_CONDITIONS) is kept
    assert router.customizer.original_metric(walk, DEFAULT_CONDITIONS) is None
    edge = dict(router.graph.edge)
    edge["closed"] = edge["closed"].copy()
    edge["closed"][np.flatnonzero(np.isfinite(kept.cost_s))[:50]] = 1
    router.customizer.replace_attributes(edge, dict(router.graph.node))
    patched = router.customize(wheelchair, keep=True)
    assert patched is not kept
    assert patched.revision == 1
    assert router.customizer.original_metric(wheelchair, DEFAULT_CONDITIONS) is kept
    assert router.customize(walk, keep=True).revision == 1
    assert router.customizer.original_metric(walk, DEFAULT_CONDITIONS) is None


@pytest.mark.realdata
def test_patched_kept_metrics_count_in_the_bound_and_come_back_from_their_originals(
    uni_router: Router,
) -> None:
    """After a change, the kept metrics' patched copies count the arrays they do not share with
    their originals, within the bound; one evicted back to its original is patched again from
    it when next asked for: the weights of a full computation, and its own landmarks still (a
    closure only raises costs)."""
    from accessibility_rules.weights import compute_weights, weights_profile

    g = uni_router.graph
    router = Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))
    names = ("walk", "wheelchair", "rollator", "blind")
    originals = {n: router.customize(router.profile(n), keep=True) for n in names}
    assert router.customizer.metric_cache.nbytes == 0
    edge = dict(router.graph.edge)
    edge["closed"] = edge["closed"].copy()
    edge["closed"][np.flatnonzero(np.isfinite(originals["walk"].cost_s))[:50]] = 1
    router.customizer.replace_attributes(edge, dict(router.graph.node))
    cache = router.customizer.metric_cache
    one = router.customize(router.profile("wheelchair")).nbytes_beyond(originals["wheelchair"])
    assert 0 < one == cache.nbytes < originals["wheelchair"].nbytes
    cache.max_bytes = int(2.5 * one)
    patched = {n: router.customize(router.profile(n)) for n in names}
    assert all(p.revision == router.customizer.revision for p in patched.values())
    assert 0 < cache.nbytes <= cache.max_bytes
    walk = router.profile("walk")
    assert cache.get((weights_profile(walk), DEFAULT_CONDITIONS)) is originals["walk"]
    again = router.customize(walk)
    assert again.revision == router.customizer.revision
    assert_same(again.weights, compute_weights(walk, *router.customizer.attributes()))
    assert again.landmarks is originals["walk"].landmarks
    assert router.customizer.original_metric(walk, DEFAULT_CONDITIONS) is originals["walk"]


@pytest.mark.realdata
def test_new_personal_profiles_never_exceed_the_byte_bound(
    uni_router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many never-seen personal profiles (the cheap kernel path): the cache holds at most its
    bound in bytes, counted over every array of what it keeps, and the service's setting
    (``STUFENLOS_METRIC_CACHE_BYTES``) is that bound."""
    from api.settings import Settings

    one = uni_router.customize(load_preset("wheelchair")).nbytes
    monkeypatch.setenv("STUFENLOS_METRIC_CACHE_BYTES", str(int(3.5 * one)))
    bound = Settings().metric_cache_bytes
    assert bound == int(3.5 * one)
    router = Router(uni_router.graph, metric_cache_bytes=bound)
    sizes = []
    for i in range(10):
        profile = make_profile("wheelchair", {"max_kerb_height_cm": 2.0 + i / 4})
        sizes.append(router.customize(profile).nbytes)
        cache = router.customizer.metric_cache
        assert cache.nbytes <= bound
        assert cache.nbytes == sum(m.nbytes for _, m in cache.items())
    # personal profiles run on the router's shared landmarks, which they do not own: such a
    # metric holds only its weights (smaller than a preset's with landmarks of its own)
    assert min(sizes) < one
    assert len(router.customizer.metric_cache) >= 3


@pytest.mark.realdata
def test_shortest_path_needs_a_metric(uni_router: Router) -> None:
    metric = uni_router.customize(load_preset("walk"))
    a, b = seeded_points(uni_router, 3, 2)
    s, _ = uni_router.snap(a, metric)
    t, _ = uni_router.snap(b, metric.weights)  # snapping reads the violations of either
    with pytest.raises(TypeError, match="Metric"):
        uni_router.shortest_path(s, t, metric.weights)  # type: ignore[arg-type]


@pytest.mark.realdata
@pytest.mark.parametrize("preset", ["walk", "wheelchair", "blind"])
def test_penalised_metric_finds_the_exact_least_cost(uni_router: Router, preset: str) -> None:
    """The parent's landmarks stay valid bounds: the same costs as a freshly customised metric
    of the penalised weights (its own landmarks, or the shared ones scaled) and as a search
    without any landmarks."""
    router = uni_router
    metric = router.customize(load_preset(preset))
    rng = np.random.default_rng(21)
    factor = rng.choice([1.0, 1.5, 4.0, np.inf], metric.cost_s.shape, p=[0.7, 0.2, 0.08, 0.02])
    cost = np.where(np.isinf(factor), np.inf, metric.cost_s * factor)  # 0 × inf would be NaN
    penalised = metric.penalised(cost)
    own = router.customizer.metric(
        penalised.weights, own_landmarks=True
    )  # landmarks of the penalised costs
    shared = router.customizer.metric(penalised.weights)  # the shared metre landmarks, scaled
    plain = dataclasses.replace(penalised, landmarks=Landmarks.none(router.graph.node_count))
    points = seeded_points(router, 4, 60)
    for origin, destination in zip(points[::2], points[1::2], strict=True):
        s, _ = router.snap(origin, metric)
        t, _ = router.snap(destination, metric)
        got = []
        for m in (penalised, own, shared, plain):
            try:
                got.append(router.shortest_path(s, t, m).cost_s)
            except NoRouteError:
                got.append(math.inf)
        assert all(g == got[0] or math.isclose(g, got[0], rel_tol=1e-9) for g in got), got


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("preset", "overrides"),
    [("walk", {}), ("wheelchair", {}), ("rollator", {}), ("wheelchair", {"max_kerb_height_cm": 1})],
)
def test_shared_landmarks_bound_every_profile(
    uni_router: Router, preset: str, overrides: dict[str, Any]
) -> None:
    """Every cost of a profile is >= length × its smallest cost per metre (the shared bound's
    premise), and searches on the scaled shared landmarks find the exact least costs."""
    router = uni_router
    weights = router.customize(router.profile(preset, overrides)).weights
    length = router.graph.edge["length_m"]
    assert np.all(weights.cost_s >= length * weights.min_cost_per_m * (1 - 1e-12))
    shared = router.customizer.metric(weights)
    own = router.customizer.metric(weights, own_landmarks=True)
    assert shared.shared_landmarks
    assert not own.shared_landmarks
    plain = dataclasses.replace(own, landmarks=Landmarks.none(router.graph.node_count))
    points = seeded_points(router, 8, 80)
    for origin, destination in zip(points[::2], points[1::2], strict=True):
        s, _ = router.snap(origin, own)
        t, _ = router.snap(destination, own)
        got = []
        for m in (shared, own, plain):
            try:
                got.append(router.shortest_path(s, t, m).cost_s)
            except NoRouteError:
                got.append(math.inf)
        assert all(g == got[0] or math.isclose(g, got[0], rel_tol=1e-9) for g in got), got


@pytest.mark.realdata
def test_presets_get_own_landmarks_and_personal_profiles_earn_them(
    fresh_router: Router, calls: list[Any]
) -> None:
    """A preset's metric gets its own landmarks; a personal profile starts on the shared set
    (no landmark search) and gets its own after ``OWN_LANDMARKS_AFTER_HITS`` cached uses."""
    router = fresh_router
    assert not router.customize(load_preset("walk")).shared_landmarks
    assert len(calls) == 1
    personal = make_profile("wheelchair", {"max_kerb_height_cm": 2.5})
    first = router.customize(personal)
    assert first.shared_landmarks
    assert len(calls) == 1
    for _ in range(routing.metric.OWN_LANDMARKS_AFTER_HITS - 1):
        assert router.customize(personal) is first
    upgraded = router.customize(personal)
    assert not upgraded.shared_landmarks
    assert len(calls) == 2
    assert upgraded.weights is first.weights
    assert router.customize(personal) is upgraded
    assert len(calls) == 2


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("preset", "search"), [("wheelchair", "shortest_path"), ("elderly", "rest_path")]
)
def test_an_alternative_past_its_budget_leaves_the_routes_found(
    fresh_router: Router, monkeypatch: pytest.MonkeyPatch, preset: str, search: str
) -> None:
    """The search for an alternative runs on penalised costs (a looser bound) and may exceed
    its budget where the route itself did not: the request is then answered with the routes
    found, not refused (it had failed whole with ``search_budget_exceeded``)."""
    router = fresh_router
    points = seeded_points(router, 5, 40)
    trips = [(points[2 * i], points[2 * i + 1]) for i in range(20)]
    plain = {}
    for trip in trips:
        with contextlib.suppress(NoRouteError):
            plain[trip] = router.route_via(list(trip), preset)[0]
    assert plain
    owner = Router if search == "shortest_path" else routing.rest_walks  # a method, a function
    real = getattr(owner, search)

    def budgeted(
        self: Router, source: Any, target: Any, metric: Metric, *rest: Any, **named: Any
    ) -> Any:
        base = self.customize(load_preset(preset)).weights
        if metric.weights.way_s is base.way_s and metric.weights.cost_s is not base.cost_s:
            raise SearchBudgetError("past its budget", settled_nodes=9, max_settled=9)
        return real(self, source, target, metric, *rest, **named)  # the route's, the walk's

    monkeypatch.setattr(owner, search, budgeted)
    for trip, alone in plain.items():
        routes = router.route_via(list(trip), preset, alternatives=2)
        assert len(routes) == 1
        assert routes[0].edges == alone.edges
        assert routes[0].accessibility == alone.accessibility


@pytest.mark.realdata
def test_profiles_of_equal_weights_share_one_metric(fresh_router: Router, calls: list[Any]) -> None:
    """A personal profile that changed only fields no weight reads (the rest limit) is served
    its preset's metric, own landmarks and all; two that differ only there share one."""
    router = fresh_router
    preset = router.customize(load_preset("rollator"))
    assert len(calls) == 1
    for limit_m in (150.0, 800.0, None):
        personal = make_profile("rollator", {"max_distance_between_rests_m": limit_m})
        assert router.customize(personal) is preset
    a = make_profile("rollator", {"max_distance_between_rests_m": 150.0, "kerb_delay_s": 9.0})
    b = make_profile("rollator", {"max_distance_between_rests_m": 900.0, "kerb_delay_s": 9.0})
    first = router.customize(a)
    assert first.shared_landmarks
    assert router.customize(b) is first
    assert first.profile is not None
    assert first.profile.kerb_delay_s == 9.0
    assert len(calls) == 1
    assert len(router.customizer.metric_cache) == 2


# ---------------------------------------------------------------------------------- Query


@pytest.mark.realdata
def test_query_is_reused_and_reports_unreached_targets(uni_router: Router) -> None:
    router = uni_router
    metric = router.customize(load_preset("walk"))
    q = router.query(metric)
    assert router.query(metric) is q  # one per thread
    a, b = seeded_points(router, 8, 2)
    s, _ = router.snap(a, metric)
    t, _ = router.snap(b, metric)
    for p in start_pieces(router.graph, s):
        q.add_source(p)
    for p in exit_pieces(router.graph, t):
        q.add_target(p)
    cost = q.run(toward=(t.lat, t.lon))
    edges, _, _ = q.path()
    assert q.distances(np.array([router.graph.head[edges[0]]]))[0] <= cost
    q.reset()
    q.add_source(PathPiece(int(edges[0]), 0.0, 1.0))
    assert q.run() == math.inf  # no target
    with pytest.raises(LookupError):
        q.path()


# ------------------------------------------------------------------- patching an edge subset


def _changed_attributes(router: Router, seed: int) -> tuple[dict[str, np.ndarray], Any, np.ndarray]:
    """Edge arrays with a few edges narrowed, some made flat and some steep (what obstacles
    and corrections do), their effective view, and the touched edges."""
    from accessibility_rules.effective import effective_edges

    g = router.graph
    rng = np.random.default_rng(seed)
    touched = np.unique(rng.integers(0, g.edge_count, 60))
    edge = dict(g.edge)
    width = np.array(edge["width_m"], copy=True)
    incline = np.array(edge["incline_percent"], copy=True)
    third = len(touched) // 3
    width[touched[:third]] = 0.5
    incline[touched[third : 2 * third]] = 0.0  # costs may fall
    incline[touched[2 * third :]] = 12.0
    edge["width_m"], edge["incline_percent"] = width, incline
    eff = effective_edges(dataclasses.replace(g, edge=edge))
    return edge, eff, touched


@pytest.mark.realdata
@pytest.mark.parametrize("preset", ["walk", "wheelchair", "rollator", "blind"])
def test_weights_of_an_edge_subset_equal_the_full_computation_there(
    uni_router: Router, preset: str
) -> None:
    from accessibility_rules.weights import compute_weights

    router = uni_router
    profile = load_preset(preset)
    edge, eff = router.customizer.attributes()
    full = compute_weights(profile, edge, eff)
    subset = np.random.default_rng(5).choice(router.graph.edge_count, 500, replace=False)
    part = compute_weights(
        profile,
        {k: v[subset] for k, v in edge.items()},
        routing.metric.subset_effective(eff, subset),
    )
    for f in dataclasses.fields(full):
        value = getattr(full, f.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(part, f.name), value[subset], err_msg=f.name)


def _obstacle_change(seed: int) -> tuple[Any, Any, Any, Any, np.ndarray]:
    """Random edges before and after a change of a few of them (closed, narrowed, steeper,
    a kerb lowered, a barrier gone), and the changed edges."""
    from accessibility_rules.effective import EffectiveEdges

    edge, eff = random_edges(seed, n=2000)
    rng = np.random.default_rng(seed)
    touched = np.unique(rng.integers(0, 2000, 80))
    new_edge = {k: v.copy() for k, v in edge.items()}
    arrays = {f.name: getattr(eff, f.name).copy() for f in dataclasses.fields(EffectiveEdges)}
    part = np.array_split(touched, 5)
    arrays["closed"][part[0]] = True
    new_edge["width_m"][part[1]] = 0.5
    arrays["passage_width_m"][part[1]] = 0.5
    new_edge["incline_percent"][part[2]] = 12.0
    arrays["kerb_height_cm"][part[3]] = 0.0
    arrays["barrier"][part[4]] = 0
    return edge, eff, new_edge, EffectiveEdges(**arrays), touched


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=PERSONAL.map(personal))
def test_patched_weights_equal_the_numpy_rules_on_the_new_attributes(profile: Any) -> None:
    """The obstacle patch path (kernel on the changed edges only) against the reference rules
    on all edges after the change."""
    edge, eff, new_edge, new_eff, touched = _obstacle_change(7)
    old = routing.metric.compute_weights(profile, edge, eff)
    patched = routing.metric.patch_weights(old, profile, new_edge, new_eff, touched)
    want = reference_weights(profile, new_edge, new_eff)
    assert_same(dataclasses.replace(patched, min_cost_per_m=want.min_cost_per_m), want)
    if not np.isnan(want.min_cost_per_m):  # the random edges include NaN crossing shares
        assert patched.min_cost_per_m <= want.min_cost_per_m  # still a lower bound


@pytest.mark.realdata
@pytest.mark.parametrize("preset", ["walk", "wheelchair", "rollator"])
def test_patched_metric_equals_the_recomputed_one(uni_router: Router, preset: str) -> None:
    """Only the touched edges re-weighted: the very values of a full computation, a lower
    bound still below every cost, and searches finding the same least costs."""
    from accessibility_rules.weights import compute_weights

    router = uni_router
    profile = load_preset(preset)
    metric = router.customize(profile)
    edge, eff, touched = _changed_attributes(router, 9)
    full = compute_weights(profile, edge, eff)
    patched = routing.metric.patch_metric(
        metric, profile, edge, eff, touched, shared_landmarks=router.customizer.shared_landmarks,
        h_factor=router.customizer.h_factor, revision=metric.revision,
    )  # fmt: skip
    for f in dataclasses.fields(full):
        value = getattr(full, f.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(patched.weights, f.name), value, err_msg=f.name)
    assert patched.weights.min_cost_per_m <= full.min_cost_per_m
    length = router.graph.edge["length_m"]
    assert np.all(patched.cost_s >= length * patched.weights.min_cost_per_m * (1 - 1e-12))
    _assert_same_least_costs(
        router, patched, router.customizer.metric(full, own_landmarks=True), 12, 60
    )


def _assert_same_least_costs(router: Router, got: Metric, want: Metric, seed: int, n: int) -> None:
    """Searches between ``n / 2`` seeded pairs of points find the same least costs with both."""
    points = seeded_points(router, seed, n)
    for origin, destination in zip(points[::2], points[1::2], strict=True):
        s, _ = router.snap(origin, want)
        t, _ = router.snap(destination, want)
        costs = []
        for m in (got, want):
            try:
                costs.append(router.shortest_path(s, t, m).cost_s)
            except NoRouteError:
                costs.append(math.inf)
        assert costs[0] == costs[1] or math.isclose(costs[0], costs[1], rel_tol=1e-9), costs


def _count_weighings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, the number of edges of every weight computation a router makes: a patch
    (``routing.metric``) or a full computation (``routing.customizer``)."""
    sizes: list[int] = []
    real = routing.metric.compute_weights

    def counted(
        profile: Any,
        e: Any,
        f: Any,
        conditions: Any = DEFAULT_CONDITIONS,
        events: Any = None,
        into: Any = None,
    ) -> Any:
        sizes.append(len(f.kerb_count))
        return real(profile, e, f, conditions, events, into)

    monkeypatch.setattr(routing.metric, "compute_weights", counted)
    monkeypatch.setattr(routing.customizer, "compute_weights", counted)
    return sizes


@pytest.mark.realdata
def test_an_attribute_change_patches_every_cached_metric(
    fresh_router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``replace_attributes`` each cached metric, when its profile is next asked for,
    holds exactly the weights a full computation gives on the new attributes, with only the
    changed edges re-weighted (no full re-weighting, no landmark search); until then it waits in
    the cache, so a write costs only the profiles in use. Two changes in a row patch the union."""
    from accessibility_rules.weights import compute_weights

    router = fresh_router
    profiles = [load_preset("walk"), load_preset("wheelchair"), make_profile("rollator", {})]
    for p in profiles:
        router.customize(p)
    before = router.customizer.revision
    edge, _, _ = _changed_attributes(router, 13)
    node = router.graph.node
    router.customizer.replace_attributes(edge, node)
    edge2, eff2, _ = _changed_attributes(router, 14)  # a second change before any route
    router.customizer.replace_attributes(edge2, node)
    assert router.customizer.revision == before + 2
    assert len(router.customizer.metric_cache) == len(profiles)
    for p in profiles:  # nothing patched yet
        waiting = router.customizer.metric_cache.get((p, DEFAULT_CONDITIONS))
        assert waiting is not None
        assert waiting.revision == before
    sizes = _count_weighings(monkeypatch)
    for p in profiles:
        patched = router.customize(p)
        assert patched.revision == router.customizer.revision
        assert router.customize(p) is patched  # patched once, then cached
        full = compute_weights(p, edge2, eff2)
        np.testing.assert_array_equal(patched.cost_s, full.cost_s)
        np.testing.assert_array_equal(patched.weights.violations, full.violations)
        assert patched.weights.min_cost_per_m <= full.min_cost_per_m
    assert sizes
    assert max(sizes) < router.graph.edge_count // 10  # only the changed edges re-weighted


@pytest.mark.realdata
def test_a_new_profile_after_a_change_is_weighed_on_the_new_attributes(
    fresh_router: Router,
) -> None:
    """The router keeps the edges' event words (``edge_events``) with the attributes: a profile
    first asked for after ``replace_attributes`` gets every field a computation from scratch on
    the new attributes gives, bit for bit."""
    import dataclasses as dc

    from accessibility_rules.weights import compute_weights, edge_events

    router = fresh_router
    before = edge_events(*router.customizer.attributes())
    edge, eff, _ = _changed_attributes(router, 15)
    router.customizer.replace_attributes(edge, router.graph.node)
    profile = make_profile("wheelchair", {"max_kerb_height_cm": 2.5})
    got = router.customize(profile).weights
    want = compute_weights(profile, edge, eff)
    for f in dc.fields(want):
        np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name), err_msg=f.name)
    # the change shows in the event words: narrowed ways now have a known width
    assert np.any(edge_events(edge, eff).unknown_candidates != before.unknown_candidates)


@pytest.mark.realdata
def test_a_metric_older_than_the_change_record_is_recomputed(
    uni_router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When more changes came than the router remembers (``CHANGE_HISTORY``), a cached metric
    cannot be patched: it is computed anew on the current attributes, and equals that. One of
    the map's own attributes (revision 0) is patched on every edge changed since, which the
    router keeps whatever the history holds (what a kept metric evicted back to its original
    needs), and equals it too."""
    from accessibility_rules.weights import compute_weights

    monkeypatch.setattr(routing.customizer, "CHANGE_HISTORY", 2)
    g = uni_router.graph
    router = Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))
    walk, wheelchair = load_preset("walk"), load_preset("wheelchair")
    router.customize(wheelchair)
    touched = []
    for seed in (20, 21, 22, 23):  # four changes, two remembered
        edge, eff, changed = _changed_attributes(router, seed)
        router.customizer.replace_attributes(edge, router.graph.node)
        touched.append(changed)
        if seed == 20:
            old = router.customize(walk)
    sizes = _count_weighings(monkeypatch)
    new = router.customize(walk)
    assert sizes == [router.graph.edge_count]  # one full computation
    assert new.revision == router.customizer.revision == old.revision + 3
    np.testing.assert_array_equal(new.cost_s, compute_weights(walk, edge, eff).cost_s)
    sizes.clear()
    patched = router.customize(wheelchair)  # of revision 0: patched
    assert patched.revision == router.customizer.revision
    assert 0 < sizes[0] <= len(np.unique(np.concatenate(touched)))
    assert_same(patched.weights, compute_weights(wheelchair, edge, eff))


@pytest.mark.realdata
def test_the_edges_changed_from_the_map_are_those_that_differ_now(
    uni_router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a metric of the map's own attributes needs re-weighted once the record of changes
    no longer reaches back: the edges that differ from the map now, not every edge a change
    ever touched (a closure made and lifted leaves none)."""
    monkeypatch.setattr(routing.customizer, "CHANGE_HISTORY", 1)
    g = uni_router.graph
    router = Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))
    wheelchair = load_preset("wheelchair")
    original = router.customize(wheelchair)
    map_edge, node = router.graph.edge, router.graph.node
    edge, _, touched = _changed_attributes(router, 24)
    router.customizer.replace_attributes(edge, node)
    from_map = router.customizer._changed_since(0)
    assert from_map is not None
    assert 0 < len(from_map) <= len(touched)
    assert set(from_map.tolist()) <= set(touched.tolist())
    router.customizer.replace_attributes(map_edge, node, edges=touched)  # lifted: the map's again
    router.customizer.replace_attributes(
        map_edge, node, edges=touched
    )  # the record: one change, no more
    from_map = router.customizer._changed_since(0)
    assert from_map is not None
    assert from_map.size == 0
    sizes = _count_weighings(monkeypatch)
    again = router.customize(wheelchair)
    assert sizes == []  # nothing weighed: the original's arrays serve the new revision
    assert again.weights is original.weights
    assert again.revision == router.customizer.revision


@pytest.mark.realdata
@pytest.mark.parametrize("preset", ["walk", "wheelchair"])
def test_a_lifted_closure_keeps_the_metrics_own_landmarks(
    fresh_router: Router, preset: str
) -> None:
    """Closing edges and lifting the closure makes costs fall back to those the metric's own
    landmarks were computed on: the landmarks stay (a weaker shared bound had stayed for good,
    every answer slower), as exact as before; a cost below them gives the shared bound. Searches find the least
    costs of a metric built afresh either way."""
    from accessibility_rules.weights import compute_weights

    router = fresh_router
    profile = load_preset(preset)
    own = router.customize(profile, DEFAULT_CONDITIONS)
    assert not own.shared_landmarks
    pristine_edge, pristine_node = dict(router.graph.edge), dict(router.graph.node)
    closed = pristine_edge["closed"].copy()
    closed[np.arange(0, closed.size, 97)] = True
    router.customizer.replace_attributes({**pristine_edge, "closed": closed}, dict(pristine_node))
    shut = router.customize(profile, DEFAULT_CONDITIONS)
    assert shut.landmarks is own.landmarks
    assert not shut.shared_landmarks
    assert shut.landmark_cost_s is own.cost_s  # the costs they were computed on
    router.customizer.replace_attributes(dict(pristine_edge), dict(pristine_node))
    lifted = router.customize(profile, DEFAULT_CONDITIONS)
    assert lifted.landmarks is own.landmarks
    assert not lifted.shared_landmarks
    np.testing.assert_array_equal(lifted.cost_s, own.cost_s)
    # the costs they were computed on again: no older basis held (nor counted), no rent paid
    assert lifted.landmark_cost_s is None
    assert lifted.rent is None
    assert lifted.nbytes == own.nbytes
    # a cost below the landmarks' own: the shared bound
    cheaper = dataclasses.replace(lifted.weights, cost_s=lifted.cost_s * 0.5)
    below = routing.metric.patch_metric(
        dataclasses.replace(lifted, weights=cheaper, landmark_cost_s=own.cost_s), profile,
        router.graph.edge, router.customizer.effective, np.zeros(0, dtype=np.int64),
        shared_landmarks=router.customizer.shared_landmarks, h_factor=router.customizer.h_factor,
        revision=lifted.revision,
    )  # fmt: skip
    assert below.shared_landmarks or not below.landmarks.dist.size
    fresh = router.customizer.metric(
        compute_weights(profile, router.graph.edge, router.customizer.effective), own_landmarks=True
    )
    _assert_same_least_costs(router, lifted, fresh, 14, 40)


@pytest.mark.realdata
def test_a_preset_on_another_day_borrows_the_landmarks_of_its_kept_metric(
    fresh_router: Router,
) -> None:
    """The allergy preset on a day of another pollen season than its kept metric's (the server
    keeps today's) is weighed without a landmark search (a tenth of the time on
    Kaiserslautern): it runs on the kept metric's landmarks, with the same least costs as
    without landmarks, and earns its own when asked for again and again. A kept metric gets its
    own at once whatever else is cached."""
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, resolve_conditions

    router = fresh_router
    allergy = load_preset("allergy")
    lat = float(router.graph.node["lat"].mean())
    lon = float(router.graph.node["lon"].mean())

    def on(month: int) -> Conditions:
        when = dt.datetime(2027, month, 15, 12, tzinfo=BERLIN)
        return resolve_conditions(allergy, lat=lat, lon=lon, departure_time=when)

    winter, spring = on(12), on(4)
    assert spring != winter  # birch and more in flight
    kept = router.customize(allergy, winter, keep=True)
    assert not kept.shared_landmarks
    other = router.customize(allergy, spring)
    assert other.shared_landmarks
    assert other.landmarks.dist is kept.landmarks.dist
    plain = dataclasses.replace(other, landmarks=Landmarks.none(router.graph.node_count))
    _assert_same_least_costs(router, other, plain, seed=13, n=60)
    for _ in range(routing.metric.OWN_LANDMARKS_AFTER_HITS):
        earned = router.customize(allergy, spring)
    assert not earned.shared_landmarks
    summer = on(7)  # grasses
    assert summer not in (winter, spring)
    kept_too = router.customize(allergy, summer, keep=True)
    assert not kept_too.shared_landmarks


@pytest.mark.realdata
def test_a_personal_profile_borrows_its_presets_landmarks_where_they_bound_tighter(
    fresh_router: Router,
) -> None:
    """A new personal profile (faster than its preset, another kerb limit) runs on its preset's
    own landmarks scaled (no landmark search; the same least costs as without landmarks); one
    much cheaper than its preset (unknown kerbs not priced) keeps the shared landmarks; with its
    own after ``OWN_LANDMARKS_AFTER_HITS`` uses either way."""
    router = fresh_router
    preset = router.customize(load_preset("wheelchair"))
    assert not preset.shared_landmarks
    faster = router.customize(
        make_profile("wheelchair", {"walking_speed_mps": 1.2, "max_kerb_height_cm": 4})
    )
    assert faster.shared_landmarks  # not its own: the preset's, scaled
    assert faster.landmarks.dist is preset.landmarks.dist
    assert 0.0 < faster.landmarks.scale < 1.0
    assert np.all(faster.cost_s >= faster.landmarks.scale * preset.cost_s * (1 - 1e-12))
    plain = dataclasses.replace(faster, landmarks=Landmarks.none(router.graph.node_count))
    _assert_same_least_costs(router, faster, plain, seed=12, n=60)
    cheaper = make_profile("wheelchair", {"unknown_transition_penalty_s": 0.0})
    kept = router.customize(cheaper)
    assert borrow_scale(kept.cost_s, preset.cost_s) < BORROW_MIN_SHARE
    assert kept.landmarks.dist is not preset.landmarks.dist  # the shared metres, scaled
    assert kept.shared_landmarks
    personal = make_profile("wheelchair", {"walking_speed_mps": 1.2, "max_kerb_height_cm": 4})
    for _ in range(routing.metric.OWN_LANDMARKS_AFTER_HITS):
        earned = router.customize(personal)
    assert not earned.shared_landmarks
    assert earned.landmarks.dist is not preset.landmarks.dist
