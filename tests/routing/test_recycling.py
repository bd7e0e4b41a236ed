"""An evicted metric's arrays are written over by the next new metric only when nothing else
holds them (``routing.recycling``), and the weights written there are exactly the weights."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import routing.customizer
import routing.recycling
from accessibility_rules.profile import Profile
from accessibility_rules.weights import EdgeWeights, compute_weights
from graphs.arrays import array_fields, field_names
from routing.engine import Router
from routing.errors import NoRouteError
from routing.metric import WEIGHT_BYTES_PER_EDGE, Metric, MetricCache
from routing.recycling import EXACT_COUNTS, recyclable
from tests.routing.test_metric import fake_metric
from tests.routing.trips import seeded_points

ARRAYS = sorted(n for n in field_names(EdgeWeights) if n != "min_cost_per_m")


def handed_over(names: list[str]) -> list[str]:
    """``names``, the arrays :func:`recyclable` hands over on this interpreter: all of them
    where reference counts are exact (CPython before 3.14, the project's and CI's), none
    elsewhere (``EXACT_COUNTS``; :func:`test_without_exact_counts_nothing_is_handed_over` runs
    that branch here too)."""
    return names if EXACT_COUNTS else []


def test_make_room_evicts_the_least_recently_used_before_the_new_metric() -> None:
    size = fake_metric(100).nbytes
    cache = MetricCache(max_bytes=int(2.5 * size))
    a, b = fake_metric(100), fake_metric(100)
    cache.put("a", a)
    cache.put("b", b)
    assert cache.make_room(size // 2) == []  # fits beside them
    gone = cache.make_room(size)
    assert len(gone) == 1
    assert gone[0] is a
    assert "a" not in cache
    assert cache.get("b") is b
    assert cache.nbytes == size
    cache.put("c", fake_metric(100))  # the room made: nothing more evicted
    assert cache.get("b") is b
    assert cache.make_room(3 * size) == []  # over the whole bound: put will not cache it


def test_make_room_never_hands_over_a_kept_keys_original() -> None:
    size = fake_metric(100).nbytes
    cache = MetricCache(max_bytes=int(1.5 * size))
    cache.keep("p")
    original = fake_metric(100)
    cache.put("p", original)
    patched = fake_metric(100, revision=1)
    cache.put("p", patched)  # a patched copy of its own arrays: counted
    gone = cache.make_room(size)
    assert len(gone) == 1
    assert gone[0] is patched  # evicted back to the original
    assert cache.get("p") is original
    assert cache.make_room(size) == []  # the original is not counted, never evicted


def test_an_evicted_metric_held_by_nothing_else_hands_over_every_array() -> None:
    evicted = [fake_metric(100)]
    free = recyclable(evicted)
    assert sorted(free) == handed_over(ARRAYS)
    assert evicted == []
    assert all(a.base is None for a in free.values())


def test_without_exact_counts_nothing_is_handed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing.recycling, "EXACT_COUNTS", False)
    evicted = [fake_metric(100), fake_metric(100)]
    assert recyclable(evicted) == {}
    assert evicted == []  # let go all the same


def test_only_the_first_metric_that_has_free_arrays_is_taken() -> None:
    evicted = [fake_metric(100), fake_metric(100)]
    assert sorted(recyclable(evicted)) == handed_over(ARRAYS)
    assert evicted == []  # the other is let go (freed as eviction frees it)


def _evicted_with(hold: str) -> tuple[list[Metric], object]:
    """An evicted metric, and a reference to one of its parts that something else holds."""
    metric = fake_metric(100)
    weights = metric.weights
    held: object
    if hold == "metric":  # a request still routing on it
        held = metric
    elif hold == "weights":
        held = weights
    elif hold == "array":  # a search kernel's argument, another metric's field
        held = weights.cost_s
    elif hold == "view":  # a slice of an array
        held = weights.way_s[::2]
    else:  # an array that is itself a view (the memory shared between processes)
        shared = np.zeros(200)
        metric = dataclasses.replace(
            metric, weights=dataclasses.replace(weights, head_s=shared[:100])
        )
        held = None
    del weights
    return [metric], held


@pytest.mark.parametrize(
    ("hold", "expected"),
    [
        ("metric", []),
        ("weights", []),
        ("array", [n for n in ARRAYS if n != "cost_s"]),
        ("view", [n for n in ARRAYS if n != "way_s"]),
        ("view_itself", [n for n in ARRAYS if n != "head_s"]),
    ],
)
def test_what_anything_else_holds_is_never_handed_over(hold: str, expected: list[str]) -> None:
    evicted, held = _evicted_with(hold)
    assert sorted(recyclable(evicted)) == handed_over(expected)
    assert held is not None or hold == "view_itself"


def test_an_array_shared_with_a_cached_metric_is_not_handed_over() -> None:
    a = fake_metric(100)
    b = dataclasses.replace(a, weights=dataclasses.replace(a.weights, cost_s=np.ones(100)))
    cache = MetricCache(max_bytes=10 * a.nbytes)
    cache.put("b", b)  # b shares every array of a but its costs (the same objects)
    del b
    evicted = [a]
    del a
    assert sorted(recyclable(evicted)) == handed_over(["cost_s"])


@pytest.fixture
def small_cache_router(uni_router: Router) -> Router:
    """A Router on the university graph whose cache holds one personal profile's metric (on
    borrowed landmarks: weights only) besides the wheelchair preset, which it keeps."""
    router = Router(uni_router.graph)
    router.customize(router.profile("wheelchair"), keep=True)
    one = WEIGHT_BYTES_PER_EDGE * router.graph.edge_count
    router.customizer.metric_cache.max_bytes = int(1.5 * one)
    return router


def _personal(router: Router, speed: float) -> Profile:
    return router.profile("wheelchair", {"walking_speed_mps": speed, "max_kerb_height_cm": 2.5})


def test_a_new_profile_is_weighed_into_the_evicted_metrics_arrays(
    small_cache_router: Router,
) -> None:
    router = small_cache_router
    first = router.customize(_personal(router, 0.7))
    addresses = {n: a.ctypes.data for n, a in array_fields(first.weights).items()}
    del first
    gc.collect()
    profile = _personal(router, 0.8)
    second = router.customize(profile)
    assert len(router.customizer.metric_cache) == 2  # the preset and the new one
    written_over = [
        n for n, a in array_fields(second.weights).items() if a.ctypes.data == addresses[n]
    ]
    # its own (the preset's differ); without exact counts, fresh memory
    assert {"cost_s", "way_s"} <= set(written_over) or not EXACT_COUNTS
    expected = compute_weights(profile, router.graph.edge, router.customizer.effective)
    for name, array in array_fields(expected).items():
        np.testing.assert_array_equal(getattr(second.weights, name), array, strict=True)
    assert second.weights.min_cost_per_m == expected.min_cost_per_m


def test_a_metric_a_request_still_holds_is_never_written_over(small_cache_router: Router) -> None:
    router = small_cache_router
    first = router.customize(_personal(router, 0.7))
    before = {n: a.copy() for n, a in array_fields(first.weights).items()}
    second = router.customize(_personal(router, 0.8))
    assert (router.profile("wheelchair"), first.conditions) in router.customizer.metric_cache
    for name, array in array_fields(first.weights).items():
        np.testing.assert_array_equal(array, before[name], strict=True)
        new = getattr(second.weights, name)
        assert new is array or new.ctypes.data != array.ctypes.data  # shared, or not its memory


def test_routes_stay_exact_while_other_threads_recycle(uni_router: Router) -> None:
    """Four threads route on personal profiles through a cache that holds only two of them, so
    that almost every request evicts a metric another thread may be routing on: every route's
    cost equals the one a router without recycling pressure finds (an array written over
    while read would change costs or paths), and recycling did happen."""
    router = Router(uni_router.graph)
    router.customize(router.profile("wheelchair"), keep=True)
    router.customizer.metric_cache.max_bytes = int(
        2.5 * WEIGHT_BYTES_PER_EDGE * router.graph.edge_count
    )
    reference = Router(uni_router.graph)
    points = seeded_points(router, 31, 48)
    trips = list(zip(points[::2], points[1::2], strict=True))
    profiles = [_personal(router, 0.6 + 0.01 * j) for j in range(12)]
    expected: dict[tuple[int, int], float] = {}
    for p, profile in enumerate(profiles):
        for t, (a, b) in enumerate(trips):
            with contextlib.suppress(NoRouteError):
                expected[p, t] = reference.route(a, b, profile, compare_walk=False).cost_s
    recycled = 0
    real = routing.customizer.recyclable

    def counting(evicted: list[Metric]) -> dict[str, np.ndarray]:
        nonlocal recycled
        free = real(evicted)
        recycled += bool(free)
        return free

    def work(seed: int) -> list[tuple[int, int, float]]:
        rng = np.random.default_rng(seed)
        got = []
        for _ in range(60):
            p, t = int(rng.integers(len(profiles))), int(rng.integers(len(trips)))
            with contextlib.suppress(NoRouteError):
                a, b = trips[t]
                got.append((p, t, router.route(a, b, profiles[p], compare_walk=False).cost_s))
        return got

    results: list[tuple[int, int, float]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(routing.customizer, "recyclable", counting)
        for attempt in range(3 if EXACT_COUNTS else 1):  # a round recycles 9-48 times
            with ThreadPoolExecutor(4) as pool:
                results += [
                    r for part in pool.map(work, range(4 * attempt, 4 * attempt + 4)) for r in part
                ]
            if recycled:
                break
    # not a vacuous pass: evicted arrays were written over meanwhile (where counts are exact)
    assert (recycled > 0) == EXACT_COUNTS
    assert len(results) > 100
    for p, t, cost in results:
        assert cost == expected[p, t], (p, t)
