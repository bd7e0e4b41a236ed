"""What a route meets of the active obstacles: those it passes and those it avoids.

The overlay counts an obstacle as avoided when it lies on the plain walking route but not on
the route (:meth:`~routing.obstacles.overlay.ObstacleOverlay.passed_and_avoided`); an obstacle
that stops walkers as well (a closed sidewalk) is avoided by the walking route too, so for those
the walking route on the map *without* obstacles is the reference. It is only searched when such
an obstacle lies close enough to the route to be on it (an ellipse test,
:mod:`api.obstacles.walkers`), and not at all when the route's own costs prove it passes none of
them (:mod:`api.obstacles.reference_bound`), so it costs nothing for the many routes far from any
closure. A route of another profile is also compared with the route that profile takes on the
map without obstacles (the same tests, on every active obstacle): its own accessible way may be
closed where the walking route never went. :class:`~api.obstacles.live.LiveObstacles` holds one
:class:`RouteMeets` and says with its answer which obstacles those are.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import effective_edges
from accessibility_rules.profile import Profile
from accessibility_rules.weights import EdgeWeights, compute_weights, weights_profile
from api.obstacles.reference_bound import (
    MAX_OBSTACLES,
    cannot_pass,
    known_walk_cost,
    snapped_at,
)
from api.obstacles.walkers import WalkerObstacles
from routing.array_sharing import share_equal_arrays
from routing.errors import RoutingError
from routing.obstacles.overlay import ObstacleOverlay
from routing.rest_walks import least_bad_budget, rest_walk
from routing.walking import MEETS_WALKED, piece_meets

if TYPE_CHECKING:
    from routing.engine import Router
    from routing.metric import Metric
    from routing.route import Route

__all__ = ["MAP_WITHOUT_OBSTACLES", "RouteMeets"]

LatLon = tuple[float, float]
#: Slack of the ellipse test: the walking distance times this, plus metres and the snapping
#: distances (the cheapest walking route need not be the shortest in metres).
_ELLIPSE_FACTOR = 1.25
_ELLIPSE_SLACK_M = 25.0
#: The first part of the router's metric cache keys of a profile's metric of the map without
#: obstacles (the "avoided" test of each): ``(MAP_WITHOUT_OBSTACLES, profile, conditions)``.
MAP_WITHOUT_OBSTACLES = "map without obstacles"
#: Whose route on the map without obstacles an "avoided" test compares with: the profile as
#: its weights see it, the day's conditions, the limit between rests in metres (or None).
_Whose = tuple[Profile, Conditions, float | None]
#: Reference routes remembered (the map without obstacles never changes), so alternatives and
#: repeated requests search once.
_REFERENCE_CACHE_SIZE = 256


class RouteMeets:
    """The passed and avoided obstacles of routes on ``router`` patched by ``overlay``.

    ``originals_pristine``: the router's attributes were the map's own when the overlay took
    its pristine copies (nothing changed them before), so its original metrics
    (:meth:`~routing.customizer.Customizer.original_metric`) are of the map without obstacles.
    """

    def __init__(
        self, router: Router, overlay: ObstacleOverlay, *, originals_pristine: bool
    ) -> None:
        self.router = router
        self.overlay = overlay
        self._originals_pristine = originals_pristine
        self._pristine_walk: EdgeWeights | None = None
        self._pristine_metric: Metric | None = None  # its landmarks, built on first use
        #: Prove a reference route off the obstacles near before searching it
        #: (:meth:`_proved_off`); off: always search (the tests' comparison).
        self.reference_bound = True
        self.references_spared = 0  # reference searches the bound made needless (counted)
        self._lock = threading.Lock()  # the references remembered
        self._references: OrderedDict[tuple[Any, ...], np.ndarray | None] = OrderedDict()

    def warm_up(self) -> None:
        """The walking weights of the map without obstacles, made before the first route needs
        them. Called at start, before any obstacle is applied: the router's own walking weights
        are then those of the map without obstacles, and they are taken as they are (in a
        forked worker they are the parent's, shared, instead of a copy computed by every
        worker). A write makes the router new arrays (:func:`~routing.metric.patch_metric`
        copies), so these stay as they are."""
        if self._pristine_walk is None and self.overlay.pristine_now:
            self._pristine_walk = self.router.customizer.weights(self.router.profile("walk"))
        self.walk_weights()

    def walk_weights(self) -> tuple[EdgeWeights, EdgeWeights]:
        """The plain walking weights of the map without obstacles (made once) and of the map
        as the obstacles leave it now."""
        walk = self.router.profile("walk")
        if self._pristine_walk is None:
            pristine = self.overlay.pristine_graph()
            self._pristine_walk = compute_weights(walk, pristine.edge, effective_edges(pristine))
        return self._pristine_walk, self.router.customizer.weights(walk)

    def walk_changed(self) -> np.ndarray:
        """Per directed edge: whether the obstacles change what the plain walking route may
        use or costs there (the obstacles on such an edge stop walkers too)."""
        pristine, patched = self.walk_weights()
        return (pristine.cost_s != patched.cost_s) | (pristine.violations != patched.violations)

    def met(
        self,
        route: Route,
        walkers: WalkerObstacles,
        placed: WalkerObstacles,
        points: Sequence[LatLon] = (),
        profile: Profile | None = None,
        conditions: Conditions = DEFAULT_CONDITIONS,
    ) -> tuple[list[str], list[str]]:
        """The ids of the obstacles ``route`` passes and of those it avoids.

        The overlay's test first (on the route or not, against the plain walking route); then
        ``points`` (the request's origin, via points and destination as ``(lat, lon)``) let the
        ``walkers`` (obstacles that stop walkers too) be found on the walking route of the map
        without obstacles; with the route's ``profile`` (and the day's ``conditions`` it was
        weighed in), an obstacle of ``placed`` (every active one) on the route that profile
        takes on the map without obstacles and not on this one is avoided too: a wheelchair
        user's route that goes around a closure on the accessible way says so, where the plain
        walking route never went there.
        """
        passed, avoided = self.overlay.passed_and_avoided(
            route.edges, route.walk_edges, route.meets, route.walk_meets
        )
        if len(points) >= 2 and walkers.ids:
            walk_m = (route.detour or {}).get("walk_distance_m") or route.distance_m
            walk = self.router.profile("walk")
            avoided += self._on_reference(
                route, points, walk_m, walkers, {*passed, *avoided},
                (walk, DEFAULT_CONDITIONS, None),
            )  # fmt: skip
        if len(points) >= 2 and placed.ids and profile is not None:
            seen = weights_profile(profile)
            rests_m = profile.max_distance_between_rests_m  # the user's own, not the key's
            if seen != self.router.profile("walk") or rests_m is not None:  # else: as above
                avoided += self._on_reference(
                    route, points, route.distance_m, placed, {*passed, *avoided},
                    (seen, conditions, rests_m),
                )  # fmt: skip
        return passed, avoided

    def _on_reference(
        self,
        route: Route,
        points: Sequence[LatLon],
        length_m: float,
        obstacles: WalkerObstacles,
        known: set[str],
        whose: _Whose,
    ) -> list[str]:
        """The ``obstacles`` not in ``known`` that lie on the reference route of ``whose``
        through ``points`` on the map without obstacles (:meth:`reference_edges`), searched
        only if one of them lies inside the ellipse a route of about ``length_m`` stays in
        (:mod:`api.obstacles.walkers`): the walking route for the walkers, and the route's own
        profile for every obstacle (a route that goes around one is longer than the one it
        replaces)."""
        frame = self.router.index.frame
        xy = [frame.point(lon, lat) for lat, lon in points]
        snapped = route.snapped or {}
        slack = _ELLIPSE_SLACK_M + sum(
            float(snapped.get(k, {}).get("distance_m", 0.0)) for k in ("origin", "destination")
        )
        bound = length_m * _ELLIPSE_FACTOR + slack
        if not obstacles.any_near(xy, bound, skip=known):
            return []
        if self._proved_off(route, points, obstacles, known, whose):
            return []
        walked = self.reference_edges(whose, tuple((float(a), float(b)) for a, b in points))
        if walked is None:
            return []
        return obstacles.on_walk(xy, bound, walked, self.router.graph.edge_count, skip=known)

    def _proved_off(
        self,
        route: Route,
        points: Sequence[LatLon],
        obstacles: WalkerObstacles,
        known: set[str],
        whose: _Whose,
    ) -> bool:
        """Whether the reference route of ``whose`` between the two ``points`` is proved to
        pass none of the ``obstacles`` not in ``known`` without searching it
        (:mod:`api.obstacles.reference_bound`: the route's own edges and its walking
        comparison's priced on the reference metric bound its cost). Not tried for a trip
        through via points, a limit between rests (the reference is then not the cheapest
        walk), a route snapped elsewhere than the reference (below ground), more than
        :data:`~api.obstacles.reference_bound.MAX_OBSTACLES` obstacles in question, or when
        :attr:`reference_bound` is off (the tests' comparison). Counted in
        :attr:`references_spared`."""
        profile, conditions, rests_m = whose
        if not self.reference_bound or len(points) != 2 or rests_m is not None:
            return False
        edges = obstacles.edges_in_question(known, MAX_OBSTACLES)
        if edges is None:
            return False
        metric = self.pristine(profile, conditions)
        source, _ = self.router.snap(points[0], metric, "origin")  # (remembered: the route's)
        target, _ = self.router.snap(points[1], metric, "destination")
        if not snapped_at(route.snapped or {}, source, target):
            return False
        known_cost_s = known_walk_cost(metric, (route.edges, route.walk_edges))
        if not cannot_pass(metric, self.router.graph, source, target, edges, known_cost_s):
            return False
        self.references_spared += 1
        return True

    def reference_edges(self, whose: _Whose, points: tuple[LatLon, ...]) -> np.ndarray | None:
        """Edges of the route of ``whose`` (a profile as its weights see it, the day's
        conditions, the limit between rests) through ``points`` on the map without obstacles;
        the last :data:`_REFERENCE_CACHE_SIZE` kept."""
        key = (*whose, self.router.snapper.max_snap_m, *points)
        with self._lock:
            if key in self._references:
                self._references.move_to_end(key)
                return self._references[key]
        profile, conditions, rests_m = whose
        walked = self._walked(self.pristine(profile, conditions), points, rests_m)
        with self._lock:
            self._references[key] = walked
            while len(self._references) > _REFERENCE_CACHE_SIZE:
                self._references.popitem(last=False)
        return walked

    def pristine(self, profile: Profile, conditions: Conditions) -> Metric:
        """The metric of ``profile`` in ``conditions`` on the map without obstacles: a preset's
        (walking's too) the server customised before its workers started, as it was then
        (:meth:`Customizer.original_metric <routing.customizer.Customizer.original_metric>`: shared,
        with its own landmarks); others computed and cached in the router's metric cache, within its
        byte bound (before, the last eight, outside it: on a graph of a million nodes some 700 MB),
        holding the arrays they have equal to their preset's original
        (:meth:`Customizer.originals_alike <routing.customizer.Customizer.originals_alike>`);
        walking's without a kept original on the weights :meth:`warm_up` shares with the router, on
        the shared landmarks (the walking reference searched on those took 106 µs a search against
        67 on the kept original's own, Kaiserslautern, 300 obstacles active)."""
        if profile == self.router.profile("walk") and conditions == DEFAULT_CONDITIONS:
            if self._pristine_metric is None:  # the kept preset's (own landmarks), else made
                original = self._original(profile, conditions)
                self._pristine_metric = original or self.router.customizer.metric(
                    self.walk_weights()[0]
                )
            return self._pristine_metric
        original = self._original(profile, conditions)
        if original is not None:
            return original
        key = (MAP_WITHOUT_OBSTACLES, profile, conditions)
        metric = self.router.customizer.cached_metric(key)
        if metric is None:
            pristine = self.overlay.pristine_graph()
            weights = share_equal_arrays(
                compute_weights(profile, pristine.edge, effective_edges(pristine), conditions),
                (m.weights for m in self.router.customizer.originals_alike(profile, conditions)),
            )  # what equals its preset's original is that one's arrays (routing/array_sharing.py)
            metric = self.router.customizer.metric(weights, profile=profile, conditions=conditions)
            self.router.customizer.cache_metric(key, metric)
        return metric

    def _original(self, profile: Profile, conditions: Conditions) -> Metric | None:
        """The server's kept metric of ``profile`` in ``conditions`` as customised before any
        obstacle (its own landmarks, shared by the workers), when the router's originals are of
        the map without obstacles; else None."""
        if not self._originals_pristine:
            return None
        return self.router.customizer.original_metric(profile, conditions)

    def _walked(
        self, metric: Metric, points: Sequence[LatLon], rests_m: float | None = None
    ) -> np.ndarray | None:
        """The edges walked (not the end pieces of no length) by the cheapest route through
        ``points`` under ``metric`` (with a limit between rests ``rests_m``, the route the
        router gives such a profile: each leg rested at its start, the least bad one where none
        keeps the limit); None when there is none."""
        edges: list[np.ndarray] = []
        router = self.router
        budget = least_bad_budget(router)  # the legs' together
        try:
            for a, b in itertools.pairwise(points):
                source, _ = router.snap(a, metric, "origin")
                target, _ = router.snap(b, metric, "destination")
                if rests_m is None:
                    path = router.shortest_path(source, target, metric)
                else:
                    path, _ = rest_walk(router, source, target, metric, rests_m, budget=budget)
                meets = np.asarray(piece_meets(len(path.edges), path.start, path.end))
                edges.append(path.edges[(meets & MEETS_WALKED) != 0])
        except RoutingError:
            return None
        return np.concatenate(edges)
