"""Metrics share the per-edge arrays they have equal (:mod:`routing.array_sharing`).

The reference is the computation without sharing: every metric's arrays hold the bits
:func:`~accessibility_rules.weights.compute_weights` gives for its profile, and landmarks taken
from another metric hold the distances :func:`~routing.landmarks.compute_landmarks` computes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from accessibility_rules.conditions import BERLIN, Conditions, resolve_conditions
from accessibility_rules.profile import load_preset, make_profile
from accessibility_rules.weights import BITS_DTYPE, EdgeWeights, compute_weights
from graphs.arrays import array_fields
from routing.array_sharing import equal_bits, equal_landmarks, share_equal_arrays
from routing.engine import Router
from routing.landmarks import LANDMARK_INPUTS, Landmarks, compute_landmarks
from routing.metric import Metric

FIELDS = ("way_s", "head_s", "violations", "unknowns", "cost_s", "violations_at_head")


def weights_of(n: int, seed: int) -> EdgeWeights:
    rng = np.random.default_rng(seed)
    return EdgeWeights(
        way_s=rng.uniform(1, 9, n), head_s=rng.uniform(0, 3, n),
        violations=rng.integers(0, 4, n, dtype=BITS_DTYPE),
        unknowns=rng.integers(0, 4, n, dtype=BITS_DTYPE), cost_s=rng.uniform(1, 12, n),
        min_cost_per_m=0.5, violations_at_head=rng.integers(0, 2, n, dtype=BITS_DTYPE),
    )  # fmt: skip


# ------------------------------------------------------------------------------- the rules
def test_equal_bits_is_equality_of_what_the_kernels_read() -> None:
    a = np.array([0.0, 1.5, np.inf, np.nan])
    assert equal_bits(a, a)
    assert equal_bits(a, a.copy())  # NaN of the same bits, inf
    assert not equal_bits(a, np.array([-0.0, 1.5, np.inf, np.nan]))  # -0.0 is other bits
    assert not equal_bits(a, a.astype(np.float32))
    assert not equal_bits(a, a[:3])
    assert not equal_bits(np.zeros(3, dtype=np.uint32), np.zeros(3, dtype=np.int32))
    strided = np.arange(8.0)[::2]  # not contiguous: compared by its bytes
    assert equal_bits(strided, np.array([0.0, 2.0, 4.0, 6.0]))
    assert not equal_bits(strided, np.array([0.0, 2.0, 4.0, 7.0]))


def test_equal_arrays_are_replaced_by_the_first_holders() -> None:
    mine, first, second = weights_of(50, 1), weights_of(50, 2), weights_of(50, 3)
    first = dataclasses.replace(first, way_s=mine.way_s.copy(), unknowns=mine.unknowns.copy())
    second = dataclasses.replace(second, way_s=mine.way_s.copy(), cost_s=mine.cost_s.copy())
    shared = share_equal_arrays(mine, [first, second])
    assert shared.way_s is first.way_s  # the first that has it
    assert shared.unknowns is first.unknowns
    assert shared.cost_s is second.cost_s
    for name in ("head_s", "violations", "violations_at_head"):
        assert getattr(shared, name) is getattr(mine, name)
    for name, array in array_fields(mine).items():
        assert equal_bits(getattr(shared, name), array)  # the values are unchanged
    assert share_equal_arrays(mine, [weights_of(50, 4)]) is mine  # nothing equal: itself
    assert share_equal_arrays(mine, []) is mine


def test_landmarks_are_equal_only_on_the_very_arrays_they_read() -> None:
    weights = weights_of(20, 5)
    nodes = np.array([0, 7])
    own = Landmarks(nodes=nodes, dist=np.zeros((20, 3)))
    assert equal_landmarks(weights, [(weights, own)], nodes) is own
    for name in LANDMARK_INPUTS:  # one input a copy: equal bits, but not known to be the same
        copy = dataclasses.replace(weights, **{name: getattr(weights, name).copy()})
        assert equal_landmarks(copy, [(weights, own)], nodes) is None
    unread = dataclasses.replace(weights, unknowns=weights.unknowns + 1)
    assert equal_landmarks(unread, [(weights, own)], nodes) is own  # unknowns are not read
    assert equal_landmarks(weights, [(weights, own)], np.array([0, 8])) is None
    scaled = dataclasses.replace(own, scale=0.5)
    assert equal_landmarks(weights, [(weights, scaled)], nodes) is None


# -------------------------------------------------------------------------- on a real graph
@pytest.fixture
def router(uni_router: Router) -> Router:
    """A new Router on the university graph (an empty metric cache)."""
    g = uni_router.graph
    return Router(dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)))


def assert_as_computed(router: Router, metric: Metric) -> None:
    """``metric``'s arrays hold the bits of a computation of its own, its own landmarks the
    distances computed on them."""
    assert metric.profile is not None
    alone = compute_weights(
        metric.profile, router.graph.edge, router.customizer.effective, metric.conditions
    )
    for name in FIELDS:
        assert equal_bits(getattr(metric.weights, name), getattr(alone, name)), name
    if not metric.shared_landmarks:
        nodes = metric.landmarks.nodes
        fresh = compute_landmarks(router.graph, alone, nodes)
        assert np.array_equal(metric.landmarks.dist, fresh.dist)


@pytest.mark.realdata
def test_personal_profiles_hold_their_presets_arrays_where_they_weigh_alike(
    router: Router,
) -> None:
    """Personal wheelchair profiles with other kerb and incline limits: every array with the
    preset's bits is the preset's array, every other one of its own, all as computed alone."""
    preset = router.customize(load_preset("wheelchair"))
    shared_somewhere = 0
    for parameters in (
        {"max_kerb_height_cm": 2.5}, {"max_kerb_height_cm": 4.0}, {"max_kerb_height_cm": 9.5},
        {"max_incline_percent": 3.0}, {"max_incline_percent": 9.0}, {"walking_speed_mps": 0.9},
    ):  # fmt: skip
        metric = router.customize(make_profile("wheelchair", parameters))
        assert_as_computed(router, metric)
        for name in FIELDS:
            mine, theirs = getattr(metric.weights, name), getattr(preset.weights, name)
            assert (mine is theirs) == equal_bits(mine, theirs), (parameters, name)
            shared_somewhere += mine is theirs
    assert shared_somewhere >= 6


@pytest.mark.realdata
def test_a_personal_profile_that_weighs_as_its_preset_earns_the_presets_landmarks(
    router: Router,
) -> None:
    """A personal profile whose limits change no edge of the map (a kerb limit between two
    kerb heights the map has) holds every array of its preset, and its own landmarks, once
    earned, are the preset's: no landmark search, the same distances."""
    import routing.metric

    preset = router.customize(load_preset("wheelchair"))
    alike = None
    for cm in (3.5, 3.25, 3.75, 2.75, 3.1):
        metric = router.customize(make_profile("wheelchair", {"max_kerb_height_cm": cm}))
        if all(getattr(metric.weights, n) is getattr(preset.weights, n) for n in FIELDS):
            alike = make_profile("wheelchair", {"max_kerb_height_cm": cm})
            break
    if alike is None:
        pytest.fail("no kerb limit near the preset's weighs every edge as the preset does")
    for _ in range(routing.metric.OWN_LANDMARKS_AFTER_HITS + 1):
        earned = router.customize(alike)
    assert not earned.shared_landmarks
    assert earned.landmarks is preset.landmarks
    assert_as_computed(router, earned)


@pytest.mark.realdata
def test_kept_presets_share_what_they_weigh_alike_and_their_landmarks(router: Router) -> None:
    """The server's kept presets: the allergy preset in winter (no pollen in flight) weighs as
    walk and holds walk's arrays and landmarks; the elderly preset in the dark holds its day
    metric's arrays but the unknowns, and the day's landmarks (they read no unknowns)."""
    lat = float(router.graph.node["lat"].mean())
    lon = float(router.graph.node["lon"].mean())

    def on(name: str, hour: int) -> Conditions:
        when = dt.datetime(2027, 12, 15, hour, tzinfo=BERLIN)
        return resolve_conditions(load_preset(name), lat=lat, lon=lon, departure_time=when)

    walk = router.customize(load_preset("walk"), on("walk", 12), keep=True)
    allergy = router.customize(load_preset("allergy"), on("allergy", 12), keep=True)
    for name in FIELDS:
        assert getattr(allergy.weights, name) is getattr(walk.weights, name)
    assert allergy.landmarks is walk.landmarks
    assert not allergy.shared_landmarks
    day = router.customize(load_preset("elderly"), on("elderly", 12), keep=True)
    dark = router.customize(load_preset("elderly"), on("elderly", 0), keep=True)
    assert on("elderly", 12) != on("elderly", 0)
    for name in FIELDS:
        mine, theirs = getattr(dark.weights, name), getattr(day.weights, name)
        assert (mine is theirs) == equal_bits(mine, theirs), name
    assert not equal_bits(dark.weights.unknowns, day.weights.unknowns)
    assert dark.landmarks is day.landmarks
    for metric in (walk, allergy, day, dark):
        assert_as_computed(router, metric)
    moved = router.share_memory()  # what is one array is moved once
    assert moved > 0
    kept = [router.customize(load_preset(n), on(n, h), keep=True) for n, h in (
        ("walk", 12), ("allergy", 12), ("elderly", 12), ("elderly", 0)
    )]  # fmt: skip
    assert kept[0].weights.cost_s is kept[1].weights.cost_s
    assert kept[2].landmarks.dist is kept[3].landmarks.dist


def close_usable_edges(router: Router, cost_s: np.ndarray, count: int) -> None:
    """Close the first ``count`` edges usable at ``cost_s`` (an attribute change, as a staff
    closure makes)."""
    edge = dict(router.graph.edge)
    edge["closed"] = edge["closed"].copy()
    edge["closed"][np.flatnonzero(np.isfinite(cost_s))[:count]] = 1
    router.customizer.replace_attributes(edge, dict(router.graph.node))


def holds_alike(router: Router, metric: Metric, preset: Metric) -> bool:
    """Check that ``metric`` is as computed alone and holds ``preset``'s arrays exactly where
    it has their bits; return whether it holds the preset's costs."""
    assert_as_computed(router, metric)
    for name in FIELDS:
        mine, theirs = getattr(metric.weights, name), getattr(preset.weights, name)
        assert (mine is theirs) == equal_bits(mine, theirs), name
    return metric.weights.cost_s is preset.weights.cost_s


@pytest.mark.realdata
def test_a_patch_keeps_personal_profiles_on_their_presets_arrays(router: Router) -> None:
    """After an attribute change (a closure) the personal profiles' patched metrics hold the
    preset's patched arrays where theirs have the same bits: the sharing outlives the patch."""
    wheelchair = load_preset("wheelchair")
    preset = router.customize(wheelchair, keep=True)
    personal = [
        make_profile("wheelchair", p)
        for p in (
            {"max_kerb_height_cm": 2.5},
            {"walking_speed_mps": 0.9},
            {"max_incline_percent": 9.0},
        )
    ]
    for profile in personal:
        router.customize(profile)
    close_usable_edges(router, preset.cost_s, 40)
    patched = [router.customize(profile) for profile in personal]
    now = router.customize(wheelchair)
    assert now.revision == 1
    assert now.weights.cost_s is not preset.weights.cost_s  # the closure changed the costs
    shared_changed = 0
    for metric in patched:
        assert metric.revision == 1
        shared_changed += holds_alike(router, metric, now)
    assert shared_changed >= 1


@pytest.mark.realdata
def test_a_metric_customised_before_it_is_kept_is_the_original(router: Router) -> None:
    """The router weighs walk when it starts (the walking detour's reference); kept afterwards
    at the same revision, that metric is the original the live obstacles compare with."""
    walk = load_preset("walk")
    first = router.customize(walk)
    assert router.customizer.original_metric(walk, first.conditions) is None
    assert router.customize(walk, keep=True) is first
    assert router.customizer.original_metric(walk, first.conditions) is first
    assert router.customizer.originals_alike(walk, first.conditions) == [first]


@pytest.mark.realdata
def test_a_new_personal_profile_after_a_change_holds_its_presets_current_arrays(
    router: Router,
) -> None:
    """A personal profile first asked for after an attribute change, while its preset's cached
    metric is of the older attributes: the preset is brought up to date first, and the new
    metric holds its arrays where it has their bits (before, it held copies of its own of every
    array the change touched)."""
    wheelchair = load_preset("wheelchair")
    before = router.customize(wheelchair)
    close_usable_edges(router, before.cost_s, 40)
    shared_changed = 0
    for parameters in ({"max_kerb_height_cm": 2.5}, {"walking_speed_mps": 0.9}):
        metric = router.customize(make_profile("wheelchair", parameters))
        now = router.customizer.metric_cache.get((wheelchair, metric.conditions))
        assert now is not None
        assert now.revision == metric.revision == router.customizer.revision
        shared_changed += holds_alike(router, metric, now)
    assert shared_changed >= 1
