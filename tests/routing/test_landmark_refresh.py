"""Fresh landmarks for metrics an obstacle patched (routing/landmark_refresh.py): the rent their
searches pay, the refresh bought off the request path, and routes as exact as before."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pytest

import routing.landmark_refresh as refresh_module
from accessibility_rules.conditions import DEFAULT_CONDITIONS
from routing.engine import Router
from routing.landmark_refresh import MAX_PRICE_FACTOR, LandmarkRefresher, pays
from routing.landmarks import compute_landmarks
from routing.metric import LandmarkRent, Metric, MetricCache
from routing.rest_walks import rest_path
from routing.snapping import SnapPoint
from tests.routing.test_metric import fake_metric


def _wait(until: Callable[[], object], seconds: float = 10.0) -> None:
    """Wait until ``until()`` is true (the refresh thread's work), or fail."""
    end = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < end, "the refresh thread did not finish in time"
        time.sleep(0.005)


class _Stub:
    """What :meth:`LandmarkRefresher.charge` reads of a metric: its key."""

    def __init__(self, key: Hashable) -> None:
        self.key = key


HERE = SnapPoint(edge=1, fraction=0.5, distance_m=0.0, lon=7.7, lat=49.4)
THERE = SnapPoint(edge=2, fraction=0.25, distance_m=1.0, lon=7.8, lat=49.5)


def _recorder(done: list[Hashable], answer: bool = True) -> Any:
    """A refresh that records the keys it is run for and says ``answer``."""

    def refresh(key: Hashable) -> bool:
        done.append(key)
        return answer

    return refresh


def test_the_rent_asks_once_when_it_reaches_its_price() -> None:
    done: list[Hashable] = []
    refresher = LandmarkRefresher(100, _recorder(done))
    rent = LandmarkRent()
    metric = _Stub("wheelchair")
    refresher.charge(metric, rent, 60, HERE, THERE)
    assert not rent.asked
    refresher.charge(metric, rent, 40, THERE, HERE)
    assert rent.asked
    assert rent.settled == 100
    assert list(rent.recent) == [(HERE, THERE), (THERE, HERE)]
    refresher.charge(metric, rent, 500, HERE, THERE)  # asked already
    _wait(lambda: refresher.refreshed == 1)
    time.sleep(0.05)
    assert done == ["wheelchair"]
    doubled = LandmarkRent(factor=2)  # after fresh landmarks that did not pay: twice the price
    refresher.charge(_Stub("walk"), doubled, 150, HERE, THERE)
    assert not doubled.asked
    refresher.charge(_Stub("walk"), doubled, 50, HERE, THERE)
    assert doubled.asked
    _wait(lambda: done == ["wheelchair", "walk"])


def test_fresh_landmarks_pay_when_the_latest_searches_settle_a_tenth_fewer() -> None:
    """:func:`pays` runs the rent's latest searches on both metrics; short of the gain the
    rent starts again."""
    stale, fresh = fake_metric(4, 1), fake_metric(4, 1)

    def rented(trips: int) -> Metric:
        rent = LandmarkRent(settled=999, asked=True)
        rent.recent.extend([(HERE, THERE)] * trips)
        return dataclasses.replace(stale, rent=rent)

    def settling(old: int | None, new: int | None) -> Any:
        return lambda source, target, metric: old if metric.rent is not None else new

    paying = rented(3)
    assert pays(paying, fresh, settling(100, 90))
    assert paying.rent is not None
    assert (paying.rent.settled, paying.rent.asked) == (999, True)
    for old, new in ((100, 91), (100, 100), (100, 150), (None, 10), (0, 0)):
        metric = rented(3)
        assert not pays(metric, fresh, settling(old, new))
        assert metric.rent is not None
        assert (metric.rent.settled, metric.rent.asked) == (0, False)
    nothing = rented(0)
    assert not pays(nothing, fresh, settling(100, 1))
    assert not pays(fresh, fresh, settling(1, 1))  # no rent: nothing to judge


def test_the_price_doubles_for_a_key_whose_fresh_landmarks_did_not_pay() -> None:
    """Per key, each refresh that did not pay doubles the price (up to
    :data:`MAX_PRICE_FACTOR` times), also for the rents of later patches (a closure written
    and deleted starts a new rent each time); one that paid brings it back; nothing judged
    leaves it."""
    answers = iter([False, False, None, True])
    refresher = LandmarkRefresher(100, lambda key: next(answers))
    metric = _Stub("walk")

    def rent_until_asked(expected_factor: int) -> LandmarkRent:
        rent = LandmarkRent()  # a new patch's
        refresher.charge(metric, rent, 100 * expected_factor - 1, HERE, THERE)
        assert not rent.asked
        refresher.charge(metric, rent, 1, HERE, THERE)
        assert rent.asked
        assert rent.factor == expected_factor
        return rent

    rent_until_asked(1)
    _wait(lambda: refresher.declined == 1)
    assert refresher.price_factor("walk") == 2
    rent_until_asked(2)
    _wait(lambda: refresher.declined == 2)
    assert refresher.price_factor("walk") == 4
    rent_until_asked(4)  # answered None: nothing judged
    time.sleep(0.05)
    assert refresher.price_factor("walk") == 4
    rent_until_asked(4)
    _wait(lambda: refresher.refreshed == 1)
    assert refresher.price_factor("walk") == 1
    refresher._factors["walk"] = MAX_PRICE_FACTOR
    refresher.declined = 0
    refresher._refresh = lambda key: False
    rent_until_asked(MAX_PRICE_FACTOR)
    _wait(lambda: refresher.declined == 1)
    assert refresher.price_factor("walk") == MAX_PRICE_FACTOR


def test_a_key_waiting_is_queued_once_and_a_failing_refresh_keeps_the_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = threading.Event()
    seen: list[Hashable] = []

    def refresh(key: Hashable) -> bool:
        gate.wait(5)
        seen.append(key)
        if key == "bad":
            raise RuntimeError("no landmarks today")
        return True

    refresher = LandmarkRefresher(1, refresh)
    refresher.ask("bad")  # the thread takes it and waits at the gate
    _wait(lambda: not refresher._queued)
    for key in ("a", "a", "b", "a"):
        refresher.ask(key)
    gate.set()
    _wait(lambda: len(seen) == 3)
    assert seen == ["bad", "a", "b"]
    assert "fresh landmarks for 'bad' failed" in caplog.text
    refresher.ask("c")  # the thread lived on
    _wait(lambda: seen[-1:] == ["c"])


def test_the_thread_ends_when_idle_and_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh_module, "IDLE_EXIT_S", 0.05)
    seen: list[Hashable] = []
    refresher = LandmarkRefresher(1, _recorder(seen))
    refresher.ask("a")
    first = refresher._thread
    assert first is not None
    _wait(lambda: refresher._thread is None)
    first.join(1)
    assert not first.is_alive()
    refresher.ask("b")
    _wait(lambda: seen == ["a", "b"])


def test_a_forked_child_starts_its_own_thread() -> None:
    """The parent's thread and queue do not survive a fork: the child (here: another pid
    recorded) makes its own when it first asks."""
    seen: list[Hashable] = []
    refresher = LandmarkRefresher(1, _recorder(seen, answer=False))
    refresher._pid = -1  # as if made in a parent process
    stale_queue = refresher._queue
    refresher.ask("a")
    assert refresher._queue is not stale_queue
    _wait(lambda: refresher.declined == 1)
    assert seen == ["a"]


def test_replace_cached_only_replaces_the_metric_it_was_computed_for() -> None:
    cache = MetricCache(10**9)
    old, newer, fresh = fake_metric(10, 1), fake_metric(10, 2), fake_metric(10, 1)
    cache.put("k", old)
    hits_before = cache._hits.get("k", 0)
    assert cache.replace_cached("k", old, fresh)
    assert cache.peek("k") is fresh
    assert cache._hits.get("k", 0) == hits_before  # peek and replace count no use
    cache.put("k", newer)
    assert not cache.replace_cached("k", fresh, fake_metric(10, 1))
    assert cache.peek("k") is newer
    assert not cache.replace_cached("absent", old, fresh)


# --- on the real graph ---------------------------------------------------------------------------


def _router_with_closures(
    uni_router: Router, *, refresh: bool, both_ways: bool = True
) -> tuple[Router, Metric]:
    """A router on a copy of the university graph whose wheelchair metric is kept, then every
    20th of its usable edges closed (as staff obstacles do); the kept original."""
    g = uni_router.graph
    router = Router(
        dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)), refresh_landmarks=refresh
    )
    wheelchair = router.profile("wheelchair")
    original = router.customize(wheelchair, keep=True)
    _close(router, np.flatnonzero(np.isfinite(original.cost_s))[::20], both_ways=both_ways)
    return router, original


def _close(router: Router, edges: np.ndarray, *, both_ways: bool = True) -> None:
    """Close ``edges`` (and their twins, as a staff closure does, unless not ``both_ways``)."""
    edge = dict(router.graph.edge)
    edge["closed"] = edge["closed"].copy()
    edge["closed"][edges] = 1
    if both_ways:
        twins = edge["reverse_edge"][edges]
        edge["closed"][twins[twins >= 0]] = 1
    router.customizer.replace_attributes(edge, dict(router.graph.node))


def _held(refresher: LandmarkRefresher) -> threading.Event:
    """Hold the refresh thread until the event returned is set: the test's searches end at the
    first ask, before the refresh can answer it (and reset the rent)."""
    gate = threading.Event()
    run = refresher._refresh

    def held(key: Hashable) -> bool | None:
        gate.wait(10)
        return run(key)

    refresher._refresh = held
    return gate


def _trips(
    router: Router, metric: Metric, count: int, seed: int
) -> list[tuple[SnapPoint, SnapPoint]]:
    rng = np.random.default_rng(seed)
    lat, lon = router.graph.node["lat"], router.graph.node["lon"]
    nodes = rng.integers(0, router.graph.node_count, size=(count, 2))
    return [
        (
            router.snap((float(lat[a]), float(lon[a])), metric, "origin")[0],
            router.snap((float(lat[b]), float(lon[b])), metric, "destination")[0],
        )
        for a, b in nodes.tolist()
    ]


def _costs(router: Router, metric: Metric, trips: list[tuple[SnapPoint, SnapPoint]]) -> list[float]:
    out = []
    for source, target in trips:
        try:
            out.append(router.shortest_path(source, target, metric).cost_s)
        except Exception:  # no route: the same for both metrics
            out.append(float("inf"))
    return out


@pytest.mark.realdata
def test_a_patched_metric_pays_rent_and_gets_landmarks_of_its_own_costs(
    uni_router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    """Closures keep the kept metric's landmarks (a looser lower bound): its searches pay
    rent; once it reaches the price, the refresh thread puts the same weights on landmarks of
    their own costs in the cache, and every search finds the same least cost on both."""
    caplog.set_level(logging.INFO, logger="stufenlos.routing")
    router, original = _router_with_closures(uni_router, refresh=True)
    wheelchair = router.profile("wheelchair")
    patched = router.customize(wheelchair)
    assert patched.landmarks is original.landmarks
    assert patched.landmark_cost_s is original.cost_s
    assert patched.rent is not None
    assert patched.rent.settled == 0
    refresher = router.landmark_refresher
    assert refresher is not None
    assert refresher.price == len(original.landmarks.nodes) * router.graph.node_count
    gate = _held(refresher)
    trips = _trips(router, patched, 300, seed=5)
    stale_costs = _costs(router, patched, trips)
    assert patched.rent.settled > 0
    while not patched.rent.asked:  # searches go on until their rent reaches the price
        _costs(router, patched, trips[:20])
    gate.set()
    _wait(lambda: router.customize(wheelchair) is not patched)
    fresh = router.customize(wheelchair)
    assert fresh.weights is patched.weights
    assert fresh.rent is None
    assert fresh.landmark_cost_s is None
    assert not fresh.shared_landmarks
    want = compute_landmarks(router.graph, patched.weights, original.landmarks.nodes)
    np.testing.assert_array_equal(fresh.landmarks.dist, want.dist)
    assert _costs(router, fresh, trips) == stale_costs
    assert refresher.refreshed == 1
    assert "fresh landmarks for wheelchair: the latest searches settle" in caplog.text
    settled = [router._settled(a, b, m) or 0 for m in (patched, fresh) for a, b in trips]
    assert sum(settled[len(trips) :]) < 0.9 * sum(settled[: len(trips)])


@pytest.mark.realdata
def test_fresh_landmarks_that_do_not_pay_are_dropped_and_the_price_doubles(
    uni_router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed one way only, every edge keeps an open twin: the symmetric bound the landmarks
    are computed on is the same, so fresh ones settle no fewer nodes; the metric keeps its
    landmarks and pays rent again, at twice the price."""
    caplog.set_level(logging.INFO, logger="stufenlos.routing")
    router, original = _router_with_closures(uni_router, refresh=True, both_ways=False)
    wheelchair = router.profile("wheelchair")
    patched = router.customize(wheelchair)
    assert patched.rent is not None
    refresher = router.landmark_refresher
    assert refresher is not None
    gate = _held(refresher)
    trips = _trips(router, patched, 100, seed=6)
    while not patched.rent.asked:
        _costs(router, patched, trips[:10])
    gate.set()
    _wait(lambda: refresher.declined == 1)
    assert router.customize(wheelchair) is patched
    assert patched.landmarks is original.landmarks
    assert refresher.price_factor(patched.key) == 2
    assert patched.rent.settled < refresher.price * 2
    assert refresher.refreshed == 0
    assert "fresh landmarks for wheelchair not used" in caplog.text


@pytest.mark.realdata
def test_the_rent_carries_over_patches_and_a_refresh_of_a_replaced_metric_is_dropped(
    uni_router: Router,
) -> None:
    router, original = _router_with_closures(uni_router, refresh=True)
    wheelchair = router.profile("wheelchair")
    first = router.customize(wheelchair)
    assert first.rent is not None
    first.rent.settled = 1234
    _close(router, np.flatnonzero(np.isfinite(first.cost_s))[::53][:10])
    second = router.customize(wheelchair)
    assert second.landmarks is original.landmarks  # costs only rose: the landmarks stay
    assert second.rent is not None
    assert second.rent is not first.rent
    assert second.rent.settled == 1234
    assert not second.rent.asked
    key = (wheelchair, DEFAULT_CONDITIONS)
    stale = router.customizer.metric_cache.peek(key)
    assert stale is second
    _close(router, np.flatnonzero(np.isfinite(second.cost_s))[::71][:5])
    third = router.customize(wheelchair)
    with router.customizer.lock:  # what the refresh of ``second`` finds when it is done
        assert not router.customizer.metric_cache.replace_cached(key, second, third)
    assert third.rent is not None
    third.rent.recent.extend(_trips(router, third, 16, seed=7))  # as searches on it leave them
    assert router._refresh_landmarks(key)  # the refresh runs on what is cached now
    fresh = router.customizer.metric_cache.peek(key)
    assert fresh is not third
    assert fresh is not None
    assert fresh.weights is third.weights
    assert fresh.rent is None


@pytest.mark.realdata
def test_costs_back_to_the_landmarks_own_pay_no_rent(uni_router: Router) -> None:
    """A closure lifted: the costs are those the landmarks were computed on again, exact."""
    router, original = _router_with_closures(uni_router, refresh=True)
    wheelchair = router.profile("wheelchair")
    assert router.customize(wheelchair).rent is not None
    edge = dict(router.graph.edge)
    edge["closed"] = uni_router.graph.edge["closed"]
    router.customizer.replace_attributes(edge, dict(router.graph.node))
    reopened = router.customize(wheelchair)
    np.testing.assert_array_equal(reopened.cost_s, original.cost_s)
    assert reopened.landmarks is original.landmarks
    assert reopened.rent is None
    assert reopened.landmark_cost_s is None


@pytest.mark.realdata
def test_rest_searches_pay_rent_too(uni_router: Router) -> None:
    """A profile with a limit between rests searches mostly by labels (its least-bad probes):
    those settle on the metric's landmarks as well, and pay their rent."""
    g = uni_router.graph
    router = Router(
        dataclasses.replace(g, edge=dict(g.edge), node=dict(g.node)), refresh_landmarks=True
    )
    elderly = router.profile("elderly")
    original = router.customize(elderly, keep=True)
    _close(router, np.flatnonzero(np.isfinite(original.cost_s))[::20])
    patched = router.customize(elderly)
    assert patched.rent is not None
    source, target = _trips(router, patched, 1, seed=8)[0]
    rest_path(router, source, target, patched, 5000.0)  # kept: the label search runs
    assert patched.rent.settled == router.rest_query().last_settled > 0
    assert list(patched.rent.recent) == [(source, target)]
