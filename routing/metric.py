"""The customisation phase: a profile's edge costs and the bounds that guide its searches.

RoutingKit splits routing into three phases: *preprocessing* that needs no weights (here: the
compiled graph, its spatial index, the projected node coordinates and the landmark choice, all
built once by :class:`routing.engine.Router`), *customisation* of a metric from one weight array
(this module) and *queries* on a metric (:mod:`routing.query`).

A :class:`Metric` is one profile's customisation: its :class:`EdgeWeights` (costs, violation and
unknown records), the straight-line heuristic scale and the ALT :class:`Landmarks` bound (its
own, or the router's shared one scaled: :mod:`routing.landmarks`). :meth:`Metric.penalised`
derives a copy with higher costs (the alternatives' penalty method) that keeps its parent's
bounds, which stay consistent for costs that never fall below the parent's: no landmark search
per alternative. :func:`patch_metric` re-weights only the edges an attribute change touched
(obstacles). :class:`MetricCache` keeps the metrics of the current attribute revision, bounded
by the bytes of their arrays, keyed by :attr:`Metric.key`: the profile and the day's
:class:`~accessibility_rules.conditions.Conditions` (pollen, darkness) the weights were made for.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import Profile
from accessibility_rules.weights import BITS_DTYPE, EdgeWeights, compute_weights
from graphs.arrays import RowsView, array_fields, differing, field_names, with_rows
from graphs.model import CompiledGraph
from routing.landmarks import Landmarks, borrow_scale, compute_landmarks, scaled_landmarks
from routing.snapping import SnapPoint

#: Cached uses after which a metric on the shared landmarks gets landmarks of its own
#: (see :mod:`routing.landmarks`: they settle up to 5× fewer nodes for some profiles, but cost
#: one Dijkstra per landmark, which a profile asked for once should not pay).
OWN_LANDMARKS_AFTER_HITS = 8

#: The metrics a worker keeps by default (:func:`default_cache_bytes`) besides those kept whatever
#: the bound (:meth:`MetricCache.keep`: the presets by day and in the dark, which the server
#: customises before it forks its workers and shares with them, ``api.preload``: 13 on
#: Kaiserslautern; their patched copies count in the bound). Twelve metrics with landmarks of
#: their own, or some twenty personal profiles on the shared ones. A metric not kept costs its
#: next request the weighing of every edge again (on Kaiserslautern ~1.4 ms more,
#: ``bench_new_profile.py``); every metric kept costs its bytes in each worker, which the memory
#: target counts (a worker ≤ 150 MB RSS, also under mixed traffic, ``bench_memory.py``).
DEFAULT_CACHED_METRICS = 12
#: The default bound never exceeds this (a graph of a million nodes: about one metric).
MAX_DEFAULT_METRIC_CACHE_BYTES = 256 * 2**20
#: Bytes of one profile's weights per edge (:class:`EdgeWeights`: three float64 arrays, three
#: bit arrays of ``BITS_DTYPE``).
WEIGHT_BYTES_PER_EDGE = 3 * 8 + 3 * np.dtype(BITS_DTYPE).itemsize


def default_cache_bytes(edge_count: int, node_count: int, landmark_count: int) -> int:
    """The metric cache's default bound on a graph: :data:`DEFAULT_CACHED_METRICS` metrics
    with landmarks of their own (weights, and per node a distance from each landmark and a
    lower bound to it: ``landmark_count + 1`` float64s; the tests check this against a
    preset's :attr:`Metric.nbytes`), at most :data:`MAX_DEFAULT_METRIC_CACHE_BYTES`. On
    Kaiserslautern 12 × 1.25 MB = 15.0 MB: twelve metrics with their own landmarks, or some
    twenty personal profiles on the shared ones (0.65 MB each), besides the kept ones."""
    landmarks = 8 * landmark_count + 8 * node_count * (landmark_count + 1) if landmark_count else 0
    one = WEIGHT_BYTES_PER_EDGE * edge_count + landmarks
    return min(DEFAULT_CACHED_METRICS * one, MAX_DEFAULT_METRIC_CACHE_BYTES)


def weights_nbytes(weights: EdgeWeights) -> int:
    """Bytes held by the arrays of ``weights``."""
    return sum(int(v.nbytes) for v in array_fields(weights).values())


#: Searches a :class:`LandmarkRent` remembers (their ends), to judge fresh landmarks on.
RENT_RECENT_TRIPS = 16


@dataclass(slots=True)
class LandmarkRent:
    """The nodes settled by searches on a metric whose own landmarks were computed on older
    costs (an obstacle raised some since: still a lower bound, a looser one), summed over its
    patched copies while the landmarks stay the same; ``asked``: a refresh was asked for this
    metric; ``factor``: the price is this many times the landmarks' (raised after fresh ones
    did not pay); ``recent``: the ends of the latest searches (:mod:`routing.landmark_refresh`).
    Mutable, and only counted: a lost increment between two threads delays a refresh, nothing
    else."""

    settled: int = 0
    asked: bool = False
    factor: int = 1
    recent: deque[tuple[SnapPoint, SnapPoint]] = field(
        default_factory=lambda: deque(maxlen=RENT_RECENT_TRIPS)
    )

    def carried(self) -> LandmarkRent:
        """The rent of a patched copy on the same landmarks: what was paid, the price factor
        and the latest trips go on; not asked yet."""
        return LandmarkRent(self.settled, False, self.factor, deque(self.recent, RENT_RECENT_TRIPS))


@dataclass(frozen=True, slots=True, eq=False)
class Metric:
    """One customisation of the graph: what a query needs besides the topology.

    ``h_scale`` (seconds per metre of the router's planar frame) times the straight-line distance
    never exceeds the cost between two points, and the landmark bound never exceeds the cost of a
    path (see :func:`routing._kernels.search.search` for why both are consistent). ``profile`` is
    the profile the weights come from (``None`` for weights built elsewhere, e.g. the map without
    obstacles); ``revision`` is the router's attribute revision they were computed on;
    ``conditions`` the day's conditions they were weighed in.
    """

    weights: EdgeWeights
    landmarks: Landmarks
    h_scale: float
    profile: Profile | None = None
    revision: int = 0
    #: The landmark bound is the router's shared one, scaled (not this profile's own).
    shared_landmarks: bool = False
    conditions: Conditions = DEFAULT_CONDITIONS
    #: The costs this metric's own landmarks were computed on, when they are not its weights'
    #: (it was patched since): a patch keeps them while no cost falls below these.
    landmark_cost_s: np.ndarray | None = None
    #: With :attr:`landmark_cost_s`: what searches on these older landmarks settled since they
    #: became older than the costs (:mod:`routing.landmark_refresh` buys fresh ones when that
    #: reaches their price).
    rent: LandmarkRent | None = None

    @property
    def landmark_basis(self) -> np.ndarray:
        """The costs the own landmarks' distances were computed on: every cost at least these
        keeps them a lower bound."""
        return self.weights.cost_s if self.landmark_cost_s is None else self.landmark_cost_s

    @property
    def key(self) -> tuple[Profile | None, Conditions]:
        """The metric cache's key: ``(profile, conditions)``."""
        return self.profile, self.conditions

    @property
    def cost_s(self) -> np.ndarray:
        """What the search minimises, per edge (``inf`` = unusable)."""
        return self.weights.cost_s

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (weights and landmark distances)."""
        own = 0 if self.shared_landmarks else self.landmarks.nbytes  # shared: the router's
        basis = 0 if self.landmark_cost_s is None else int(self.landmark_cost_s.nbytes)
        return weights_nbytes(self.weights) + own + basis

    def nbytes_beyond(self, other: Metric) -> int:
        """Bytes of the arrays this metric holds that ``other`` does not hold (the same objects
        are not counted): what a patched copy of ``other`` adds to it."""
        held = {id(a) for a in other._arrays()}
        return sum(int(a.nbytes) for a in self._arrays() if id(a) not in held)

    def _arrays(self) -> list[np.ndarray]:
        """The arrays :attr:`nbytes` counts."""
        found = list(array_fields(self.weights).values())
        if not self.shared_landmarks:
            found += [self.landmarks.nodes, self.landmarks.dist]
        if self.landmark_cost_s is not None:
            found.append(self.landmark_cost_s)
        return found

    def penalised(self, cost_s: np.ndarray) -> Metric:
        """A copy whose search costs are ``cost_s`` (each ``>=`` this metric's), bounds kept.

        The violation, unknown and travel records stay the parent's (they describe the edges,
        not the search). Because no cost falls, the parent's landmarks and straight-line scale
        remain consistent lower bounds, so nothing is recomputed. Raises ``ValueError`` when
        ``cost_s`` has another shape or any entry below (or NaN against) the parent's.
        """
        cost = np.ascontiguousarray(cost_s, dtype=np.float64)
        if cost.shape != self.cost_s.shape:
            raise ValueError(
                f"penalised costs have shape {cost.shape}, the metric {self.cost_s.shape}"
            )
        if not np.all(cost >= self.cost_s):
            raise ValueError("penalised costs must never fall below the parent metric's costs")
        return dataclasses.replace(self, weights=dataclasses.replace(self.weights, cost_s=cost))


def weights_of(usable: Metric | EdgeWeights) -> EdgeWeights:
    """The edge weights of a metric, or the weights themselves (what snapping and a walk's
    pieces read: either serves them)."""
    return usable.weights if isinstance(usable, Metric) else usable


def build_metric(
    graph: CompiledGraph,
    weights: EdgeWeights,
    *,
    landmark_nodes: np.ndarray | None,
    h_factor: float,
    profile: Profile | None = None,
    revision: int = 0,
    shared_landmarks: Landmarks | None = None,
    conditions: Conditions = DEFAULT_CONDITIONS,
    landmarks: Landmarks | None = None,
) -> Metric:
    """Customise ``graph`` with ``weights``: the landmark bound and the h scale.

    With ``shared_landmarks`` (the router's metre distances,
    :func:`~routing.landmarks.length_landmarks`) the profile's landmark bound is those
    distances scaled by its smallest cost per metre: one multiplication, no search. Otherwise
    ``landmark_nodes`` gives per-profile landmarks (one Dijkstra per landmark on these
    weights), and ``None`` builds a metric without landmarks (straight-line bound only).
    ``h_factor`` converts the router's planar frame distances to metres that never exceed the
    true ones. ``landmarks`` given are taken as the metric's own (landmarks computed on arrays
    equal to ``weights``' that they read: :func:`routing.array_sharing.equal_landmarks`).
    """
    shared = shared_landmarks is not None
    if landmarks is not None:
        shared = False
    elif shared_landmarks is not None:
        landmarks = scaled_landmarks(shared_landmarks, weights.min_cost_per_m)
    elif landmark_nodes is None:
        landmarks = Landmarks.none(graph.node_count)
    else:
        landmarks = compute_landmarks(graph, weights, landmark_nodes)
    h_scale = h_factor * weights.min_cost_per_m
    return Metric(
        weights, landmarks, h_scale, profile, revision, shared_landmarks=shared,
        conditions=conditions,
    )  # fmt: skip


def with_own_landmarks(graph: CompiledGraph, metric: Metric, landmark_nodes: np.ndarray) -> Metric:
    """``metric`` with landmarks of its own costs (tighter than the shared ones, one Dijkstra
    per landmark): what a profile that keeps being asked for earns (:class:`MetricCache`)."""
    own = compute_landmarks(graph, metric.weights, landmark_nodes)
    return dataclasses.replace(
        metric, landmarks=own, shared_landmarks=False, landmark_cost_s=None, rent=None
    )


#: A personal profile borrows its preset's own landmarks (:func:`with_borrowed_landmarks`) only
#: when their scaled bound per metre is at least this share of the shared landmarks' (measured
#: 2026-12-05 on Kaiserslautern, 60 trips each, wheelchair with varied overrides: borrowed
#: landmarks settled fewer nodes than the shared ones from a share of about 0.73 on, more below).
BORROW_MIN_SHARE = 0.75


def with_borrowed_landmarks(metric: Metric, base: Metric) -> Metric:
    """``metric`` (a new personal profile's, on the shared landmarks) on the own landmarks of
    ``base`` (its preset's cached metric), scaled by ``alpha``, the smallest ratio of
    ``metric``'s cost to the cost ``base``'s landmarks were computed on over all edges: then every
    cost is at least ``alpha`` times that one, so ``alpha`` times ``base``'s bound stays an
    admissible and consistent bound (:mod:`routing.landmarks`), one multiplication instead of a
    Dijkstra per landmark. An edge usable here but not there gives ``alpha`` 0: nothing
    borrowed. Kept only when the borrowed bound per metre is at least :data:`BORROW_MIN_SHARE`
    of the shared one's (a personal profile much cheaper than its preset, e.g. with a higher
    incline limit, is better served by the shared landmarks). Marked as not its own
    (``shared_landmarks``): its bytes are the preset's, an obstacle patch falls back to the
    shared bound, and a profile that keeps being asked for earns its own as before.

    Measured (2026-12-05, Kaiserslautern, wheelchair with a faster or slower speed and another
    kerb limit, 60 trips each): settled nodes 426-863 borrowed against 1,236-1,597 shared where
    borrowed, the same least costs in every search."""
    own = base.landmarks
    if base.shared_landmarks or own.nodes.size == 0 or own.scale != 1.0:
        return metric
    cost, basis = metric.weights.cost_s, base.landmark_basis
    if cost.shape != basis.shape:
        return metric
    alpha = borrow_scale(cost, basis)
    if alpha == 0.0:
        return metric
    per_m = alpha * base.weights.min_cost_per_m
    if not per_m >= BORROW_MIN_SHARE * metric.weights.min_cost_per_m:
        return metric
    borrowed = Landmarks(nodes=own.nodes, dist=own.dist, scale=alpha)
    return dataclasses.replace(metric, landmarks=borrowed, shared_landmarks=True)


def subset_effective(eff: EffectiveEdges, edges: np.ndarray) -> EffectiveEdges:
    """The rows ``edges`` of every per-edge array of ``eff``."""
    return dataclasses.replace(
        eff,
        **{
            name: array[edges]
            for name in field_names(type(eff))
            if (array := getattr(eff, name)) is not None
        },
    )


def changed_edges(
    old_edge: Mapping[str, np.ndarray],
    old_eff: EffectiveEdges,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """The edges whose raw or effective attributes differ between two states (NaN equals NaN):
    the only ones whose weights can differ. ``rows``: compare only these edges (sorted, unique;
    the others are known equal); a pair of one array twice is skipped unread."""
    pairs = [(old_edge.get(k), v) for k, v in edge.items()] + [
        (getattr(old_eff, name), getattr(eff, name)) for name in field_names(type(eff))
    ]
    if rows is None:
        return np.flatnonzero(differing(pairs, len(eff.kerb_count)))
    taken = [(o, n) if o is None or o is n else (o[rows], n[rows]) for o, n in pairs]
    return rows[differing(taken, rows.size)]


def patch_weights(
    weights: EdgeWeights,
    profile: Profile,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    edges: np.ndarray,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> EdgeWeights:
    """``weights`` with only ``edges`` recomputed from new attributes (``edge``, ``eff``: the
    whole arrays after an obstacle change), the other edges' values kept.

    :func:`~accessibility_rules.weights.compute_weights` is elementwise per edge, so the patched
    edges get exactly the values a full computation gives there. ``min_cost_per_m`` becomes the
    smaller of the old one and the patched edges' (a valid lower bound of every cost per metre:
    a closed edge only rises, a lowered kerb may fall below the old minimum).
    """
    edges = np.unique(np.asarray(edges, dtype=np.int64))
    part = compute_weights(profile, RowsView(edge, edges), subset_effective(eff, edges), conditions)
    out: dict[str, object] = {
        name: with_rows(old, edges, getattr(part, name))
        for name, old in array_fields(weights).items()
    }  # arrays whose patched rows keep their values stay the same objects
    out["min_cost_per_m"] = (
        min(weights.min_cost_per_m, part.min_cost_per_m) if len(edges) else weights.min_cost_per_m
    )
    return dataclasses.replace(weights, **out)  # type: ignore[arg-type]


def patch_metric(
    metric: Metric,
    profile: Profile,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    edges: np.ndarray,
    *,
    shared_landmarks: Landmarks | None,
    h_factor: float,
    revision: int,
) -> Metric:
    """``metric`` after an obstacle change that touched ``edges``: only those re-weighted
    (:func:`patch_weights`), no landmark search.

    Its own landmarks stay while no cost is below the costs they were computed on
    (:attr:`Metric.landmark_basis`: costs that rise keep a lower bound valid, and so do costs
    that fall back, as when a closure is lifted); otherwise the bound becomes the router's
    ``shared_landmarks`` scaled by the new smallest cost per metre (none without shared
    landmarks). Before, any cost that fell gave the metric the shared bound for good: after a
    staff closure and its removal every cached profile searched with the weaker bound (answers
    in process 0.53 against 0.46 ms, a served worker's CPU per route +10 %).
    """
    weights = patch_weights(metric.weights, profile, edge, eff, edges, metric.conditions)
    own = not metric.shared_landmarks and metric.landmarks.nodes.size > 0
    basis = metric.landmark_basis if own else None
    rent = None
    if basis is not None and bool(np.all(weights.cost_s >= basis)):
        landmarks, shared = metric.landmarks, False  # still a lower bound
        if np.array_equal(weights.cost_s, basis):  # back to those costs (a closure lifted)
            basis = weights.cost_s
        else:  # looser where costs rose: the searches pay rent (routing/landmark_refresh.py)
            rent = metric.rent.carried() if metric.rent is not None else LandmarkRent()
    elif shared_landmarks is not None:
        landmarks, shared, basis = (
            scaled_landmarks(shared_landmarks, weights.min_cost_per_m),
            True,
            None,
        )
    else:
        landmarks, shared, basis = Landmarks.none(len(metric.landmarks.dist)), False, None
    return Metric(
        weights, landmarks, h_factor * weights.min_cost_per_m, profile, revision,
        shared_landmarks=shared, conditions=metric.conditions,
        landmark_cost_s=basis if basis is not weights.cost_s else None, rent=rent,
    )  # fmt: skip


class MetricCache:
    """Least-recently-used metrics, bounded by their bytes, and the few kept whatever the bound.

    A kept key (:meth:`keep`: the server's presets by day and in the dark, which it customises
    before it forks its workers and moves into memory they share, :meth:`Router.share_memory
    <routing.engine.Router.share_memory>`) holds its *original*, the metric on the map's own
    attributes (revision 0), neither counted in :attr:`nbytes` nor evicted: it costs no worker
    memory of its own, and evicting it would free none (it would only be weighed again, privately,
    by the next request of a preset). Their number is the server's choice (the presets × the
    day's conditions). After an obstacle change a kept key holds its *patched* copy, whose new
    arrays are the worker's own: those bytes (:meth:`Metric.nbytes_beyond` its original) count
    in the bound like any other metric's, and when the bound is reached the patched copy may be
    evicted, back to the original (from which the router patches again when it is next asked
    for). Before, patched copies of kept metrics were outside the bound: on a graph of a million
    nodes, each worker would have held a private copy of three arrays of every preset in use
    (some 50 MB each) after a single staff closure, whatever the bound. A kept key without an
    original (first weighed after a change) is neither counted nor evicted, as before.

    Every other metric counts every array it holds, also one it shares with another metric
    (:mod:`routing.array_sharing`): the bound is an upper bound of the bytes they hold.

    A cached metric may be of an older attribute revision than the router's: after an obstacle
    change the router patches a metric when it is next asked for (:meth:`Router.customize
    <routing.engine.Router.customize>`), not every cached one at once. Not locked: the owner
    (the Router) guards it. :meth:`put` never replaces a metric with one of an older revision
    and ignores metrics older than the revision of the last :meth:`clear`.
    """

    def __init__(self, max_bytes: int = MAX_DEFAULT_METRIC_CACHE_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self.revision = 0
        #: Bytes the cached metrics count against :attr:`max_bytes` (a kept key's original: 0).
        self.nbytes = 0
        self._items: OrderedDict[Hashable, Metric] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}  # what each cached metric counts in nbytes
        self._hits: dict[Hashable, int] = {}
        self._kept: set[Hashable] = set()
        self._originals: dict[Hashable, Metric] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> Metric | None:
        """The cached metric (marked as recently used), or None."""
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            self._hits[key] = self._hits.get(key, 0) + 1
        return hit

    def lookup(self, key: Hashable) -> tuple[Metric | None, bool]:
        """:meth:`get` and :meth:`upgrade_due` in one (a key of a profile hashes all its
        parameters: four dictionary operations instead of six)."""
        hit = self._items.get(key)
        if hit is None:
            return None, False
        self._items.move_to_end(key)
        hits = self._hits.get(key, 0) + 1
        self._hits[key] = hits
        return hit, hit.shared_landmarks and hits == OWN_LANDMARKS_AFTER_HITS

    def keep(self, key: Hashable) -> None:
        """Keep the metric of ``key`` whatever the bound (also the metrics put under it later).
        A metric of revision 0 put under a kept key is its original; a patched copy put later
        counts only what it does not share with the original, and is evicted back to it."""
        if key not in self._kept:
            self._kept.add(key)
            was = self._items.get(key)
            if was is not None:
                self._count(key, was)

    def kept(self, key: Hashable) -> bool:
        """Whether ``key`` is kept whatever the bound (:meth:`keep`)."""
        return key in self._kept

    def original(self, key: Hashable) -> Metric | None:
        """The original of a kept key: its metric on the map's own attributes (revision 0)."""
        return self._originals.get(key)

    def originals(self) -> list[tuple[Hashable, Metric]]:
        """Every kept key's original (a snapshot)."""
        return list(self._originals.items())

    @property
    def kept_nbytes(self) -> int:
        """Bytes the kept keys' cached metrics hold that :attr:`nbytes` does not count (their
        originals, a patched copy's arrays shared with its original, a kept metric without
        an original)."""
        return sum(
            m.nbytes - self._sizes.get(k, 0) for k, m in self._items.items() if k in self._kept
        )

    def items(self) -> list[tuple[Hashable, Metric]]:
        """The cached ``(key, metric)`` pairs, least recently used first (a snapshot)."""
        return list(self._items.items())

    def upgrade_due(self, key: Hashable) -> bool:
        """Whether the cached metric of ``key`` runs on the shared landmarks and has just been
        used :data:`OWN_LANDMARKS_AFTER_HITS` times: time to give it landmarks of its own
        (true once per cached metric)."""
        hit = self._items.get(key)
        return (
            hit is not None
            and hit.shared_landmarks
            and self._hits.get(key, 0) == OWN_LANDMARKS_AFTER_HITS
        )

    def _size(self, key: Hashable, metric: Metric) -> int:
        """What ``metric`` would count in :attr:`nbytes` under ``key``."""
        if key not in self._kept:
            return metric.nbytes
        original = self._originals.get(key)
        return 0 if original is None else metric.nbytes_beyond(original)

    def _count(self, key: Hashable, metric: Metric) -> None:
        """Count ``metric``, cached under ``key``, instead of what was counted for it."""
        size = self._size(key, metric)
        self.nbytes += size - self._sizes.get(key, 0)
        self._sizes[key] = size

    def put(self, key: Hashable, metric: Metric) -> None:
        """Keep ``metric``, evicting the least recently used ones beyond ``max_bytes``.

        A metric larger than the whole bound is not cached (a kept key falls back to its
        original); a kept key's original is never evicted, nor is a kept key's metric when it
        has no original.
        """
        kept = key in self._kept
        if metric.revision < self.revision:
            return
        was = self._items.get(key)
        if was is not None and was.revision > metric.revision:  # a newer one is kept
            return
        if kept and metric.revision == 0:
            self._originals[key] = metric
        if self._size(key, metric) > self.max_bytes:
            if kept and key in self._originals:
                self._revert(key)
            return
        self._items.pop(key, None)
        self._items[key] = metric
        self._count(key, metric)
        self._evict(self.max_bytes)

    def make_room(self, nbytes: int) -> list[Metric]:
        """Evict the least recently used metrics until ``nbytes`` more fit the bound (as
        :meth:`put` of a metric of ``nbytes`` would after caching it), and return them: the
        caller about to weigh a new metric may write it into arrays of theirs that no one
        else holds (:func:`routing.recycling.recyclable`) instead of fresh memory."""
        return self._evict(self.max_bytes - nbytes) if nbytes <= self.max_bytes else []

    def _evict(self, limit: int) -> list[Metric]:
        """Evict the least recently used metrics counted until :attr:`nbytes` ≤ ``limit``
        (a kept key back to its original); the metrics no longer cached."""
        gone: list[Metric] = []
        while self.nbytes > limit:  # then some metric counted is cached
            key = next(k for k in self._items if self._sizes.get(k, 0) > 0)
            self._hits.pop(key, None)
            gone.append(self._items[key])
            if key in self._kept:
                self._revert(key)
            else:
                self._items.pop(key)
                self.nbytes -= self._sizes.pop(key)
        return gone

    def _revert(self, key: Hashable) -> None:
        """Cache a kept key's original in place of its patched copy (an original older than
        :attr:`revision` is not cached: the key's metric is weighed again when asked for)."""
        original = self._originals[key]
        self._items.pop(key, None)
        self.nbytes -= self._sizes.pop(key, 0)
        if original.revision >= self.revision:
            self._items[key] = original
            self._sizes[key] = 0

    def peek(self, key: Hashable) -> Metric | None:
        """The cached metric of ``key``, not marked as used (no hit counted)."""
        return self._items.get(key)

    def replace_cached(self, key: Hashable, old: Metric, new: Metric) -> bool:
        """Cache ``new`` in place of ``old`` (the same weights with other landmarks) if ``old``
        is still what ``key`` holds, keeping its place in the use order and its hits; its bytes
        counted anew (evicting beyond the bound). Whether it was replaced."""
        if self._items.get(key) is not old:
            return False
        self._items[key] = new
        self._count(key, new)
        self._evict(self.max_bytes)
        return True

    def swap(self, key: Hashable, metric: Metric) -> None:
        """Put ``metric`` in place of the cached one of ``key``, of the same arrays' sizes (the
        same values moved elsewhere: :meth:`Router.share_memory
        <routing.engine.Router.share_memory>`), keeping its place in the use order and its hits
        (a kept key's original moves with it). Raises ``KeyError`` when ``key`` is not cached,
        ``ValueError`` when the sizes differ."""
        old = self._items[key]
        if old.nbytes != metric.nbytes:
            raise ValueError(f"swap needs equal sizes: {old.nbytes} bytes, got {metric.nbytes}")
        self._items[key] = metric
        if self._originals.get(key) is old:
            self._originals[key] = metric
        self._count(key, metric)

    def clear(self, revision: int) -> None:
        """Drop every metric; only metrics of ``revision`` or newer are cached from now on (the
        keys of :meth:`keep` stay kept)."""
        self._items.clear()
        self._sizes.clear()
        self._hits.clear()
        self.nbytes = 0
        self.revision = revision
