"""The customisation phase: a graph's current attributes and the metrics customised on them.

One :class:`Customizer` per router (RoutingKit's phases: the router's construction is the
preprocessing, this the customisation, :class:`routing.query.Query` the query). It holds the
attributes the staff's obstacles patch (raw edge arrays, the effective view, its event words,
the report table) with their revision, and the cache of customised :class:`Metric` objects,
bounded in bytes: a profile is customised once (weights, vectorised, and ALT landmarks) and
brought up to date on the edges a change touched when it is next asked for, not recomputed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import Profile, load_preset
from accessibility_rules.profile_errors import UnknownProfileError
from accessibility_rules.weights import EdgeWeights, compute_weights, weights_profile
from graphs.arrays import array_fields
from graphs.model import CompiledGraph
from routing.array_sharing import equal_landmarks, share_equal_arrays
from routing.edge_tables import EdgeTables, edge_tables, patch_edge_tables
from routing.landmark_refresh import pays
from routing.landmarks import Landmarks, length_landmarks
from routing.metric import (
    WEIGHT_BYTES_PER_EDGE,
    Metric,
    MetricCache,
    build_metric,
    changed_edges,
    default_cache_bytes,
    patch_metric,
    with_borrowed_landmarks,
    with_own_landmarks,
)
from routing.recycling import recyclable
from routing.report_table import ReportTable
from routing.snapping import SnapPoint

__all__ = ["CHANGE_HISTORY", "Customizer"]

#: Attribute changes remembered for bringing cached metrics up to date (a metric older than
#: all of them is recomputed in full when its profile is next asked for).
CHANGE_HISTORY = 256

#: The nodes a search between two snapped points settles on a metric (None: no route, or past
#: the budget): what :meth:`Customizer.refresh_landmarks` compares landmarks by.
Settled = Callable[[SnapPoint, SnapPoint, Metric], "int | None"]


def _profile_of(key: Hashable) -> object:
    """The profile of a metric cache key (``(profile, conditions)``: :attr:`Metric.key`)."""
    return key[0] if isinstance(key, tuple) else None


class Customizer:
    """The attributes of ``graph`` as they are now, and the metrics customised on them.

    ``landmark_nodes``: the ALT landmarks every metric's bound reads (chosen by the router from
    the nodes' projected coordinates); without ``use_landmarks`` the bound is the straight
    line alone. Unless ``per_profile_landmarks``, one landmark set on a lower bound of every
    profile's costs serves all profiles (routing/landmarks.py says why, and when not).
    ``h_factor``: the heuristic's scale (a straight line's frame metres never overestimate).
    """

    def __init__(
        self,
        graph: CompiledGraph,
        landmark_nodes: np.ndarray,
        h_factor: float,
        *,
        use_landmarks: bool = True,
        per_profile_landmarks: bool = False,
        metric_cache_bytes: int | None = None,
    ) -> None:
        self.graph = graph
        self.landmark_nodes = landmark_nodes
        self.h_factor = h_factor
        self.use_landmarks = use_landmarks
        #: Held while the attributes and the cache are read or replaced together (a query's
        #: view and its revision are one consistent pair).
        self.lock = threading.Lock()
        self._write_lock = threading.Lock()  # attribute changes, one at a time
        tables = edge_tables(graph.edge, graph.node, graph.head, graph.tail)
        self.effective: EffectiveEdges = tables.effective
        #: What the weights read of every edge that no profile changes (with the attributes).
        self._events = tables.events
        self._report = tables.report
        self.revision = 0
        self.shared_landmarks = (
            length_landmarks(graph, landmark_nodes)
            if use_landmarks and not per_profile_landmarks
            else None
        )
        if metric_cache_bytes is None:  # the default: some metrics of this graph
            landmarks = len(landmark_nodes) if use_landmarks else 0
            metric_cache_bytes = default_cache_bytes(graph.edge_count, graph.node_count, landmarks)
        #: The customised metrics, by profile and conditions (read it, do not fill it:
        #: :meth:`customize` does, under the lock, and brings a metric of older attributes up
        #: to date when it is asked for).
        self.metric_cache = MetricCache(metric_cache_bytes)
        #: ``(revision, edges changed to reach it)`` of the latest attribute changes: what a
        #: cached metric of an older revision needs re-weighted (older ones are recomputed).
        self._changes: deque[tuple[int, np.ndarray]] = deque(maxlen=CHANGE_HISTORY)
        #: The map's own attributes (revision 0: raw edge arrays, effective view) and the edges
        #: whose attributes differ from them now (sorted): what a kept metric's original needs
        #: re-weighted whatever the history of changes holds.
        self._map_attributes: tuple[Mapping[str, np.ndarray], EffectiveEdges] = (
            graph.edge,
            self.effective,
        )
        self._changed_from_map = np.zeros(0, dtype=np.int64)

    # --- attributes (obstacles patch them) ----------------------------------------------------
    def refresh(self) -> None:
        """Recompute effective attributes after the graph's arrays were patched (obstacles)."""
        self.replace_attributes(self.graph.edge, self.graph.node)

    def replace_attributes(
        self,
        edge: dict[str, np.ndarray],
        node: dict[str, np.ndarray],
        *,
        edges: np.ndarray | None = None,
    ) -> None:
        """Swap in new attribute arrays (obstacle patches) atomically with their effective view.

        Queries read ``graph.edge`` and ``effective`` together under the lock, so none sees new
        raw arrays with an old effective view. The cached metrics are not recomputed: the edges
        whose attributes changed are recorded with the new revision, and :meth:`customize`
        re-weights only those edges of a cached metric when its profile is next asked for
        (:func:`~routing.metric.patch_metric`). A write so costs the profiles in use, not every
        cached one.

        ``edges``, when given, holds every edge the change can reach: those whose own attributes
        differ from the current ones and those entering or leaving a node whose attributes
        differ. Only their rows of the derived tables are recomputed
        (:func:`~routing.edge_tables.patch_edge_tables`), so a write costs its few edges, not
        the graph; None recomputes every row.
        """
        with self._write_lock:  # one change at a time: each starts from the one before
            if edges is None:
                fresh = edge_tables(edge, node, self.graph.head, self.graph.tail)
                changed = changed_edges(self.graph.edge, self.effective, edge, fresh.effective)
            else:
                tables = EdgeTables(self.effective, self._events, self._report)
                fresh, changed = patch_edge_tables(
                    tables, self.graph.edge, edge, node, self.graph.head, self.graph.tail, edges
                )
            map_edge, map_eff = self._map_attributes  # the others are known to equal the map's
            rows = np.union1d(self._changed_from_map, changed)
            from_map = changed_edges(map_edge, map_eff, edge, fresh.effective, rows)
            with self.lock:
                self.graph.edge = edge
                self.graph.node = node
                self.effective = fresh.effective
                self._events = fresh.events
                self._report = fresh.report
                self.revision += 1
                self._changes.append((self.revision, changed))
                self._changed_from_map = from_map

    def _changed_since(self, revision: int) -> np.ndarray | None:
        """The edges whose attributes changed after ``revision`` up to now (call under the
        lock): the record of changes, or for revision 0 the edges that differ from the map's
        own attributes; None when the record no longer reaches back that far."""
        parts = [edges for rev, edges in self._changes if rev > revision]
        if len(parts) != self.revision - revision:
            return self._changed_from_map if revision == 0 else None
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def report_table(self) -> ReportTable:
        """What route reports read, stacked per edge (consistent with the current attributes)."""
        with self.lock:
            return self._report

    def attributes(self) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
        """The current raw edge arrays and effective view, read together (a consistent pair)."""
        with self.lock:
            return self.graph.edge, self.effective

    # --- customisation ----------------------------------------------------------------------------
    def customize(
        self, profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS, *, keep: bool = False
    ) -> Metric:
        """The :class:`Metric` of ``profile`` in ``conditions`` on the current attributes (cached).

        One cache, keyed by ``(profile, conditions)`` (both frozen and hashable; the profile as its
        weights see it, :func:`~accessibility_rules.weights.weights_profile`, so a personal profile
        that changed only its rest limit gets its preset's metric; conditions hold only what the
        profile reacts to, :func:`~accessibility_rules.conditions.resolve_conditions`), bounded by
        the bytes of the metrics' arrays (``metric_cache_bytes``) and patched on the changed edges
        when obstacles change the attributes (:meth:`replace_attributes`). Presets get landmarks of
        their own at once; a personal profile starts on the shared ones (or its preset's) and gets
        its own after :data:`~routing.metric.OWN_LANDMARKS_AFTER_HITS` cached uses, and so does a
        preset in other conditions than a metric of it cached or kept (another day's pollen: no
        landmark search on the request that asks). ``keep`` keeps this metric cached whatever the
        bound (:meth:`MetricCache.keep <routing.metric.MetricCache.keep>`: the server's presets,
        which :meth:`Router.share_memory <routing.engine.Router.share_memory>` then shares with
        its workers).
        """
        profile = weights_profile(profile)  # equal weights, one metric
        key = (profile, conditions)
        with self.lock:
            if keep:
                self.metric_cache.keep(key)
            cached, upgrade = self.metric_cache.lookup(key)
            eff, edge, events, revision = (
                self.effective,
                self.graph.edge,
                self._events,
                self.revision,
            )
            if cached is not None and cached.revision == revision and not upgrade:
                if keep and revision == 0:  # customised before it was kept (walk, at start-up)
                    self.metric_cache.put(key, cached)  # its original now
                return cached
            stale = cached is not None and cached.revision != revision
            changed = self._changed_since(cached.revision) if cached is not None and stale else None
        if cached is not None and stale and changed is not None:  # obstacles changed some edges
            if len(changed):
                metric = patch_metric(
                    cached, profile, edge, eff, changed, shared_landmarks=self.shared_landmarks,
                    h_factor=self.h_factor, revision=revision,
                )  # fmt: skip
                metric = self._sharing_with_preset(metric, profile, conditions)
            else:  # new arrays, equal values: the same weights serve the new revision
                metric = dataclasses.replace(cached, revision=revision)
            if upgrade and metric.shared_landmarks:
                metric = self._with_own_landmarks(metric, profile, conditions)
        elif cached is not None and not stale:  # asked for again and again: own landmarks
            metric = self._with_own_landmarks(cached, profile, conditions)
        else:  # presets get their own landmarks at once, personal profiles the shared ones
            # or their preset's, scaled, where those bound tighter; so does a preset in other
            # conditions than its metrics' (another day's pollen, a forecast): one Dijkstra per
            # landmark is for a preset the server keeps, or one asked for again and again
            base = self._preset_metric(profile, conditions)
            if (
                base is not None
                and base.profile is not None
                and base.revision != revision
                and base.key != key
            ):  # brought up to date (most often a patch): what the new weights may equal now
                base = self.customize(base.profile, base.conditions)
            own = keep or (not profile.customised and base is None)
            alike = self._alike(base, keep)
            into = self._recycled(len(eff.kerb_count)) if not keep else None
            weights = share_equal_arrays(
                compute_weights(profile, edge, eff, conditions, events, into=into),
                (m.weights for m in alike),
            )  # arrays equal to a held metric's are that one's (routing/array_sharing.py)
            same = self._equal_landmarks(weights, alike) if own else None
            metric = self.metric(
                weights, profile=profile, revision=revision, own_landmarks=own and same is None,
                conditions=conditions, landmarks=same,
            )  # fmt: skip
            if metric.shared_landmarks and base is not None:
                metric = with_borrowed_landmarks(metric, base)
        with self.lock:
            self.metric_cache.put(key, metric)  # never over a metric of newer attributes
        return metric

    def _recycled(self, edge_count: int) -> dict[str, np.ndarray]:
        """Room in the metric cache for new weights of ``edge_count`` edges, made now (the
        least recently used metrics evicted before the new one is weighed, not after), and the
        arrays of an evicted metric that nothing else holds, to write the new weights into
        (:mod:`routing.recycling`: no page faults on fresh memory)."""
        with self.lock:
            evicted = self.metric_cache.make_room(WEIGHT_BYTES_PER_EDGE * edge_count)
        return recyclable(evicted)

    def _sharing_with_preset(
        self, metric: Metric, profile: Profile, conditions: Conditions
    ) -> Metric:
        """A personal profile's patched ``metric`` with the arrays equal to its preset's metric
        of the same revision shared (the preset's, when cached, patched first): each patch
        copies the arrays the change touches, and without this a personal profile kept its own
        copy of every one of them, also where it weighs as its preset."""
        preset = self._preset_of(profile) if profile.customised else None
        if preset is None:
            return metric
        with self.lock:
            cached = (preset, conditions) in self.metric_cache
        if not cached:
            return metric
        base = self.customize(preset, conditions)
        if base.revision != metric.revision:
            return metric
        weights = share_equal_arrays(metric.weights, (base.weights,))
        return metric if weights is metric.weights else dataclasses.replace(metric, weights=weights)

    def originals_alike(self, profile: Profile, conditions: Conditions) -> list[Metric]:
        """The kept metrics of the preset ``profile`` was made from, as customised on the map's
        own attributes (revision 0; :meth:`original_metric`), those in ``conditions`` first:
        what a metric of ``profile`` on the map without obstacles may share arrays with
        (:func:`routing.array_sharing.share_equal_arrays`)."""
        preset = self._preset_of(profile)
        if preset is None:
            return []
        with self.lock:
            found = [m for key, m in self.metric_cache.originals() if _profile_of(key) == preset]
        return sorted(found, key=lambda m: m.conditions != conditions)

    @staticmethod
    def _preset_of(profile: Profile) -> Profile | None:
        """The preset ``profile`` was made from (by its name), or None (a profile built
        elsewhere, without a preset of its name)."""
        try:
            return load_preset(profile.name)
        except UnknownProfileError:
            return None

    def _alike(self, base: Metric | None, keep: bool) -> list[Metric]:
        """The metrics whose arrays a new one may share (:mod:`routing.array_sharing`): its
        preset's (``base``, :meth:`_preset_metric`), and for a kept one also every metric held
        (the server's presets at start-up: a dark variant equal to the day's but for its
        unknowns, the allergy preset outside the pollen season equal to walk)."""
        found = [] if base is None else [base]
        if keep:
            with self.lock:
                held = [m for _, m in (*self.metric_cache.items(), *self.metric_cache.originals())]
            found += [m for m in {id(m): m for m in held}.values() if m is not base]
        return found

    def _equal_landmarks(self, weights: EdgeWeights, alike: list[Metric]) -> Landmarks | None:
        """Own landmarks of one of ``alike`` computed on the very arrays of ``weights`` they
        read (what computing them again would give), or None."""
        if not self.use_landmarks:
            return None
        own = (
            (m.weights, m.landmarks)
            for m in alike
            if not m.shared_landmarks and m.landmark_cost_s is None
        )
        return equal_landmarks(weights, own, self.landmark_nodes)

    def _with_own_landmarks(
        self, metric: Metric, profile: Profile, conditions: Conditions
    ) -> Metric:
        """``metric`` with own landmarks: its preset's when computed on the very arrays they
        read (a personal profile that weighs as its preset), else computed."""
        same = self._equal_landmarks(metric.weights, self._alike(
            self._preset_metric(profile, conditions), keep=False
        ))  # fmt: skip
        if same is None:
            return with_own_landmarks(self.graph, metric, self.landmark_nodes)
        return dataclasses.replace(metric, landmarks=same, shared_landmarks=False)

    def original_metric(self, profile: Profile, conditions: Conditions) -> Metric | None:
        """The kept metric of ``profile`` in ``conditions`` (:meth:`customize` with ``keep``)
        as customised on the map's own attributes, before any change of them (revision 0), or
        None. The live obstacles compare routes with routes on the map without obstacles
        (``obstacles.avoided``): for the server's presets these are the metrics the parent
        customised and shares, not a copy weighed again in each worker."""
        with self.lock:
            return self.metric_cache.original((weights_profile(profile), conditions))

    def _preset_metric(self, profile: Profile, conditions: Conditions) -> Metric | None:
        """The cached metric of the preset ``profile`` was made from (in ``conditions``, else
        in none, else a kept original of that preset, one in ``conditions`` first:
        :meth:`originals_alike`), or None;
        marked as used, so a preset whose landmarks new personal profiles borrow stays cached
        while they come."""
        preset = self._preset_of(profile)
        if preset is None:
            return None
        with self.lock:
            found = self.metric_cache.get((preset, conditions)) or self.metric_cache.get(
                (preset, DEFAULT_CONDITIONS)
            )
        return found or next(iter(self.originals_alike(profile, conditions)), None)

    def cached_metric(self, key: Hashable) -> Metric | None:
        """The metric :meth:`cache_metric` cached under ``key`` (marked as used), or None."""
        with self.lock:
            return self.metric_cache.get(key)

    def cache_metric(self, key: Hashable, metric: Metric) -> None:
        """Cache ``metric`` under ``key``, a key of its own (not :attr:`Metric.key`, which
        :meth:`customize` uses: e.g. a profile's metric of the map without obstacles), in the
        metric cache's byte bound with every other metric."""
        with self.lock:
            self.metric_cache.put(key, metric)

    def metric(
        self,
        weights: EdgeWeights,
        *,
        profile: Profile | None = None,
        revision: int | None = None,
        own_landmarks: bool = False,
        conditions: Conditions = DEFAULT_CONDITIONS,
        landmarks: Landmarks | None = None,
    ) -> Metric:
        """Customise the graph with any ``weights`` (e.g. of the map without obstacles): the
        landmark bound (the shared one scaled, or with ``own_landmarks`` one Dijkstra per
        landmark on these weights, or ``landmarks`` given: own ones computed on these very
        weights' arrays) and heuristic scale. Not cached; :meth:`customize` is."""
        return build_metric(
            self.graph,
            weights,
            landmark_nodes=self.landmark_nodes if self.use_landmarks else None,
            h_factor=self.h_factor,
            profile=profile,
            revision=self.revision if revision is None else revision,
            shared_landmarks=(
                None if own_landmarks or landmarks is not None else self.shared_landmarks
            ),
            conditions=conditions,
            landmarks=landmarks,
        )

    def weights(self, profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS) -> EdgeWeights:
        """Edge weights of ``profile`` in ``conditions`` (those of :meth:`customize`)."""
        return self.customize(profile, conditions).weights

    # --- landmarks of a patched metric, and the arrays a fork shares ---------------------------
    def refresh_landmarks(self, key: Hashable, settled: Settled) -> bool | None:
        """Give the metric cached under ``key`` own landmarks of its costs, if it still runs on
        landmarks of older ones (:attr:`Metric.rent`) and they pay
        (:func:`~routing.landmark_refresh.pays`, comparing the nodes the searches it is asked
        settle, ``settled``); put in its place only if the cache still holds it when they are
        done (a later patch carries the rent on and asks again). Whether they paid; None when
        no such metric is cached (nothing judged)."""
        with self.lock:
            metric = self.metric_cache.peek(key)
        if metric is None or metric.rent is None:
            return None
        fresh = with_own_landmarks(self.graph, metric, self.landmark_nodes)
        if not pays(metric, fresh, settled):
            return False
        with self.lock:
            self.metric_cache.replace_cached(key, metric, fresh)
        return True

    def arrays(self) -> Iterator[np.ndarray]:
        """The arrays derived at start-up (call under the lock;
        :meth:`routing.engine.Router.share_memory` moves them): the effective view and its
        event words, the report table, the shared landmarks' distances, and every cached
        metric's weights and landmarks."""
        yield from array_fields(self.effective).values()
        yield from array_fields(self._events).values()
        yield self._report.rows
        if self.shared_landmarks is not None:
            yield self.shared_landmarks.dist
        metrics = self.metric_cache.items()
        for _, m in metrics:
            yield from array_fields(m.weights).values()
        for _, m in metrics:
            yield m.landmarks.dist

    def use_moved(self, moved: Callable[[np.ndarray], np.ndarray]) -> None:
        """Hold ``moved(array)`` in place of every array of :meth:`arrays` (the same values;
        call under the lock). The cached metrics are swapped for their moved copies, a kept
        one's original too."""

        def moved_fields(obj: Any) -> Any:
            fields = {n: moved(a) for n, a in array_fields(obj).items()}
            return dataclasses.replace(obj, **fields)

        self.effective = moved_fields(self.effective)
        self._events = moved_fields(self._events)
        if self.revision == 0:  # not the copies moved: a worker would hold them too
            self._map_attributes = (self.graph.edge, self.effective)
        self._report = dataclasses.replace(self._report, rows=moved(self._report.rows))
        if self.shared_landmarks is not None:
            self.shared_landmarks = moved_fields(self.shared_landmarks)
        for key, metric in self.metric_cache.items():
            self.metric_cache.swap(
                key,
                dataclasses.replace(
                    metric,
                    weights=moved_fields(metric.weights),
                    landmarks=moved_fields(metric.landmarks),
                ),
            )
