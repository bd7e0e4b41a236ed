"""The numba kernels of the routing engine.

Small ``@kernel`` functions (:mod:`accessibility_rules.kernel_loading`: ``numba.njit(cache=True, nogil=True)``,
or their ahead-of-time build for :mod:`accessibility_rules.kernel_signatures`) over contiguous typed arrays that write into
caller-allocated outputs. No Python callables, no objects: the Python classes around them
(:mod:`routing.engine`) own validation, errors and results.

Conventions: the graph is CSR (``first_out``, ``head``); ``cost`` is the per-edge cost in seconds
(``inf`` = never usable). Related arrays travel as plain tuples (:data:`Graph`,
:data:`Workspace`, :data:`Ends`, :data:`Bound`) to keep signatures short without jitclasses.
One search kernel (:func:`search`) serves every query: A* towards a point, Dijkstra to marked
nodes (the matrix) and the landmark distances; the search kernels release the GIL
(``nogil=True``), so threads of the server search in parallel. Workspaces use generation stamps, so a query touches only the nodes it
visits instead of clearing arrays of length ``n``: ``stamp[v] == gen`` means ``dist[v]`` is valid
for this query, ``closed[v] == gen`` means ``v`` is settled.

The route report's kernels (below the search) each make one pass over a route's pieces, reading
the full per-edge arrays at the route's edges: its polyline (:func:`route_polyline_fill`), what
each piece shows (:func:`report_piece_flags`), the verdict rule per edge and what the walk meets
(:func:`route_verdict`, :func:`verdict_masks_fill`), its street runs (:func:`segment_runs`) and
the turns at its junctions (:func:`turn_deltas`). Floating-point work repeats the Python/numpy
code it replaced operation by operation (the figures in a response stay byte for byte); sums
over a route stay in numpy, whose pairwise summation a loop would not repeat.
"""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel

NO_EDGE = -1
#: ``best_exit`` of :func:`search` when it stopped on its settle budget (``max_settled``).
BUDGET_EXHAUSTED = -2
#: ``max_settled`` of :func:`search` without a budget.
NO_BUDGET = -1
_EMPTY = np.zeros(0, dtype=np.float64)

#: ``(first_out, head, cost)``: a CSR graph with one cost per edge.
Graph = tuple[np.ndarray, np.ndarray, np.ndarray]
#: ``(dist, pred_edge, stamp, closed, marked, heap_key, heap_node, bound_at)``: what a search
#: writes into.
Workspace = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]
#: ``(nodes, costs)``: where a search starts, or the exits of its target.
Ends = tuple[np.ndarray, np.ndarray]
#: ``(node_x, node_y, target_x, target_y, h_scale, lm_dist, lm_target, lm_scale)``: the A*
#: heuristic (the landmark bound is ``lm_scale`` times the triangle bound on ``lm_dist``).
Bound = tuple[np.ndarray, np.ndarray, float, float, float, np.ndarray, np.ndarray, float]


@kernel
def _heap_push(
    heap_key: np.ndarray, heap_node: np.ndarray, size: int, key: float, node: int
) -> int:
    """Push onto a binary min-heap stored in two arrays; return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@kernel
def _heap_pop(heap_key: np.ndarray, heap_node: np.ndarray, size: int) -> int:
    """Remove the minimum (the caller read it at index 0 first); return the new size."""
    size -= 1
    key = heap_key[size]
    node = heap_node[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_key[child + 1] < heap_key[child]:
            child += 1
        if heap_key[child] >= key:
            break
        heap_key[i] = heap_key[child]
        heap_node[i] = heap_node[child]
        i = child
    if size > 0:
        heap_key[i] = key
        heap_node[i] = node
    return size


@kernel
def _bound(v: int, bound: Bound, target_costs: np.ndarray) -> float:
    """Lower bound on the cost from node ``v`` to the target point (see :func:`search`).

    Not called for :func:`no_bound` (whose coordinate arrays are empty).
    """
    node_x, node_y, target_x, target_y, h_scale, lm_dist, lm_target, lm_scale = bound
    columns = lm_dist.shape[1]
    dx = node_x[v] - target_x
    dy = node_y[v] - target_y
    h = h_scale * np.sqrt(dx * dx + dy * dy)
    if columns == 0:
        return h
    # the last column: each node's transition bound (routing.landmarks.compute_landmarks)
    k_count = columns - 1
    alt = np.inf
    for i in range(lm_target.shape[0]):
        lb = 0.0
        for k in range(k_count):
            # a landmark that cannot reach v or the exit gives no bound: inf - x and x - inf
            # are inf, inf - inf is NaN, and neither passes the test (one test, not two)
            d = abs(lm_dist[v, k] - lm_target[i, k])
            if d < np.inf and d > lb:
                lb = d
        lb = lm_scale * (lb - 0.5 * (lm_dist[v, k_count] + lm_target[i, k_count]))
        lb += target_costs[i]
        if lb < alt:
            alt = lb
    return max(h, alt)


@kernel
def search(
    graph: Graph,
    workspace: Workspace,
    gen: int,
    sources: Ends,
    targets: Ends,
    bound: Bound,
    marked_count: int,
    max_settled: int = NO_BUDGET,
) -> tuple[float, int, int]:
    """A* (Dijkstra when ``bound`` is :func:`no_bound`) from several sources to several exits.

    Parameters
    ----------
    graph
        ``(first_out, head, cost)``: the CSR graph and its per-edge cost (``inf`` = unusable).
    workspace
        ``(dist, pred_edge, stamp, closed, marked, heap_key, heap_node, bound_at)``, stamped
        with ``gen`` (the heap holds at least ``len(head) + len(sources)`` entries).
        ``bound_at[v]`` keeps the heuristic of a node reached in this run: it depends on ``v``
        alone, so a cheaper way to ``v`` found later pushes it again without computing it
        anew (the same keys, so the same search; the bound reads a row of ``lm_dist`` per exit).
        Such pushes are 10.7 % of all on 300 Kaiserslautern trips (487 searches).
    sources
        ``(nodes, costs)``: the search starts at ``nodes[i]`` with cost ``costs[i]``
        (``inf`` = not a start).
    targets
        ``(nodes, costs)``: the exits of *one* target point; ``nodes[i]`` reaches it at extra
        cost ``costs[i]``. Empty for a one-to-many search.
    bound
        ``(node_x, node_y, target_x, target_y, h_scale, lm_dist, lm_target, lm_scale)``: the heuristic,
        the larger of two lower bounds on the cost from ``v`` to the target point — the
        straight line ``h_scale * |v - target|`` (``h_scale = 0`` disables it) and the ALT bound
        ``min_i(lm_scale * (max_k |lm_dist[v, k] - lm_target[i, k]| - (tau[v] + tau_i) / 2) +
        costs[i])`` over the landmark columns ``k``, where the last column holds each node's
        transition bound ``tau`` (:func:`routing.landmarks.compute_landmarks`; zeros for the
        shared landmarks; zero columns disable the ALT bound).
        With both disabled (:func:`no_bound`) the coordinates are not read.
    marked_count
        How many distinct nodes carry ``marked[v] == gen``; when positive, the search stops as
        soon as all of them are settled (one-to-many). 0 = no such stop.
    max_settled
        The settle budget: the search stops after settling this many nodes while work is left,
        and reports it with ``best_exit == BUDGET_EXHAUSTED`` (its results are then not
        final). :data:`NO_BUDGET` (negative) = none.

    Returns ``(best cost at an exit, index of that exit or -1, settled node count)``, or
    ``(best so far, BUDGET_EXHAUSTED, settled)`` when the budget stopped it. Settled
    nodes have ``closed[v] == gen`` and their final cost in ``dist[v]``; a path is read back
    with :func:`extract_path` from ``pred_edge``.

    The heuristic must be *consistent* — ``h(u) <= cost(u→v) + h(v)`` for every edge and
    ``h(exit i) <= costs[i]`` — not only admissible, because a settled node is never reopened
    (the ``closed`` skip below) and the search stops at the first key ``>= best``. Both parts
    are: the straight line by the triangle inequality, as long as every edge costs at least
    ``h_scale`` × the straight-line distance between its ends (``h_scale`` is the smallest cost
    per metre times a factor that keeps frame distances below true ones); the ALT part because
    ``| |a - t| - |b - t| | <= |a - b| <= lb(u, v) <= cost(u→v)`` for every landmark distance
    of the symmetric lower-bound metric ``lb`` (see :mod:`routing.landmarks`), which also holds
    for any cost array that never falls below the one the landmarks were computed on; the
    maximum and the minimum over exits of consistent bounds are consistent.
    """
    first_out, head, cost = graph
    dist, pred_edge, stamp, closed, marked, heap_key, heap_node, bound_at = workspace
    source_nodes, source_costs = sources
    target_nodes, target_costs = targets
    # decided once: Dijkstra (no bound) skips the bound call per push
    bounded = bound[4] != 0.0 or bound[5].shape[1] != 0
    size = 0
    for i in range(source_nodes.shape[0]):
        s = source_nodes[i]
        c = source_costs[i]
        if not np.isfinite(c):
            continue
        if stamp[s] != gen or c < dist[s]:
            h = 0.0
            if bounded:  # computed once per node and run (see ``bound_at``)
                h = bound_at[s] if stamp[s] == gen else _bound(s, bound, target_costs)
                bound_at[s] = h
            stamp[s] = gen
            dist[s] = c
            pred_edge[s] = NO_EDGE
            size = _heap_push(heap_key, heap_node, size, c + h, s)
    best = np.inf
    best_exit = -1
    settled = 0
    remaining = marked_count
    while size > 0:
        key = heap_key[0]
        u = heap_node[0]
        size = _heap_pop(heap_key, heap_node, size)
        if key >= best:
            break
        if closed[u] == gen:
            continue
        if settled == max_settled:
            return best, BUDGET_EXHAUSTED, settled
        closed[u] = gen
        settled += 1
        du = dist[u]
        for i in range(target_nodes.shape[0]):
            if target_nodes[i] == u and du + target_costs[i] < best:
                best = du + target_costs[i]
                best_exit = i
        if remaining > 0 and marked[u] == gen:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(first_out[u], first_out[u + 1]):
            w = cost[e]
            if not np.isfinite(w):
                continue
            v = head[e]
            if closed[v] == gen:
                continue
            dv = du + w
            if stamp[v] != gen or dv < dist[v]:
                h = 0.0
                if bounded:  # computed once per node and run (see ``bound_at``)
                    h = bound_at[v] if stamp[v] == gen else _bound(v, bound, target_costs)
                    bound_at[v] = h
                stamp[v] = gen
                dist[v] = dv
                pred_edge[v] = e
                size = _heap_push(heap_key, heap_node, size, dv + h, v)
    return best, best_exit, settled


def no_bound(target_count: int = 0) -> Bound:
    """The zero heuristic: :func:`search` is then Dijkstra."""
    return (_EMPTY, _EMPTY, 0.0, 0.0, 0.0, np.zeros((0, 0)), np.zeros((target_count, 0)), 1.0)


def workspace(n: int, m: int) -> Workspace:
    """Fresh search arrays for ``n`` nodes and a heap for ``m`` pushes (stamps start at 0)."""
    return (
        np.zeros(n, dtype=np.float64),
        np.full(n, NO_EDGE, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(m, dtype=np.float64),
        np.zeros(m, dtype=np.int64),
        np.zeros(n, dtype=np.float64),
    )


@kernel
def extract_path(
    pred_edge: np.ndarray, tail: np.ndarray, end_node: int, out_edges: np.ndarray
) -> int:
    """Write the edges from a source to ``end_node`` into ``out_edges`` (in order); return count."""
    count = 0
    v = end_node
    while pred_edge[v] != NO_EDGE:
        e = pred_edge[v]
        out_edges[count] = e
        count += 1
        v = tail[e]
    for i in range(count // 2):
        tmp = out_edges[i]
        out_edges[i] = out_edges[count - 1 - i]
        out_edges[count - 1 - i] = tmp
    return count


@kernel
def _point_pieces(
    edge: int, fraction: float, rev: int, source: bool, node_of: np.ndarray, way_s: np.ndarray,
    head_s: np.ndarray, edges: np.ndarray, fractions: np.ndarray, nodes: np.ndarray,
    costs: np.ndarray,
) -> int:  # fmt: skip
    """The pieces between a point at ``fraction`` of ``edge`` (twin ``rev``, -1 for none) and
    the ends of its street piece, as :meth:`routing.engine.Router.start_pieces` and
    ``exit_pieces`` make them, with :func:`routing.query.piece_cost`'s arithmetic: a
    ``source``'s run to their heads, ``(edge, f, 1)`` and ``(rev, 1 - f, 1)``, each costing
    ``(1 - start) · way_s + head_s`` (no ``head_s`` for a piece starting at its head: the walk
    begins on that node) and starting the search at its head (``node_of``: the graph's
    heads); a target's exits run from their tails (``node_of``: the tails),
    ``(edge, 0, f)`` and ``(rev, 0, 1 - f)``, each costing ``end · way_s``. Writes each
    piece's edge, its start (a source's) or end (a target's), node and cost; returns how many
    (1 or 2)."""
    n = 0
    for k in range(2):
        if k == 0:
            e, f = edge, fraction
        elif rev >= 0:
            e, f = rev, 1.0 - fraction
        else:
            break
        edges[n] = e
        fractions[n] = f
        nodes[n] = node_of[e]
        # piece_cost: (end - start) · way_s, + head_s past the head (f - 0 is f, to the bit);
        # a source on the head node does not cross it
        if not source:
            costs[n] = f * way_s[e]
        elif f < 1.0:
            costs[n] = (1.0 - f) * way_s[e] + head_s[e]
        else:
            costs[n] = (1.0 - f) * way_s[e]
        n += 1
    return n


@kernel
def _node_exits(
    node: int, first_out: np.ndarray, reverse_edge: np.ndarray, tail: np.ndarray,
    way_s: np.ndarray, edges: np.ndarray, ends: np.ndarray, nodes: np.ndarray,
    costs: np.ndarray, n: int,
) -> int:  # fmt: skip
    """The exits of a target lying on ``node`` after the ``n`` of its edge's two pieces: every
    edge into the node (the twin of each out-edge, in their order) not yet an exit, walked
    whole as the last piece, ``(X, 0, 1)`` from its tail at ``1 · way_s`` (no ``head_s``: a
    walk that ends on the node does not cross what the edge's head holds), as
    :meth:`routing.engine.Router.exit_pieces` makes them. Returns the new count."""
    have = n
    for o in range(first_out[node], first_out[node + 1]):
        into = reverse_edge[o]
        if into < 0:
            continue
        seen = False
        for i in range(have):
            if edges[i] == into:
                seen = True
        if seen:
            continue
        edges[n] = into
        ends[n] = 1.0
        nodes[n] = tail[into]
        costs[n] = 1.0 * way_s[into]
        n += 1
    return n


#: The first value of :func:`point_search` when the target point cannot be reached.
NO_ROUTE = -1


@kernel
def point_search(
    graph: Graph, tail: np.ndarray, reverse_edge: np.ndarray, way_s: np.ndarray,
    head_s: np.ndarray, workspace: Workspace, gen: int, source_edge: int,
    source_fraction: float, target_edge: int, target_fraction: float, node_x: np.ndarray,
    node_y: np.ndarray, target_x: float, target_y: float, h_scale: float, lm_dist: np.ndarray,
    lm_target: np.ndarray, lm_scale: float, max_settled: int, out_edges: np.ndarray,
) -> tuple[int, float, float, float, int]:  # fmt: skip
    """The least-cost walk from one snapped point to another (:meth:`routing.query.Query.between`,
    what :meth:`routing.engine.Router.shortest_path` runs): the same arithmetic, step by step,
    as the Python it replaces, its reference in the tests (:class:`~routing.query.Query` with
    ``add_sources``, ``add_targets``, ``run`` and ``path``, and ``Router.direct_piece``).

    The source point lies at ``source_fraction`` of directed edge ``source_edge``: the search
    starts at that edge's head with the piece's cost (``(1 - f) · way_s + head_s``) and, where
    the edge has a twin (``reverse_edge``), at the twin's head (its piece from ``1 - f``). The
    target is reached from the tail of ``target_edge`` at ``f · way_s`` and from its twin's
    tail at ``(1 - f) · way_s`` (no head transition: the walk ends on the edge); a target on
    a node (``f`` 0 or 1) also along every edge into that node (:func:`_node_exits`). The A*
    bound is :func:`search`'s with ``lm_target`` (the caller's, K columns and a row per exit:
    2 + the graph's largest out-degree) filled with the landmark rows of those exits. A walk
    along the one edge (both points on it or on its twin, or the target on a node it runs
    to; in walking order) wins when it costs no more than the search's best.

    Writes the walk's edges into ``out_edges`` (room for the edge count + 2) and returns
    ``(count, cost, start, end, settled)``: ``count`` edges walked from fraction ``start`` of
    the first to ``end`` of the last (a target at the head of the edge before the last drops
    the last: ``end`` is then 1; a source at the head of the first edge drops the first:
    ``start`` is then 0), or ``count`` = :data:`NO_ROUTE` (no walk; cost inf) or
    :data:`BUDGET_EXHAUSTED` (the settle budget stopped the search; ``settled`` says where).
    """
    source_nodes = np.empty(2, dtype=np.int64)
    source_costs = np.empty(2, dtype=np.float64)
    source_edges = np.empty(2, dtype=np.int64)
    source_starts = np.empty(2, dtype=np.float64)
    first_out, head = graph[0], graph[1]
    # the node the target lies on (-1: inside its edge): reached along every edge into it too
    on_node = -1
    if target_fraction >= 1.0:
        on_node = head[target_edge]
    elif target_fraction <= 0.0:
        on_node = tail[target_edge]
    room = 2 if on_node < 0 else 2 + first_out[on_node + 1] - first_out[on_node]
    target_nodes = np.empty(room, dtype=np.int64)
    target_costs = np.empty(room, dtype=np.float64)
    target_edges = np.empty(room, dtype=np.int64)
    target_ends = np.empty(room, dtype=np.float64)
    rev = reverse_edge[source_edge]
    n_src = _point_pieces(
        source_edge, source_fraction, rev, True, head, way_s, head_s, source_edges,
        source_starts, source_nodes, source_costs,
    )  # fmt: skip
    n_tgt = _point_pieces(
        target_edge, target_fraction, reverse_edge[target_edge], False, tail, way_s, head_s,
        target_edges, target_ends, target_nodes, target_costs,
    )  # fmt: skip
    if on_node >= 0:
        n_tgt = _node_exits(
            on_node, first_out, reverse_edge, tail, way_s, target_edges, target_ends,
            target_nodes, target_costs, n_tgt,
        )  # fmt: skip
    k_count = lm_dist.shape[1]
    for i in range(n_tgt):
        for j in range(k_count):
            lm_target[i, j] = lm_dist[target_nodes[i], j]
    exits = (target_nodes[:n_tgt], target_costs[:n_tgt])
    bound = (node_x, node_y, target_x, target_y, h_scale, lm_dist, lm_target[:n_tgt], lm_scale)
    best, best_exit, settled = search(
        graph, workspace, gen, (source_nodes[:n_src], source_costs[:n_src]), exits, bound, 0,
        max_settled,
    )  # fmt: skip
    if best_exit == BUDGET_EXHAUSTED:
        return BUDGET_EXHAUSTED, np.inf, 0.0, 0.0, settled
    # along the one edge: both points on it (or on its twin), in walking order
    direct = -1
    d_start = d_end = 0.0
    same_piece = target_edge == source_edge or (rev >= 0 and target_edge == rev)
    at_end = on_node >= 0 and (head[source_edge] == on_node or (rev >= 0 and head[rev] == on_node))
    if same_piece or at_end:
        fs = source_fraction
        if target_edge == source_edge:
            ft = target_fraction
        elif same_piece:
            ft = 1.0 - target_fraction
        elif head[source_edge] == on_node:  # a target on the node the source's edge runs to
            ft = 1.0
        else:  # ... or on the node its twin runs to
            ft = 0.0
        if ft >= fs:
            direct, d_start, d_end = source_edge, fs, ft
        elif rev >= 0:
            direct, d_start, d_end = rev, 1.0 - fs, 1.0 - ft
    if direct >= 0:
        direct_cost = (d_end - d_start) * way_s[direct]
        if direct_cost <= best:
            out_edges[0] = direct
            return 1, direct_cost, d_start, d_end, settled
    if not np.isfinite(best):
        return NO_ROUTE, best, 0.0, 0.0, settled
    exit_node = target_nodes[best_exit]
    count = extract_path(workspace[1], tail, exit_node, out_edges[1:])
    first_node = tail[out_edges[1]] if count else exit_node
    chosen = -1  # the cheapest source piece ending at the first node (the first one on ties)
    for i in range(n_src):
        if source_nodes[i] == first_node and (chosen < 0 or source_costs[i] < source_costs[chosen]):
            chosen = i
    if chosen < 0:  # (a walk starts at a source, so never) Python's [-1] of its n_src pieces
        chosen = n_src - 1
    out_edges[0] = source_edges[chosen]
    out_edges[count + 1] = target_edges[best_exit]
    start = source_starts[chosen]
    end = target_ends[best_exit]
    count += 2
    if end <= 0.0:
        # the target lies on the previous edge's head: the last edge is not walked at all, and
        # what its head holds (a kerb, a barrier, an obstacle) is not on the route
        count -= 1
        end = 1.0
    if start >= 1.0 and count > 1:
        # the source lies on the first edge's head: the walk begins on that node and goes on
        # from it (its first edge from its tail), not along the first edge through its head
        for i in range(count - 1):
            out_edges[i] = out_edges[i + 1]
        count -= 1
        start = 0.0
    return count, best, start, end, settled


#: ``end_rule`` of :func:`snap_nearest`: any edge; a walk's start; a walk's end.
END_ANY, END_AT_ORIGIN, END_AT_TARGET = 0, 1, 2


@kernel
def usable_end(
    e: int, violations: np.ndarray, at_head: np.ndarray, reverse_edge: np.ndarray, origin: bool
) -> bool:
    """Whether a walk can start (``origin``) or end on edge ``e`` (in either direction) without
    breaking a limit: no limit broken along ``e`` or its twin (the bits of ``violations`` that
    are not only at the head, ``at_head``); for a start, also a clean head on one side (a walk
    that ends on the edge comes from one end and never crosses the other; one that starts there
    may leave by the clean end). :meth:`routing.engine.Router.usable_at_point` for one edge."""
    v = violations[e]
    h = at_head[e]
    rev = reverse_edge[e]
    twin = np.uint16(0)
    twin_h = np.uint16(0)
    if rev >= 0:
        twin = violations[rev]
        twin_h = at_head[rev]
    if (v & ~h) | (twin & ~twin_h):
        return False
    return not origin or h == 0 or (rev >= 0 and twin_h == 0)


@kernel
def any_circle_within(
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    candidate: np.ndarray,
    ax: float,
    ay: float,
    bx: float,
    by: float,
    bound_m: float,
) -> bool:
    """Whether some ``candidate`` circle ``(cx, cy, radius)`` lies wholly inside the ellipse of
    foci ``a``, ``b`` whose points are at most ``bound_m`` from both summed: its centre's sum
    plus twice its radius within the bound (the triangle inequality). Stops at the first one:
    where obstacles are dense (thousands in a city) the first few circles decide, where
    numpy's test went over all of them (:meth:`api.obstacles.walkers.WalkerObstacles.any_near`,
    0.2 ms a route at 10,000)."""
    for i in range(cx.shape[0]):
        if candidate[i]:
            via = math.hypot(cx[i] - ax, cy[i] - ay) + math.hypot(cx[i] - bx, cy[i] - by)
            if via + 2.0 * radius[i] <= bound_m:
                return True
    return False


@kernel
def _end_within(x: float, y: float, px: np.ndarray, py: np.ndarray, bound_m: float) -> bool:
    """Whether ``(x, y)`` lies within ``bound_m`` summed from two consecutive points."""
    for j in range(px.shape[0] - 1):
        via = math.hypot(x - px[j], y - py[j]) + math.hypot(x - px[j + 1], y - py[j + 1])
        if via <= bound_m:
            return True
    return False


@kernel
def _ends_within(
    i: int,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
) -> bool:
    """Whether an end of obstacle ``i`` (``end_offsets[i]:end_offsets[i + 1]``) lies within
    ``bound_m`` summed from two consecutive points (:func:`_end_within`); stops at the first."""
    for k in range(end_offsets[i], end_offsets[i + 1]):
        if _end_within(end_x[k], end_y[k], px, py, bound_m):
            return True
    return False


@kernel
def ends_near_walk(
    walked: np.ndarray,
    hit: np.ndarray,
    candidate: np.ndarray,
    edges: np.ndarray,
    edge_offsets: np.ndarray,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
    out: np.ndarray,
) -> int:
    """Per ``candidate`` obstacle ``i`` (its edges ``edges[edge_offsets[i]:edge_offsets[i +
    1]]``, its ends likewise by ``end_offsets``): ``out[i]`` set when one of its edges is among
    ``walked`` and one of its ends lies within ``bound_m`` summed from two consecutive points
    ``(px, py)`` (the ellipse every way of at most ``bound_m`` between them stays in); how many.
    ``hit`` (a bool per directed edge, all False) is the caller's room to mark the walk in,
    left all False (:func:`routing.marks.edge_marks`; a binary search over the walk's sorted
    edges instead, no array the size of the graph, made the call 2.3 times as long with 3,000
    obstacles active, 2026-12-07); ``out`` the caller's, all False. The ends are tested of the
    obstacles on the walk only, as numpy's ``hypot`` sums them
    (:meth:`api.obstacles.walkers.WalkerObstacles.on_walk`: about 20 numpy calls a route before,
    58 µs with 300 obstacles active)."""
    for k in range(walked.shape[0]):
        hit[walked[k]] = True
    found = 0
    for i in range(candidate.shape[0]):
        if not candidate[i]:
            continue
        on = False
        for k in range(edge_offsets[i], edge_offsets[i + 1]):
            if hit[edges[k]]:
                on = True
                break
        if on and _ends_within(i, end_x, end_y, end_offsets, px, py, bound_m):
            out[i] = True
            found += 1
    for k in range(walked.shape[0]):
        hit[walked[k]] = False
    return found


@kernel
def any_end_within(
    candidate: np.ndarray,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
) -> bool:
    """Whether an end of some ``candidate`` obstacle lies within ``bound_m`` summed from two
    consecutive points ``(px, py)``; stops at the first (the test of every end, made when no
    obstacle's circle lies wholly inside an ellipse: :func:`any_circle_within`)."""
    for i in range(candidate.shape[0]):
        if candidate[i] and _ends_within(i, end_x, end_y, end_offsets, px, py, bound_m):
            return True
    return False


@kernel
def _landmark_gap(lm_dist: np.ndarray, lm_scale: float, x: int, y: int) -> float:
    """The landmark lower bound of a walk's cost between nodes ``x`` and ``y`` (either way; 0
    at the least): :func:`walks_through_cost_more`'s ``lb``."""
    k = lm_dist.shape[1] - 1  # (the last column: tau)
    if k <= 0:
        return 0.0
    best = 0.0
    for j in range(k):
        d = abs(lm_dist[x, j] - lm_dist[y, j])
        if d > best:  # (False for NaN)
            best = d
    return max(0.0, lm_scale * (best - (lm_dist[x, k] + lm_dist[y, k]) / 2.0))


@kernel
def walks_through_cost_more(
    edges: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    way_s: np.ndarray,
    head_s: np.ndarray,
    lm_dist: np.ndarray,
    lm_scale: float,
    starts: np.ndarray,
    stops: np.ndarray,
    limit_s: float,
) -> bool:
    """Whether every walk that leaves one of the nodes ``starts``, walks one of the directed
    ``edges`` whole and reaches one of the nodes ``stops`` costs more than ``limit_s`` by the
    landmark bound: for each edge ``e`` from ``u`` to ``v``, ``lb(a, u) + way_s[e] + head_s[e]
    + lb(v, b)`` at the least over ``a`` in ``starts`` and ``b`` in ``stops`` is above
    ``limit_s`` (strictly; no edges: True). Where ``v`` is one of ``stops`` the walk may end on
    it, and a last piece pays no transition at its head: ``head_s[e]`` is left out there.
    ``lb(x, y)`` is the bound :func:`search` steers by, ``lm_scale * (max_k |lm_dist[x, k] -
    lm_dist[y, k]| - (tau[x] + tau[y]) / 2)`` over the landmark columns (the last column is the
    transition bound ``tau``: :func:`routing.landmarks.compute_landmarks`), and at least 0; it
    bounds a walk from ``x`` to ``y`` whether or not the walk pays the transition at ``y``. A
    landmark that reaches neither node (NaN) is passed over. Stops at the first edge the bound
    does not rule out (:mod:`api.obstacles.reference_bound`)."""
    for i in range(edges.shape[0]):
        e = edges[i]
        u, v = tail[e], head[e]
        to_u = math.inf
        for a in range(starts.shape[0]):
            to_u = min(to_u, _landmark_gap(lm_dist, lm_scale, starts[a], u))
        from_v = math.inf
        along = way_s[e] + head_s[e]
        for b in range(stops.shape[0]):
            from_v = min(from_v, _landmark_gap(lm_dist, lm_scale, v, stops[b]))
            if stops[b] == v:  # it may end here: the head's transition unpaid
                along = way_s[e]
        if not to_u + along + from_v > limit_s:
            return False
    return True


@kernel
def obstacles_met(
    edges: np.ndarray,
    meets: np.ndarray,
    on: np.ndarray,
    met: np.ndarray,
    met_needs: np.ndarray,
    owned: np.ndarray,
    owner: np.ndarray,
    needs: np.ndarray,
    out: np.ndarray,
) -> int:
    """Which obstacles a walk over the directed ``edges`` meets: ``out[owner[r]]`` set for
    every row ``r`` whose edge ``owned[r]`` the walk has a piece on (``on``: a bool per edge,
    whether any row is on it) that meets the row's ``needs`` (bit ``needs[r]`` of
    ``met_needs[meets[k]]`` for the walk's piece ``k``; every piece wholly when ``meets`` is
    empty); how many rows met. ``met`` (a uint8 per edge, all 0) is the caller's room to mark
    what the walk meets of each edge, left all 0 (:func:`routing.marks.edge_marks`; a binary
    search of each row's edge among the few the walk meets instead took 3.7 times as long with
    3,000 obstacles active: every row is read, and rows are many), ``out`` (a bool per
    obstacle, all False) its answer
    (:meth:`routing.obstacles.overlay.ObstacleOverlay.obstacles_on`)."""
    whole = met_needs[met_needs.shape[0] - 1]
    any_on = False
    for k in range(edges.shape[0]):
        e = edges[k]
        if on[e]:
            bits = whole if meets.shape[0] == 0 else met_needs[meets[k] & (met_needs.shape[0] - 1)]
            met[e] |= bits
            any_on = True
    if not any_on:
        return 0
    found = 0
    for r in range(owned.shape[0]):
        bits = met[owned[r]]
        if bits != 0 and (bits >> needs[r]) & 1:
            out[owner[r]] = True
            found += 1
    for k in range(edges.shape[0]):
        met[edges[k]] = 0
    return found


@kernel
def snap_nearest(
    px: float,
    py: float,
    grid_x0: float,
    grid_y0: float,
    cell_m: float,
    grid_w: int,
    grid_h: int,
    cell_first: np.ndarray,
    cell_segments: np.ndarray,
    seg_x0: np.ndarray,
    seg_y0: np.ndarray,
    seg_x1: np.ndarray,
    seg_y1: np.ndarray,
    seg_edge: np.ndarray,
    edge_penalty_m: np.ndarray,
    max_dist_m: float,
    violations: np.ndarray,
    at_head: np.ndarray,
    reverse_edge: np.ndarray,
    end_rule: int,
) -> tuple[int, float, float]:
    """Best point on a segment within ``max_dist_m`` of ``(px, py)`` (metres).

    "Best" is the least distance plus ``edge_penalty_m`` of the segment's edge (a preference:
    0 for a preferred edge, more metres for a less preferred one, ``inf`` for one that must not
    be snapped to). Only the true distance counts against ``max_dist_m``. With ``end_rule``
    :data:`END_AT_ORIGIN` or :data:`END_AT_TARGET`, edges where a walk cannot start or end
    without breaking a limit (:func:`usable_end`, on the profile's ``violations`` and
    ``at_head`` bits and the edges' ``reverse_edge``) count as ``inf``; with :data:`END_ANY`
    those three arrays are not read.

    Segments are bucketed in a uniform grid (``cell_first``/``cell_segments`` CSR by cell id
    ``cy * grid_w + cx``); rings of cells are scanned outwards until no better segment can exist
    (the penalty is never negative, so a segment at least ``lower`` away ranks at least
    ``lower``). Returns ``(segment, t in [0, 1] along it, distance)`` or ``(-1, 0, inf)``.
    """
    cx = int(np.floor((px - grid_x0) / cell_m))
    cy = int(np.floor((py - grid_y0) / cell_m))
    best_seg = -1
    best_t = 0.0
    best_d = np.inf
    best_rank = np.inf
    max_d2 = max_dist_m * max_dist_m
    max_ring = int(np.ceil(max_dist_m / cell_m)) + 1
    for ring in range(max_ring + 1):
        # a segment in ring r is at least (r - 1) * cell_m away
        lower = (ring - 1) * cell_m
        if lower > 0 and lower > best_rank:
            break
        for gy in range(cy - ring, cy + ring + 1):
            if gy < 0 or gy >= grid_h:
                continue
            on_edge_row = gy == cy - ring or gy == cy + ring
            step = 1 if on_edge_row else 2 * ring
            gx = cx - ring
            while gx <= cx + ring:
                if 0 <= gx < grid_w:
                    cell = gy * grid_w + gx
                    for k in range(cell_first[cell], cell_first[cell + 1]):
                        s = cell_segments[k]
                        e = seg_edge[s]
                        pen = edge_penalty_m[e]
                        if not pen < np.inf:
                            continue
                        if end_rule != END_ANY and not usable_end(
                            e, violations, at_head, reverse_edge, end_rule == END_AT_ORIGIN
                        ):
                            continue
                        dx = seg_x1[s] - seg_x0[s]
                        dy = seg_y1[s] - seg_y0[s]
                        ll = dx * dx + dy * dy
                        t = 0.0
                        if ll > 0.0:
                            t = ((px - seg_x0[s]) * dx + (py - seg_y0[s]) * dy) / ll
                            t = min(1.0, max(0.0, t))
                        qx = seg_x0[s] + t * dx - px
                        qy = seg_y0[s] + t * dy - py
                        d2 = qx * qx + qy * qy
                        if d2 > max_d2:
                            continue
                        d = np.sqrt(d2)
                        if d + pen < best_rank:
                            best_rank = d + pen
                            best_d = d
                            best_seg = s
                            best_t = t
                if ring == 0:
                    break
                gx += step
    if best_seg < 0:
        return -1, 0.0, np.inf
    return best_seg, best_t, best_d


# --------------------------------------------------------------------------- route reports

#: Mean earth radius (metres), as :data:`graphs.geodesy.EARTH_RADIUS_M` (no import: kernels
#: stay free of the layers above numpy).
_EARTH_RADIUS_M = 6_371_008.8


@kernel
def _great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`graphs.geodesy.great_circle_m`, the same operations in the same order."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2.0 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@kernel
def _flat_bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`graphs.geodesy.flat_bearing_deg`, the same operations in the same order."""
    dx = (lon2 - lon1) * math.cos(math.radians(lat1))
    dy = lat2 - lat1
    return math.degrees(math.atan2(dx, dy)) % 360.0


@kernel
def _point_along(
    lon: np.ndarray, lat: np.ndarray, i: int, step: int, base_m: float
) -> tuple[float, float]:
    """The point ``base_m`` from point ``i`` along the polyline (``step`` ±1), interpolated on
    the piece it falls in (great-circle metres, then linear in degrees), or the line's end
    when it is shorter. Point ``i`` itself when that side has no length."""
    n = len(lon)
    walked = 0.0
    j = i
    while 0 <= j + step < n:
        k = j + step
        d = _great_circle_m(lon[j], lat[j], lon[k], lat[k])
        if d > 0.0 and walked + d >= base_m:
            t = (base_m - walked) / d
            return lon[j] + t * (lon[k] - lon[j]), lat[j] + t * (lat[k] - lat[j])
        walked += d
        j = k
    return lon[j], lat[j]


@kernel
def turn_deltas(
    lon: np.ndarray, lat: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    out: np.ndarray,
) -> None:  # fmt: skip
    """For each polyline point ``at[q]``: the change of bearing (degrees, not normalised) between
    the way in and the way out, the one taken over ``back_m[q]`` of the line before the point
    (to the point that far back, :func:`_point_along`), the other over ``ahead_m[q]`` after it;
    NaN where either side has no length (a route's end, or points in one place).

    The instructions' turns: one call per route instead of a Python walk per junction."""
    for q in range(len(at)):
        i = at[q]
        ax, ay = _point_along(lon, lat, i, -1, back_m[q])
        cx, cy = _point_along(lon, lat, i, 1, ahead_m[q])
        if (ax == lon[i] and ay == lat[i]) or (cx == lon[i] and cy == lat[i]):
            out[q] = np.nan
            continue
        out[q] = _flat_bearing_deg(lon[i], lat[i], cx, cy) - _flat_bearing_deg(
            ax, ay, lon[i], lat[i]
        )


@kernel
def polyline_capacity(geom_first: np.ndarray, edges: np.ndarray) -> int:
    """Points of the edges' polylines together: room enough for :func:`route_polyline_fill`."""
    total = 0
    for e in edges:
        total += geom_first[e + 1] - geom_first[e]
    return total


@kernel
def _cut_into(
    lon: np.ndarray, lat: np.ndarray, a: int, b: int, start: float, end: float,
    out: np.ndarray, pos: int,
) -> int:  # fmt: skip
    """Write the part of polyline points ``a .. b-1`` between fractions ``start`` and ``end`` of
    its great-circle length into ``out`` from row ``pos`` (:func:`routing.geometry.cut_polyline`,
    the same operations in the same order); returns the next free row."""
    if start <= 0.0 and end >= 1.0:
        for p in range(a, b):
            out[pos, 0], out[pos, 1] = lon[p], lat[p]
            pos += 1
        return pos
    total = 0.0
    for p in range(a, b - 1):
        total += _great_circle_m(lon[p], lat[p], lon[p + 1], lat[p + 1])
    if total <= 0.0:
        out[pos, 0], out[pos, 1] = lon[a], lat[a]
        out[pos + 1, 0], out[pos + 1, 1] = lon[b - 1], lat[b - 1]
        return pos + 2
    lo, hi = start * total, end * total
    begin = pos
    walked = 0.0
    for p in range(a, b - 1):
        length = _great_circle_m(lon[p], lat[p], lon[p + 1], lat[p + 1])
        nxt = walked + length
        if pos == begin and lo <= nxt:
            t = (lo - walked) / length if length > 0 else 0.0
            out[pos, 0] = lon[p] + t * (lon[p + 1] - lon[p])
            out[pos, 1] = lat[p] + t * (lat[p + 1] - lat[p])
            pos += 1
        if pos > begin and hi <= nxt:
            t = (hi - walked) / length if length > 0 else 0.0
            out[pos, 0] = lon[p] + t * (lon[p + 1] - lon[p])
            out[pos, 1] = lat[p] + t * (lat[p + 1] - lat[p])
            pos += 1
            break
        if pos > begin:
            out[pos, 0], out[pos, 1] = lon[p + 1], lat[p + 1]
            pos += 1
        walked = nxt
    if pos == begin:
        out[pos, 0], out[pos, 1] = lon[a], lat[a]
        out[pos + 1, 0], out[pos + 1, 1] = lon[b - 1], lat[b - 1]
        pos += 2
    elif pos == begin + 1:
        out[pos, 0], out[pos, 1] = out[begin, 0], out[begin, 1]
        pos += 1
    return pos


@kernel
def route_polyline_fill(
    geom_first: np.ndarray, lon: np.ndarray, lat: np.ndarray, edges: np.ndarray,
    start: float, end: float, out: np.ndarray, first_pt: np.ndarray, last_pt: np.ndarray,
) -> int:  # fmt: skip
    """The polyline of a walk over ``edges`` from fraction ``start`` of the first to ``end`` of
    the last, into ``out`` (``(polyline_capacity, 2)`` rows of lon, lat); per piece the row of
    its first and last point into ``first_pt``/``last_pt``. Consecutive pieces share their
    junction point, kept once; only the first and the last piece are cut. Returns the rows
    written (:func:`routing.geometry.route_polyline`)."""
    k = len(edges)
    e = edges[0]
    pos = _cut_into(
        lon, lat, geom_first[e], geom_first[e + 1], start, end if k == 1 else 1.0, out, 0
    )
    first_pt[0], last_pt[0] = 0, pos - 1
    if k == 1:
        return pos
    for i in range(1, k - 1):
        e = edges[i]
        for p in range(geom_first[e] + 1, geom_first[e + 1]):
            out[pos, 0], out[pos, 1] = lon[p], lat[p]
            pos += 1
        first_pt[i], last_pt[i] = last_pt[i - 1], pos - 1
    e = edges[k - 1]
    mark = pos
    pos = _cut_into(lon, lat, geom_first[e], geom_first[e + 1], 0.0, end, out, pos)
    for p in range(mark + 1, pos):  # without its first point (the junction)
        out[p - 1, 0], out[p - 1, 1] = out[p, 0], out[p, 1]
    pos -= 1
    first_pt[k - 1], last_pt[k - 1] = last_pt[k - 2], pos - 1
    return pos


#: Bits of :func:`report_piece_flags`: what a route report lists on a piece (in the order the
#: report lists the kinds), and facts of the piece it reads again.
FLAG_STEEP = 1 << 0
FLAG_STEPS = 1 << 1
FLAG_SURFACE = 1 << 2
FLAG_NARROW = 1 << 3
FLAG_CROSSING = 1 << 4
FLAG_ELEVATOR = 1 << 5
FLAG_KERB = 1 << 6
FLAG_BARRIER = 1 << 7
FLAG_WALKED = 1 << 8  # some of the edge is walked (end > start)
FLAG_HAS_LENGTH = 1 << 9  # the walked part has a length
FLAG_KNOWN_INCLINE = 1 << 10  # a known incline along a walked length (no flight of steps)
FLAG_UNEVEN = 1 << 11  # a walked length whose smoothness is listed (poor, or past the limit)

#: Columns :func:`report_piece_flags` reads, by their position in its ``cols`` argument.
PIECE_COLUMNS = (
    "length_m", "incline_percent", "is_steps", "surface", "passage_width_m", "crossing",
    "is_elevator", "kerb_count", "barrier", "crossing_at_head", "smoothness",
)  # fmt: skip


@kernel
def report_piece_flags(
    block: np.ndarray, cols: np.ndarray, start: float, end: float, steep_limit: float,
    narrow_limit: float, reported_surface: np.ndarray, reported_crossing: np.ndarray,
    reported_smoothness: np.ndarray, barrier_none: float, lengths: np.ndarray, at: np.ndarray,
    flags: np.ndarray,
) -> None:  # fmt: skip
    """Per piece of a route (rows of ``block``, the report table gathered for its edges; ``cols``
    the positions of :data:`PIECE_COLUMNS` in it): the length walked, where it starts (metres
    from the route's start, a running sum) and the ``FLAG_*`` bits of what the report lists
    there. The walk starts at fraction ``start`` of the first piece and ends at ``end`` of the
    last; ``reported_surface``, ``reported_crossing`` (the kinds listed; not NONE) and
    ``reported_smoothness`` (the grades listed: a piece of one is a surface to list, uneven)
    are indexed by code + 1. One pass instead of a numpy
    expression per kind (:func:`routing.report.build_route` reads the bits)."""
    k = block.shape[0]
    c_len, c_incl, c_steps, c_surf = cols[0], cols[1], cols[2], cols[3]
    c_width, c_cross, c_elev, c_kerb, c_barrier = cols[4], cols[5], cols[6], cols[7], cols[8]
    c_cross_head, c_smooth = cols[9], cols[10]
    walked_m = 0.0
    for i in range(k):
        s = start if i == 0 else 0.0
        e = end if i == k - 1 else 1.0
        length = (e - s) * block[i, c_len]
        lengths[i] = length
        at[i] = walked_m
        walked_m += length
        bits = 0
        has_length = length > 0
        walked = e > s
        not_last = i < k - 1
        steps = block[i, c_steps] > 0
        incline = block[i, c_incl]
        if walked:
            bits |= FLAG_WALKED
        if has_length:
            bits |= FLAG_HAS_LENGTH
        if has_length and np.isfinite(incline) and not steps:
            bits |= FLAG_KNOWN_INCLINE
            if abs(incline) >= steep_limit:
                bits |= FLAG_STEEP
        if steps and walked:
            bits |= FLAG_STEPS
        if has_length and reported_smoothness[np.int64(block[i, c_smooth]) + 1]:
            bits |= FLAG_SURFACE | FLAG_UNEVEN
        if has_length and reported_surface[np.int64(block[i, c_surf]) + 1]:
            bits |= FLAG_SURFACE
        width = block[i, c_width]
        if has_length and np.isfinite(width) and width < narrow_limit:
            bits |= FLAG_NARROW
        if reported_crossing[np.int64(block[i, c_cross]) + 1] and walked:
            if block[i, c_cross_head] > 0:  # at the head: met going on through it
                if not_last:
                    bits |= FLAG_CROSSING
            elif e >= 1.0 or s == 0.0:  # along the edge: walked from its start or to its end
                bits |= FLAG_CROSSING
        if block[i, c_elev] > 0 and (not_last or e >= 1.0):  # its head (or way) reached
            bits |= FLAG_ELEVATOR
        if not_last and np.int64(block[i, c_kerb]) > 0:
            bits |= FLAG_KERB
        if not_last and block[i, c_barrier] != barrier_none:
            bits |= FLAG_BARRIER
        flags[i] = bits


#: The report table's columns :func:`barrier_rows` reads, in this order.
BARRIER_COLUMNS = (
    "incline_percent", "incline_source", "step_count", "handrail", "ramp_wheelchair", "surface",
    "passage_width_m", "crossing", "acoustic_signal", "vibration_signal", "tactile_paving",
    "kerb_height_cm", "kerb_count", "barrier", "crossing_at_head", "crossing_island",
    "smoothness",
)  # fmt: skip
#: The codes of the kinds of barrier :func:`barrier_rows` lists, in the order a report lists
#: them at one place.
(
    BARRIER_STEEP, BARRIER_STEPS, BARRIER_SURFACE, BARRIER_NARROW, BARRIER_CROSSING,
    BARRIER_ELEVATOR, BARRIER_KERB, BARRIER_BARRIER,
) = range(8)  # fmt: skip
#: Each kind's :func:`report_piece_flags` bit, by its code.
BARRIER_FLAGS = (
    FLAG_STEEP, FLAG_STEPS, FLAG_SURFACE, FLAG_NARROW, FLAG_CROSSING, FLAG_ELEVATOR, FLAG_KERB,
    FLAG_BARRIER,
)  # fmt: skip
#: Columns of :func:`barrier_rows`' ``out``: kind code, piece, point of the polyline, metres
#: from the start (Python's ``round`` to tenths), then up to four details of the kind.
BARRIER_ROW = 9


@kernel
def barrier_rows(
    flags: np.ndarray, at: np.ndarray, lengths: np.ndarray, first_pt: np.ndarray,
    last_pt: np.ndarray, block: np.ndarray, cols: np.ndarray, start: float, end: float,
    out: np.ndarray,
) -> int:  # fmt: skip
    """The barriers a route's pieces show (their :func:`report_piece_flags` ``flags``), one row
    of ``out`` each, sorted by place as :func:`routing.report.build_route` lists them (stable:
    at one place in :data:`BARRIER_FLAGS` order, then by piece). ``block``: the route's report
    table rows, ``cols`` the positions of :data:`BARRIER_COLUMNS` in it; ``at``, ``lengths``:
    where each piece starts and the metres walked on it; ``first_pt``, ``last_pt``: each
    piece's first and last point in the polyline.

    A row: the kind's code (``BARRIER_*``), the piece, the polyline
    point it is placed at (a steep part, steps, a surface, a narrow passage and a crossing
    along the edge at the piece's first point; an elevator, a kerb, a barrier and a crossing
    at the edge's head node — ``crossing_at_head`` — at its last), where it
    is (metres, rounded to tenths as Python's ``round``), and the details, rounded as
    ``np.round`` (``rint(x·10^d) / 10^d``) where the report rounds them: steep — incline
    (0.1), length (0.1), source code; steps — the count walked (``max(1, rint(count ·
    fraction walked))``, -1 when unknown or 0), handrail and ramp codes; surface — its code,
    length (0.1), the smoothness code where the piece is uneven (``FLAG_UNEVEN``, else NaN);
    narrow — width (0.01); crossing — crossing, acoustic, vibration, tactile
    and island codes; kerb — height (0.1, NaN unknown), count; barrier — its code. ``out`` holds at least
    ``8 × pieces`` rows. Returns the number of rows, or :data:`NEEDS_ROUNDING` when a place
    lies near a half of a tenth (Python's ``round`` decides it)."""
    k = flags.size
    c_incl, c_src, c_steps, c_rail, c_ramp = cols[0], cols[1], cols[2], cols[3], cols[4]
    c_surf, c_width, c_cross, c_acou, c_vib = cols[5], cols[6], cols[7], cols[8], cols[9]
    c_tact, c_kh, c_kc, c_bar, c_chead = cols[10], cols[11], cols[12], cols[13], cols[14]
    c_isl, c_smooth = cols[15], cols[16]
    n = 0
    for kind in range(len(BARRIER_FLAGS)):
        bit = BARRIER_FLAGS[kind]
        for i in range(k):
            if not flags[i] & bit:
                continue
            row = out[n]
            a = b = c = d = isl = np.nan
            head_crossing = kind == BARRIER_CROSSING and block[i, c_chead] > 0
            if kind <= BARRIER_CROSSING and not head_crossing:
                # steep, steps, surface, narrow, a crossing way: its start
                place, where_m = first_pt[i], at[i]
            else:  # elevator, kerb, barrier, a crossing node or junction: at its head
                place, where_m = last_pt[i], at[i] + lengths[i]
            if kind == BARRIER_STEEP:
                a = np.rint(block[i, c_incl] * 10.0) / 10.0
                b = np.rint(lengths[i] * 10.0) / 10.0
                c = block[i, c_src]
            elif kind == BARRIER_STEPS:
                total = block[i, c_steps]
                count = np.int64(total) if np.isfinite(total) else -1
                s = start if i == 0 else 0.0
                e = end if i == k - 1 else 1.0
                a = max(1.0, np.rint(count * (e - s))) if count > 0 else -1.0
                b, c = block[i, c_rail], block[i, c_ramp]
            elif kind == BARRIER_SURFACE:
                a = block[i, c_surf]
                b = np.rint(lengths[i] * 10.0) / 10.0
                if flags[i] & FLAG_UNEVEN:
                    c = block[i, c_smooth]
            elif kind == BARRIER_NARROW:
                a = np.rint(block[i, c_width] * 100.0) / 100.0
            elif kind == BARRIER_CROSSING:
                a, b = block[i, c_cross], block[i, c_acou]
                c, d, isl = block[i, c_vib], block[i, c_tact], block[i, c_isl]
            elif kind == BARRIER_KERB:
                a = np.rint(block[i, c_kh] * 10.0) / 10.0
                b = block[i, c_kc]
            elif kind == BARRIER_BARRIER:
                a = block[i, c_bar]
            rounded, close = _round_fast(where_m, 10.0)
            if close:
                return NEEDS_ROUNDING
            row[0], row[1], row[2], row[3] = kind, i, place, rounded
            row[4], row[5], row[6], row[7], row[8] = a, b, c, d, isl
            n += 1
    # stable insertion sort by place (a route lists a few)
    held = np.empty(BARRIER_ROW)
    for j in range(1, n):
        key = out[j, 3]
        if out[j - 1, 3] <= key:
            continue
        held[:] = out[j]
        m = j
        while m > 0 and out[m - 1, 3] > key:
            out[m] = out[m - 1]
            m -= 1
        out[m] = held
    return n


#: Positions in the ``rule`` argument of the verdict kernels: bits of the rule, then the
#: profile's (see :func:`routing.report.verdict_masks`).
(
    RULE_UNKNOWN_FORBIDDEN, RULE_CLOSED, RULE_INCLINE, RULE_POINT_UNKNOWNS, RULE_STEP_COUNT,
    RULE_INCLINE_UNKNOWN, RULE_FORBIDDEN, RULE_LIMITED, RULE_CAN_BREAK, RULE_MAX_INCLINE,
    RULE_HANDRAIL, RULE_SIZE,
) = range(12)  # fmt: skip
#: Positions in the ``codes`` argument: the two estimated incline sources, Tri.UNKNOWN.
CODE_ESTIMATED_1, CODE_ESTIMATED_2, CODE_TRI_UNKNOWN = range(3)
#: Columns the verdict kernels read, by their position in their ``cols`` argument.
VERDICT_COLUMNS = ("length_m", "incline_source", "incline_percent", "is_steps", "handrail")

#: Bits of :func:`route_verdict`'s ``piece_bits`` (facts the report lists the reliances from).
PIECE_ALONG = 1 << 0  # walked, with a length walked
PIECE_ESTIMATED_INCLINE = 1 << 1  # the incline is estimated (elevation model, direction tag)
PIECE_HELD = 1 << 2  # along, no steps, an estimated incline with a value
PIECE_NO_RAIL = 1 << 3  # walked flight of steps of unknown handrail


@kernel
def _verdict_mask(
    v: int | np.int64, h: int | np.int64, u: int | np.int64, row: np.ndarray, cols: np.ndarray, closed_edge: bool,
    closed_head: bool, closed_tail: bool, rule: np.ndarray, codes: np.ndarray,
) -> int:  # fmt: skip
    """THE verdict rule of one edge (:func:`routing.report.verdict_masks`, one edge)."""
    full = 0xFFFFFFFF
    has_length = row[cols[0]] > 0
    src = row[cols[1]]
    estimated = src == codes[CODE_ESTIMATED_1] or src == codes[CODE_ESTIMATED_2]
    known_incline = np.isfinite(row[cols[2]])
    steps = row[cols[3]] > 0
    closure = (v & rule[RULE_CLOSED]) != 0
    point_unknowns = rule[RULE_POINT_UNKNOWNS]
    step_count = rule[RULE_STEP_COUNT]
    along = v & ~h & (~(rule[RULE_UNKNOWN_FORBIDDEN] | rule[RULE_CLOSED]) & full)
    if rule[RULE_CAN_BREAK] == 0 and estimated:
        along &= ~rule[RULE_INCLINE] & full
    forbidden = u & rule[RULE_FORBIDDEN]
    breaks_along = (
        along != 0
        or (forbidden & step_count) != 0
        or ((forbidden & (~point_unknowns & full)) != 0 and has_length)
        or (closed_edge and closure)
    )
    breaks_head = (h & (~rule[RULE_UNKNOWN_FORBIDDEN] & full)) != 0 or (
        forbidden & point_unknowns
    ) != 0
    relied = u & rule[RULE_LIMITED]
    relied_along = relied & (~(point_unknowns | step_count) & full)
    if known_incline:
        relied_along &= ~rule[RULE_INCLINE_UNKNOWN] & full
    relies_along = (relied_along != 0 and has_length) or (relied & step_count) != 0
    if rule[RULE_MAX_INCLINE] != 0:
        held = has_length and not steps and known_incline and estimated
        relies_along = relies_along or (held and (along & rule[RULE_INCLINE]) == 0)
    if rule[RULE_HANDRAIL] != 0:
        relies_along = relies_along or (steps and row[cols[4]] == codes[CODE_TRI_UNKNOWN])
    relies_head = (relied & point_unknowns) != 0
    mask = 0
    if breaks_along:
        mask |= 1
    if relies_along:
        mask |= 2
    if breaks_head:
        mask |= 4
    if relies_head:
        mask |= 8
    if closed_head and closure:
        mask |= 16
    if closed_tail and closure:
        mask |= 32
    return mask


@kernel
def verdict_masks_fill(
    violations: np.ndarray, at_head: np.ndarray, unknowns: np.ndarray, block: np.ndarray,
    cols: np.ndarray, closed_edge: np.ndarray, closed_head: np.ndarray,
    closed_tail: np.ndarray, rule: np.ndarray, codes: np.ndarray, out: np.ndarray,
) -> None:  # fmt: skip
    """The verdict mask of every edge (row of ``block``) into ``out`` (uint8)."""
    for e in range(len(out)):
        out[e] = _verdict_mask(
            np.int64(violations[e]), np.int64(at_head[e]), np.int64(unknowns[e]), block[e],
            cols, closed_edge[e] != 0, closed_head[e] != 0, closed_tail[e] != 0, rule, codes,
        )  # fmt: skip


@kernel
def route_verdict(
    edges: np.ndarray, violations: np.ndarray, at_head: np.ndarray, unknowns: np.ndarray,
    rows: np.ndarray, cols: np.ndarray, edge_closed: np.ndarray, node_closed: np.ndarray,
    head: np.ndarray, tail: np.ndarray, lengths: np.ndarray, start: float, end: float,
    rule: np.ndarray, codes: np.ndarray, met: np.ndarray, u_met: np.ndarray,
    piece_bits: np.ndarray,
) -> int:  # fmt: skip
    """The verdict facts of a route over ``edges`` (``BREAKS | RELIES`` bits, OR'ed over its
    pieces: :func:`routing.report.piece_verdict` of each piece's verdict mask) and, per piece,
    what it meets: ``met`` the violation bits (along where walked, at the head where the walk
    goes on; a closure only where the walk passes it), ``u_met`` the unknown bits (along where
    some length is walked, a step count where walked, point facts at the head) and the
    ``PIECE_*`` bits. The walk starts at fraction ``start`` of the first piece (on its tail
    node when 0) and ends at ``end`` of the last; ``lengths`` are the lengths walked. The
    full-graph arrays are read at ``edges`` (no gathers)."""
    k = len(edges)
    facts = 0
    unknown_forbidden = rule[RULE_UNKNOWN_FORBIDDEN]
    closed_bit = rule[RULE_CLOSED]
    point_unknowns = rule[RULE_POINT_UNKNOWNS]
    step_count = rule[RULE_STEP_COUNT]
    for i in range(k):
        e = edges[i]
        s = start if i == 0 else 0.0
        t = end if i == k - 1 else 1.0
        walked = t > s
        through = i < k - 1
        from_tail = i == 0 and start == 0.0
        along = walked and lengths[i] > 0
        v, h, u = np.int64(violations[e]), np.int64(at_head[e]), np.int64(unknowns[e])
        ce, ch, ct = edge_closed[e] != 0, node_closed[head[e]] != 0, node_closed[tail[e]] != 0
        row = rows[e]
        m = _verdict_mask(v, h, u, row, cols, ce, ch, ct, rule, codes)
        if walked:
            facts |= m & 3
        if through:
            facts |= (m >> 2) & 3
        if walked and through:
            facts |= (m >> 4) & 1
        if walked and from_tail:
            facts |= (m >> 5) & 1
        vbits = v & ~unknown_forbidden
        bits = 0
        if walked:
            bits |= vbits & ~h
        if through:
            bits |= vbits & h
        closed = walked and (ce or (ch and through) or (ct and from_tail))
        if not closed:
            bits &= ~closed_bit
        met[i] = bits
        ubits = 0
        if along:
            ubits |= u & ~point_unknowns
        if walked:
            ubits |= u & step_count
        if through:
            ubits |= u & point_unknowns
        u_met[i] = ubits
        src = row[cols[1]]
        estimated = src == codes[CODE_ESTIMATED_1] or src == codes[CODE_ESTIMATED_2]
        steps = row[cols[3]] > 0
        pb = 0
        if along:
            pb |= PIECE_ALONG
        if estimated:
            pb |= PIECE_ESTIMATED_INCLINE
        if along and not steps and np.isfinite(row[cols[2]]) and estimated:
            pb |= PIECE_HELD
        if walked and steps and row[cols[4]] == codes[CODE_TRI_UNKNOWN]:
            pb |= PIECE_NO_RAIL
        piece_bits[i] = pb
    return facts


#: Columns :func:`segment_runs` reads, by their position in its ``cols`` argument.
SEGMENT_COLUMNS = ("name_id", "is_sidewalk", "highway")


#: The columns of a row of :func:`segment_runs` (one run of a route's pieces): its first piece,
#: that piece's edge, name id (-1 none), highway code, sidewalk (0/1), OSM way, the first point
#: of its first piece and the last point of its last piece; :data:`RUN_COLUMNS` in all.
RUN_PIECE, RUN_EDGE, RUN_NAME, RUN_HIGHWAY, RUN_SIDEWALK, RUN_WAY = 0, 1, 2, 3, 4, 5
RUN_FIRST_POINT, RUN_LAST_POINT, RUN_COLUMNS = 6, 7, 8


@kernel
def segment_runs(
    block: np.ndarray, cols: np.ndarray, edges: np.ndarray, way_id: np.ndarray,
    first_pt: np.ndarray, last_pt: np.ndarray, runs: np.ndarray,
) -> int:  # fmt: skip
    """Split a route's pieces (rows of ``block``, the report table gathered for ``edges``;
    ``cols`` the positions of :data:`SEGMENT_COLUMNS`) into runs along one named street and of
    one kind of way (unnamed pieces stay separate). Per run, a row of ``runs`` (the ``RUN_*``
    columns). Returns the number of runs
    (:func:`routing.report._segments`)."""
    k = block.shape[0]
    c_name, c_side, c_kind = cols[0], cols[1], cols[2]
    n = 0
    for i in range(k):
        name = np.int64(block[i, c_name])
        side = block[i, c_side] > 0
        kind = np.int64(block[i, c_kind])
        if i > 0:
            same = (
                name == np.int64(block[i - 1, c_name])
                and side == (block[i - 1, c_side] > 0)
                and kind == np.int64(block[i - 1, c_kind])
                and name >= 0
            )
            if same:
                runs[n - 1, RUN_LAST_POINT] = last_pt[i]
                continue
        runs[n, RUN_PIECE] = i
        runs[n, RUN_EDGE] = edges[i]
        runs[n, RUN_NAME] = name
        runs[n, RUN_HIGHWAY] = kind
        runs[n, RUN_SIDEWALK] = 1 if side else 0
        runs[n, RUN_WAY] = way_id[edges[i]]
        runs[n, RUN_FIRST_POINT] = first_pt[i]
        runs[n, RUN_LAST_POINT] = last_pt[i]
        n += 1
    return n


# --------------------------------------------------------------------------- rest-constrained search

#: ``best_label`` of :func:`rest_search` when its label pool is full (grow it and run again).
POOL_FULL = -3
#: :func:`rest_step` when walking a stretch would break the limit.
INFEASIBLE = -1.0

#: ``(length_m, seat_first_m, seat_last_m, seat_max_gap_m)`` per directed edge (NaN = no seat).
Seats = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: ``(nodes, costs, walked_m)``: the starts of a rest search and the metres walked since the
#: last rest on arriving there (the source piece).
RestSources = tuple[np.ndarray, np.ndarray, np.ndarray]
#: ``(nodes, costs, length_m, first_m, last_m, max_gap_m)``: the exits of a rest search and the
#: seats on each exit piece (offsets from its tail node, NaN = none).
RestTargets = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: ``(node, cost, walked_m, pred, edge, next, dead, heap_key, heap_label)``: the label pool.
LabelPool = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
    np.ndarray, np.ndarray,
]  # fmt: skip


@kernel
def rest_step(
    walked_m: float, length_m: float, first_m: float, last_m: float, max_gap_m: float,
    limit_m: float,
) -> float:  # fmt: skip
    """Metres walked since the last rest after a stretch of ``length_m`` whose seats lie at
    ``first_m`` … ``last_m`` from its start (NaN: no seat; ``max_gap_m`` the longest stretch
    between two of them), having walked ``walked_m`` since the last rest before it; or
    :data:`INFEASIBLE` when some stretch without a seat on the way would exceed ``limit_m``.

    No seat: ``walked + length`` must stay within the limit. Seats: the stretch to the first
    (``walked + first``), those between seats (``max_gap``) and the one after the last
    (``length - last``, what is carried on) must each stay within it. A rest is taken at every
    seat passed (resting never costs here: the profile's time does not change with it).
    """
    if first_m != first_m:  # NaN: no seat on the stretch
        d = walked_m + length_m
        return d if d <= limit_m else INFEASIBLE
    if walked_m + first_m > limit_m or max_gap_m > limit_m:
        return INFEASIBLE
    d = length_m - last_m
    if d < 0.0:
        d = 0.0
    return d if d <= limit_m else INFEASIBLE


@kernel
def rest_search(
    graph: Graph,
    seats: Seats,
    limit_m: float,
    sources: RestSources,
    targets: RestTargets,
    bound: Bound,
    pool: LabelPool,
    node_first: np.ndarray,
    node_stamp: np.ndarray,
    gen: int,
    max_settled: int = NO_BUDGET,
    max_cost: float = np.inf,
) -> tuple[float, int, int, int, int]:
    """Least-cost walk from the sources to an exit on which no stretch without a seat is longer
    than ``limit_m``, costing less than ``max_cost``: a resource-constrained shortest path,
    exact.

    Label-setting A* over states (node, metres walked since the last rest): a label is one
    walk to a node, kept only while no other label at that node is at most as costly *and* at
    most as far from its last rest (Pareto dominance; of two equal labels the first stays).
    Labels are settled in order of cost + ``bound`` (the consistent heuristic of :func:`search`,
    the same metric); the walk rule per edge is :func:`rest_step`. Because the heuristic is
    consistent and every label reaches its exits only through costs >= its key, the search stops
    exactly at the first key ``>= best``. A walk may revisit a node (a detour to a seat and
    back): its labels differ in the distance walked, so nothing excludes it.

    Parameters
    ----------
    graph, bound
        As for :func:`search` (``cost`` ``inf`` = unusable).
    seats
        ``(length_m, seat_first_m, seat_last_m, seat_max_gap_m)`` per edge.
    sources
        ``(nodes, costs, walked_m)``: a start at ``nodes[i]`` with cost ``costs[i]``
        (``inf`` = none) having walked ``walked_m[i]`` since the last rest.
    targets
        ``(nodes, costs, length_m, first_m, last_m, max_gap_m)``: exit ``i`` leaves
        ``nodes[i]`` at extra cost ``costs[i]`` over a piece with these seats; it is usable from
        a label when :func:`rest_step` over the piece is feasible.
    pool
        Caller-allocated labels ``(node, cost, walked_m, pred, edge, next, dead, heap_key,
        heap_label)``, all of one capacity; ``edge`` of a start label is ``-1 - source index``.
    node_first, node_stamp
        Per node the head of its label list, valid where ``node_stamp == gen``.
    max_settled
        Settle budget in labels (:data:`NO_BUDGET`: none).
    max_cost
        Only walks cheaper than this count (``inf``: any): the search stops at the first key
        ``>= max_cost`` as at one ``>= best``, so a walk that would cost more is not searched
        for (one that breaks more of the profile's limits than its plain route,
        :func:`routing.engine.seat_cost_ceiling`).

    Returns ``(best cost, best label, best exit, settled labels, labels used)``; best label is
    ``-1`` when no exit is reachable within the limit below ``max_cost`` (best cost ``inf``),
    :data:`BUDGET_EXHAUSTED` when the budget stopped the search and :data:`POOL_FULL` when the
    pool ran out (grow it, run again).
    """
    first_out, head, cost = graph
    length, s_first, s_last, s_gap = seats
    source_nodes, source_costs, source_walked = sources
    t_nodes, t_costs, t_len, t_first, t_last, t_gap = targets
    lab_node, lab_cost, lab_d, lab_pred, lab_edge, lab_next, lab_dead, heap_key, heap_lab = pool
    capacity = lab_node.shape[0]
    bounded = bound[4] != 0.0 or bound[5].shape[1] != 0
    size = 0
    used = 0
    for i in range(source_nodes.shape[0]):
        c = source_costs[i]
        d = source_walked[i]
        if not np.isfinite(c) or not d <= limit_m:
            continue
        s = source_nodes[i]
        if node_stamp[s] != gen:
            node_stamp[s] = gen
            node_first[s] = -1
        if _rest_dominated(s, c, d, node_first, lab_cost, lab_d, lab_next, lab_dead):
            continue
        if used == capacity:
            return np.inf, POOL_FULL, -1, 0, used
        lab_node[used], lab_cost[used], lab_d[used] = s, c, d
        lab_pred[used], lab_edge[used], lab_dead[used] = -1, -1 - i, 0
        lab_next[used] = node_first[s]
        node_first[s] = used
        h = _bound(s, bound, t_costs) if bounded else 0.0
        size = _heap_push(heap_key, heap_lab, size, c + h, used)
        used += 1
    best = max_cost
    best_label = -1
    best_exit = -1
    settled = 0
    while size > 0:
        key = heap_key[0]
        lab = heap_lab[0]
        size = _heap_pop(heap_key, heap_lab, size)
        if key >= best:
            break
        if lab_dead[lab] != 0:
            continue
        if settled == max_settled:
            return best, BUDGET_EXHAUSTED, -1, settled, used
        settled += 1
        u = lab_node[lab]
        cu = lab_cost[lab]
        du = lab_d[lab]
        for i in range(t_nodes.shape[0]):
            if t_nodes[i] != u or not cu + t_costs[i] < best:
                continue
            if rest_step(du, t_len[i], t_first[i], t_last[i], t_gap[i], limit_m) >= 0.0:
                best = cu + t_costs[i]
                best_label = lab
                best_exit = i
        for e in range(first_out[u], first_out[u + 1]):
            w = cost[e]
            if not np.isfinite(w):
                continue
            dv = rest_step(du, length[e], s_first[e], s_last[e], s_gap[e], limit_m)
            if dv < 0.0:
                continue
            v = head[e]
            cv = cu + w
            if node_stamp[v] != gen:
                node_stamp[v] = gen
                node_first[v] = -1
            h = _bound(v, bound, t_costs) if bounded else 0.0
            if cv + h >= best:
                continue  # never settled: the search stops at its key (no label is kept)
            if _rest_dominated(v, cv, dv, node_first, lab_cost, lab_d, lab_next, lab_dead):
                continue
            if used == capacity:
                return best, POOL_FULL, -1, settled, used
            lab_node[used], lab_cost[used], lab_d[used] = v, cv, dv
            lab_pred[used], lab_edge[used], lab_dead[used] = lab, e, 0
            lab_next[used] = node_first[v]
            node_first[v] = used
            size = _heap_push(heap_key, heap_lab, size, cv + h, used)
            used += 1
    return (best if best_label >= 0 else np.inf), best_label, best_exit, settled, used


@kernel
def _rest_dominated(
    v: int, c: float, d: float, node_first: np.ndarray, lab_cost: np.ndarray,
    lab_d: np.ndarray, lab_next: np.ndarray, lab_dead: np.ndarray,
) -> bool:  # fmt: skip
    """Whether a label ``(c, d)`` at ``v`` is dominated by a live one there; if not, mark the
    live labels it dominates dead and unlink every dead one from ``v``'s list."""
    prev = -1
    k = node_first[v]
    while k >= 0:
        nxt = lab_next[k]
        if lab_dead[k] == 0 and lab_cost[k] <= c and lab_d[k] <= d:
            return True
        if lab_dead[k] == 0 and c <= lab_cost[k] and d <= lab_d[k]:
            lab_dead[k] = 1
        if lab_dead[k] != 0:
            if prev < 0:
                node_first[v] = nxt
            else:
                lab_next[prev] = nxt
        else:
            prev = k
        k = nxt
    return False


@kernel
def rest_extract(
    lab_pred: np.ndarray, lab_edge: np.ndarray, label: int, out: np.ndarray
) -> tuple[int, int]:
    """The edges of the walk to ``label`` into ``out`` in walking order; returns their count and
    the source it started from (``-1 - lab_edge`` of its start label)."""
    count = 0
    k = label
    while lab_pred[k] >= 0:
        out[count] = lab_edge[k]
        count += 1
        k = lab_pred[k]
    for i in range(count // 2):
        tmp = out[i]
        out[i] = out[count - 1 - i]
        out[count - 1 - i] = tmp
    return count, -1 - lab_edge[k]


#: :func:`rest_reachable` when its heap or its pop budget ran out before it could decide.
UNDECIDED = -1
#: ``(node_x, node_y, x, y)``: node positions (metres) and the point :func:`rest_reachable`
#: heads for.
Toward = tuple[np.ndarray, np.ndarray, float, float]


@kernel
def rest_reachable(
    graph: Graph,
    seats: Seats,
    limit_m: float,
    sources: RestSources,
    targets: RestTargets,
    walked_m: np.ndarray,
    stamp: np.ndarray,
    gen: int,
    heap_key: np.ndarray,
    heap_node: np.ndarray,
    max_pops: int,
    toward: Toward,
) -> int:
    """Whether :func:`rest_search` with the same arguments finds a walk (1) or not (0), costs
    aside: far cheaper to prove that no walk keeps the limit, which the exact search does only
    by exhausting every label (a least-bad route's bisection asks this several times).

    The rule is :func:`rest_search`'s: starts, edges and exits of finite cost, each stretch by
    :func:`rest_step`. One value per node suffices, the fewest metres since the last rest of
    any walk reaching it, because fewer metres never make a step infeasible (:func:`rest_step`
    is monotone in them). A seat can lower a node's value after it was taken from the heap, so
    a node whose value drops is pushed again (label-correcting). The heap is keyed by the
    metres plus the straight line to ``toward``'s point, so that a walk that exists is found
    early (measured on Kaiserslautern's ``elderly`` routes: a third less time than keyed by
    the metres alone for the tests that find one, a tenth more for those that find none); any
    order gives the same answer, as stale entries are skipped, a node is taken again whenever
    its value drops and only "found" stops early. ``walked_m``/``stamp``: per node, valid where
    ``stamp == gen``; ``heap_key``/``heap_node``: caller-allocated, their length the most
    entries. Returns :data:`UNDECIDED` when the heap is full or ``max_pops`` entries were
    taken before an answer (the caller runs the exact search then).
    """
    first_out, head, cost = graph
    length, s_first, s_last, s_gap = seats
    source_nodes, source_costs, source_walked = sources
    t_nodes, t_costs, t_len, t_first, t_last, t_gap = targets
    node_x, node_y, tx, ty = toward
    capacity = heap_key.shape[0]
    size = 0
    for i in range(source_nodes.shape[0]):
        d = source_walked[i]
        if not np.isfinite(source_costs[i]) or not d <= limit_m:
            continue
        s = source_nodes[i]
        if stamp[s] == gen and walked_m[s] <= d:
            continue
        stamp[s] = gen
        walked_m[s] = d
        if size == capacity:
            return UNDECIDED
        h = math.hypot(node_x[s] - tx, node_y[s] - ty)
        size = _heap_push(heap_key, heap_node, size, d + h, s)
    pops = 0
    while size > 0:
        u = heap_node[0]
        key = heap_key[0]
        size = _heap_pop(heap_key, heap_node, size)
        du = walked_m[u]
        if key > du + math.hypot(node_x[u] - tx, node_y[u] - ty):
            continue  # stale: the node was reached with fewer metres since (as pushed: same sum)
        if pops == max_pops:
            return UNDECIDED
        pops += 1
        for i in range(t_nodes.shape[0]):
            if t_nodes[i] != u or not np.isfinite(t_costs[i]):
                continue
            if rest_step(du, t_len[i], t_first[i], t_last[i], t_gap[i], limit_m) >= 0.0:
                return 1
        for e in range(first_out[u], first_out[u + 1]):
            if not np.isfinite(cost[e]):
                continue
            dv = rest_step(du, length[e], s_first[e], s_last[e], s_gap[e], limit_m)
            if dv < 0.0:
                continue
            # as for a start above, written out: a helper kernel for the two (node reached with
            # fewer metres: its value and a push) made the test half again slower, built
            v = head[e]
            if stamp[v] == gen and walked_m[v] <= dv:
                continue
            stamp[v] = gen
            walked_m[v] = dv
            if size == capacity:
                return UNDECIDED
            h = math.hypot(node_x[v] - tx, node_y[v] - ty)
            size = _heap_push(heap_key, heap_node, size, dv + h, v)
    return 0


def label_pool(capacity: int) -> LabelPool:
    """Fresh label arrays of :func:`rest_search` for ``capacity`` labels."""
    return (
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.float64),
        np.zeros(capacity, dtype=np.float64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.uint8),
        np.zeros(capacity, dtype=np.float64),
        np.zeros(capacity, dtype=np.int64),
    )


# --------------------------------------------------------------------------- instruction turns
# (routing.instructions) The turn said at each junction, classified here rather than in a Python
# loop over the bearings that :func:`turn_deltas` gives.

#: Codes of :func:`turn_kind`: straight, then slight / plain / sharp turns to the left and to
#: the right, then a U-turn (``routing.instructions._TURN_KINDS`` names them in this order).
TURN_STRAIGHT, TURN_UTURN = 0, 7
#: The sharp turns of :func:`turn_kind` (they end a step even on the same way).
TURN_SHARP_LEFT, TURN_SHARP_RIGHT = 3, 6
#: The slight turns of :func:`turn_kind` (onto less than ``min_base_m`` of a way: no step).
TURN_SLIGHT_LEFT, TURN_SLIGHT_RIGHT = 1, 4


@kernel
def turn_kind(delta: float, straight_deg: float) -> int:
    """The code of a change of bearing ``delta`` (degrees, not normalised; NaN: straight):
    below ``straight_deg`` straight, below 45° slight, below 135° a turn, below 170° sharp, else
    a U-turn; left codes 1–3, right codes 4–6 (the operations of
    :func:`routing.instructions._turn`, in the same order)."""
    if math.isnan(delta):
        return TURN_STRAIGHT
    delta = (delta + 180.0) % 360.0 - 180.0
    magnitude = abs(delta)
    side = 3 if delta > 0 else 0
    if magnitude < straight_deg:
        return TURN_STRAIGHT
    if magnitude < 45.0:
        return 1 + side
    if magnitude < 135.0:
        return 2 + side
    if magnitude < 170.0:
        return 3 + side
    return TURN_UTURN


@kernel
def turn_kinds(
    lon: np.ndarray, lat: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    straight_deg: float, deltas: np.ndarray, out: np.ndarray,
) -> None:  # fmt: skip
    """For each polyline point ``at[q]``: the :func:`turn_kind` code of the turn made there
    (bearings over ``back_m[q]`` before and ``ahead_m[q]`` after it) into ``out``
    (``deltas``: scratch of the same length, left holding :func:`turn_deltas`)."""
    turn_deltas(lon, lat, at, back_m, ahead_m, deltas)
    for q in range(len(at)):
        out[q] = turn_kind(deltas[q], straight_deg)


#: :func:`leg_runs`' turn code of a route's first leg (its departure: no turn).
TURN_DEPART = -1
#: The kinds of way of :func:`leg_runs`' keys besides the highway codes: a named way that is no
#: sidewalk (its name alone is its key), a sidewalk (of whichever street).
KEY_NAMED, KEY_SIDEWALK = -1, -2


@kernel
def _way_key(runs: np.ndarray, q: int, name: int, kind_key: np.ndarray) -> int:
    """The kind part of run ``q``'s way key (:meth:`routing.wording.Way.key`; its name is
    ``name``, -1 for none)."""
    if runs[q, RUN_SIDEWALK] == 1:
        return KEY_SIDEWALK
    if name >= 0:
        return KEY_NAMED
    return kind_key[runs[q, RUN_HIGHWAY]]


@kernel
def leg_runs(
    runs: np.ndarray, n: int, run_length_m: np.ndarray, kind_key: np.ndarray,
    lon: np.ndarray, lat: np.ndarray, min_base_m: float, base_m: float, straight_deg: float,
    kept: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    deltas: np.ndarray, legs: np.ndarray,
) -> int:  # fmt: skip
    """The legs a route's instructions name, from its :func:`segment_runs` (``runs[:n]``, their
    lengths ``run_length_m``): the rules of :func:`routing.instructions._legs`, in one pass.

    Runs of no length are left out (all are kept when none has a length). At each kept run
    after the first, the turn made at its first point (:func:`turn_kind` of
    :func:`turn_deltas` on the polyline ``lon``/``lat``, the way in taken over the leg so far
    (the kept runs since the last turn said) and the way out over the stretch of the run's
    OSM way (it and the kept runs of its way after it), each clamped to ``min_base_m`` ..
    ``base_m``, as :func:`routing.instructions._segment_legs` reads them). A run continues the
    leg before it when it is the same named street on the same side (sidewalk or not) and
    the route does not turn back there (a U-turn is always said), or when it goes on without
    a turn (no sharp turn on the same OSM way and way key, none at all
    between two unnamed ways; a slight turn onto a stretch shorter than ``min_base_m`` is no
    turn: the bend after it, read over what was walked, is said). Names are ids (the graph's names are distinct and non-empty);
    ``kind_key`` maps a highway code to the code of its kind of way (its own, or ``road``).
    Per leg a row of ``legs``: its run and its turn code (:data:`TURN_DEPART` for the first).
    ``kept``, ``at``, ``back_m``, ``ahead_m``, ``deltas``: scratch of ``n`` entries. Returns
    the number of legs."""
    m = 0
    for q in range(n):
        if run_length_m[q] > 0:
            kept[m] = q
            m += 1
    if m == 0:
        for q in range(n):
            kept[q] = q
        m = n
    if m == 0:
        return 0
    # the way out of each junction is read over the stretch of the way it enters: the kept run
    # and the kept runs of its OSM way after it (summed from the far end, as _way_stretches)
    for j in range(m - 1, -1, -1):
        ahead_m[j] = run_length_m[kept[j]]
        way = runs[kept[j], RUN_WAY]
        if j < m - 1 and way >= 0 and way == runs[kept[j + 1], RUN_WAY]:
            ahead_m[j] = ahead_m[j + 1] + run_length_m[kept[j]]
    prev = kept[0]
    legs[0, 0] = prev
    legs[0, 1] = TURN_DEPART
    count = 1
    last_way = runs[prev, RUN_WAY]
    leg_m = run_length_m[prev]  # walked since the last turn said: the way in
    for j in range(1, m):
        q = kept[j]
        at[j - 1] = runs[q, RUN_FIRST_POINT]
        back_m[j - 1] = min(max(leg_m, min_base_m), base_m)
        ahead_m[j - 1] = min(max(ahead_m[j], min_base_m), base_m)  # (entry j - 1 is done with)
        one = slice(j - 1, j)  # the way in depends on the legs said before: one turn a call
        turn_deltas(lon, lat, at[one], back_m[one], ahead_m[one], deltas[one])
        turn = turn_kind(deltas[j - 1], straight_deg)
        way = runs[q, RUN_WAY]
        same_way = way >= 0 and way == last_way
        last_way = way
        name = runs[q, RUN_NAME]
        prev_name = runs[prev, RUN_NAME]
        side = runs[q, RUN_SIDEWALK]
        leg_m += run_length_m[q]  # merged into the leg, unless a turn is said below
        if (
            name >= 0
            and name == prev_name
            and side == runs[prev, RUN_SIDEWALK]
            and turn != TURN_UTURN
        ):
            continue  # one named street: merged whatever the turn, but for turning back
        same_key = (
            name == prev_name
            and side == runs[prev, RUN_SIDEWALK]
            and _way_key(runs, q, name, kind_key) == _way_key(runs, prev, prev_name, kind_key)
        )
        same_way = same_way and same_key
        sharp = turn in (TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN)
        # a slight bend onto less than min_base_m of a way: the bend after it is said instead
        # (ahead_m[j] still holds the stretch: entry j is clamped in the next round)
        glancing = turn in (TURN_SLIGHT_LEFT, TURN_SLIGHT_RIGHT) and ahead_m[j] < min_base_m
        no_turn = turn == TURN_STRAIGHT or glancing or (same_way and not sharp)
        if no_turn and (same_way or (prev_name < 0 and name < 0)):
            continue  # the same way without a sharp turn, or unnamed ways without a turn
        prev = q
        leg_m = run_length_m[q]
        legs[count, 0] = q
        legs[count, 1] = turn
        count += 1
    return count


# --------------------------------------------------------------------------- route report: extra passes
# Appended for :func:`routing.report.build_route`: each one pass over a route's ~50 pieces
# where the numpy expressions it replaced cost a few calls of ~1 µs each.


@kernel
def top_incline(block: np.ndarray, column: int, flags: np.ndarray) -> int:
    """The first piece of largest absolute incline (column ``column`` of ``block``, the report
    table gathered for a route's pieces) among those whose ``flags``
    (:func:`report_piece_flags`) have ``FLAG_KNOWN_INCLINE``; -1 when there is none. As
    ``np.argmax`` of the absolute inclines of those pieces: the first of equal ones."""
    top = -1
    steepest = -1.0
    for i in range(block.shape[0]):
        if flags[i] & FLAG_KNOWN_INCLINE:
            incline = abs(block[i, column])
            if incline > steepest:
                top = i
                steepest = incline
    return top


@kernel
def walk_seat_rows(
    edges: np.ndarray, start: float, end: float, piece_at_m: np.ndarray, length_m: np.ndarray,
    seat_first_m: np.ndarray, edge_seat_first: np.ndarray, seat_offset_m: np.ndarray,
    same_m: float, out_at_m: np.ndarray, out_seat: np.ndarray,
) -> int:  # fmt: skip
    """The seats along the walk over ``edges`` from fraction ``start`` of the first to ``end``
    of the last, in walking order: where each is (``out_at_m``, metres from the walk's start;
    ``piece_at_m`` is where each piece starts) and its row in the seat table (``out_seat``). A
    seat within ``same_m`` of the one kept before it is the same place (a seat on a node ends
    one piece and starts the next) and is left out. Only edges whose ``seat_first_m`` is finite
    are read, through the table's CSR ``edge_seat_first``.

    Returns the number of seats; past the outputs' length only the count goes on (the caller
    sizes them again and calls once more). :func:`routing.rests.walk_seats`' reading piece by
    piece is the reference, float32 arithmetic included: a seat is kept when its float32 offset
    lies within 1e-6 m of the piece's walked part (bounds rounded to float32, as numpy compares
    a float32 array with a Python float), and its offset from the piece's start is the float32
    difference."""
    k = len(edges)
    cap = len(out_at_m)
    n = 0
    last_m = 0.0
    for i in range(k):
        e = edges[i]
        if not np.isfinite(seat_first_m[e]):
            continue
        length = length_m[e]
        from_m = (start if i == 0 else 0.0) * length
        to_m = (end if i == k - 1 else 1.0) * length
        from32 = np.float32(from_m)
        lo = np.float32(from_m - 1e-6)
        hi = np.float32(to_m + 1e-6)
        for j in range(edge_seat_first[e], edge_seat_first[e + 1]):
            off = seat_offset_m[j]
            if off >= lo and off <= hi:
                seat_m = piece_at_m[i] + np.float64(np.float32(off - from32))
                if n > 0 and seat_m - last_m < same_m:
                    continue
                if n < cap:
                    out_at_m[n] = seat_m
                    out_seat[n] = j
                n += 1
                last_m = seat_m
    return n


@kernel
def mark_runs(mask: np.ndarray, marked: np.ndarray, starts: np.ndarray) -> int:
    """Set ``marked`` (bool) where ``mask`` is set and write the first piece of each run of
    consecutive ``mask`` pieces into ``starts``; returns the number of runs (0: ``mask`` is
    empty). A reliance along a route: the pieces its known share leaves out, where it starts."""
    n = 0
    for i in range(len(mask)):
        if mask[i]:
            marked[i] = True
            if i == 0 or not mask[i - 1]:
                starts[n] = i
                n += 1
    return n


#: How :func:`reliance_pieces` finds one reliance: pieces of an unknown bit counted at their
#: heads (by their unknown kerb heights, or one each), at their starts (the step count: also
#: left out of the known share where walked), or along runs of them (their metres; or only the
#: pieces where some length is walked, :data:`RELY_ALONG_WALKED`: a route's unknown step count
#: in metres); and the two reliances read from the pieces' ``PIECE_*`` bits: estimated inclines
#: held (along) and flights of steps of unknown handrail (counted at their starts, left out of
#: the known share). The route's ``unknowns`` are counted by the same kernel.
(
    RELY_KERBS, RELY_HEADS, RELY_STEP_COUNT, RELY_ALONG, RELY_HELD_INCLINE, RELY_NO_RAIL,
    RELY_ALONG_WALKED,
) = range(7)  # fmt: skip


@kernel
def reliance_pieces(
    unknowns: np.ndarray, piece_bits: np.ndarray, lengths: np.ndarray, block: np.ndarray,
    incline_col: int, kerb_col: int, bits: np.ndarray, kinds: np.ndarray, present: int,
    incline_unknown_bit: int, listed_broken: np.ndarray, pieces: np.ndarray,
    first: np.ndarray, values: np.ndarray, along: np.ndarray, mask: np.ndarray,
    scratch: np.ndarray,
) -> float:  # fmt: skip
    """What a route's verdict relies on (:func:`routing.report._accessibility`), one entry per
    ``bits[j]`` / ``kinds[j]`` (``RELY_*``): its pieces into ``pieces[first[j]:first[j + 1]]``
    (the pieces hit, or the first piece of each run of them for :data:`RELY_ALONG`,
    :data:`RELY_ALONG_WALKED` and :data:`RELY_HELD_INCLINE`) and its value into ``values[j]``: the unknown kerb heights summed
    (each truncated to an integer, as ``astype(int64)``), the pieces hit, or the metres walked on
    them (as numpy sums ``lengths[hit]``). An unknown bit not in ``present`` hits nothing; the
    incline's unknown bit (``incline_unknown_bit``; 0: none is treated so) only pieces without
    any incline value (``block[:, incline_col]`` NaN:
    an estimate is relied on as estimated); a held estimate not on a piece of
    ``listed_broken`` (listed as broken instead). ``along`` (bool, all False on entry) is left
    marking the pieces whose metres the known share leaves out; returns their metres (as numpy
    sums them); the runs are :func:`mark_runs`'. ``pieces`` holds ``len(bits) × pieces`` entries,
    ``mask`` (bool) and ``scratch`` the route's length."""
    k = unknowns.size
    n = 0
    first[0] = 0
    for j in range(bits.size):
        bit, kind = bits[j], kinds[j]
        values[j] = 0.0
        count = 0
        kerbs = 0
        walked = 0
        runs = kind in (RELY_ALONG, RELY_HELD_INCLINE, RELY_ALONG_WALKED)
        for i in range(k):
            mask[i] = False
            if kind == RELY_HELD_INCLINE:
                hit = (piece_bits[i] & PIECE_HELD) != 0 and not listed_broken[i]
            elif kind == RELY_NO_RAIL:
                hit = (piece_bits[i] & PIECE_NO_RAIL) != 0
            else:
                hit = (present & bit) != 0 and (unknowns[i] & bit) != 0
                if hit and bit == incline_unknown_bit:
                    hit = not np.isfinite(block[i, incline_col])
                if hit and kind == RELY_ALONG_WALKED:
                    hit = (piece_bits[i] & PIECE_ALONG) != 0
            if not hit:
                continue
            count += 1
            if runs:
                mask[i] = True
                scratch[walked] = lengths[i]
                walked += 1
            else:
                pieces[n] = i
                n += 1
                if kind == RELY_KERBS:
                    kerbs += int(block[i, kerb_col])  # truncated, as astype(int64)
                elif kind in (RELY_STEP_COUNT, RELY_NO_RAIL) and piece_bits[i] & PIECE_ALONG:
                    along[i] = True
        if runs:
            n += mark_runs(mask[:k], along, pieces[n:])
            values[j] = _pairwise_sum(scratch, walked)
        elif kind == RELY_KERBS:
            values[j] = kerbs
        else:
            values[j] = count
        first[j + 1] = n
    walked = 0
    for i in range(k):
        if along[i]:
            scratch[walked] = lengths[i]
            walked += 1
    return _pairwise_sum(scratch, walked)


# --------------------------------------------------------------------------- route facts
# The facts along a route (:mod:`routing.facts`, :mod:`routing.conditions`): one pass over the
# route's edges each. Their totals repeat numpy's pairwise summation (:func:`_pairwise_sum`)
# over the same values in the same order, so each equals the ``values[mask].sum()`` it replaced
# bit for bit; rounding to tenths repeats :func:`routing.rounding.round_like_python`'s fast path
# (``x·10``, ``rint``, ``/10``) and leaves the values near a half to Python's ``round``.

#: A product ``x·10^digits`` closer than this to a half is rounded by Python's ``round``
#: (:mod:`routing.rounding` explains the bound).
NEAR_HALF = 1e-6
#: :func:`incline_runs` met an incline near a half: only Python's ``round`` rounds it exactly.
NEEDS_ROUNDING = -1
#: A facts kernel met an edge outside the columns it reads (numpy would raise IndexError).
EDGE_OUT_OF_RANGE = -2
#: Running sums of numpy's pairwise summation, and the most values it sums without halving.
_PAIRWISE_UNROLL = 8
_PAIRWISE_BLOCK = 128
#: Pending tasks of :func:`_pairwise_sum`: at most two per level of halving above one more
#: (fewer than 64 levels for any array length).
_PAIRWISE_STACK = 2 * 64 + 2


@kernel
def _pairwise_block(values: np.ndarray, start: int, n: int) -> float:
    """numpy's ``pairwise_sum`` of ``values[start:start + n]`` for ``n`` ≤ 128: fewer than 8
    values added in turn, else 8 running sums combined as a tree, the rest added in turn."""
    if n < _PAIRWISE_UNROLL:
        res = 0.0
        for i in range(start, start + n):
            res += values[i]
        return res
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = start + _PAIRWISE_UNROLL
    stop = start + n - n % _PAIRWISE_UNROLL
    while i < stop:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += _PAIRWISE_UNROLL
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, start + n):
        res += values[j]
    return res


@kernel
def _pairwise_sum(values: np.ndarray, n: int) -> float:
    """``values[:n].sum()`` exactly as numpy computes it for a contiguous float64 array: its
    pairwise summation added to the identity 0.0 (so an all ``-0.0`` sum is 0.0, as numpy's).
    Not a plain loop: a running sum rounds differently from 8 values on.

    Above 128 values numpy sums the two halves (split at a multiple of 8 below the middle) and
    adds them. numba cannot cache a recursive function, so the same tree is evaluated here from
    an explicit stack in postfix order: sum the left half, sum the right half, add them."""
    if n <= _PAIRWISE_BLOCK:
        return 0.0 + _pairwise_block(values, 0, n)
    task_start = np.empty(_PAIRWISE_STACK, dtype=np.int64)
    task_n = np.empty(_PAIRWISE_STACK, dtype=np.int64)  # -1: add the last two sums
    held = np.empty(_PAIRWISE_STACK)
    task_start[0], task_n[0] = 0, n
    tasks = 1
    sums = 0
    while tasks:
        tasks -= 1
        start, count = task_start[tasks], task_n[tasks]
        if count < 0:
            sums -= 1
            held[sums - 1] = held[sums - 1] + held[sums]
        elif count <= _PAIRWISE_BLOCK:
            held[sums] = _pairwise_block(values, start, count)
            sums += 1
        else:
            half = count // 2
            half -= half % _PAIRWISE_UNROLL
            task_start[tasks], task_n[tasks] = 0, -1
            task_start[tasks + 1], task_n[tasks + 1] = start + half, count - half
            task_start[tasks + 2], task_n[tasks + 2] = start, half
            tasks += 3
    return 0.0 + held[0]


@kernel
def _round_fast(x: float, scale: float) -> tuple[float, bool]:
    """``x`` rounded to ``1/scale`` as numpy rounds it (``rint(x·scale) / scale``) and whether
    the product lies near a half, where that may differ from Python's ``round``."""
    scaled = x * scale
    return np.rint(scaled) / scale, abs(abs(scaled - np.floor(scaled)) - 0.5) < NEAR_HALF


@kernel
def round_fill(values: np.ndarray, scale: float, out: np.ndarray, near: np.ndarray) -> int:
    """``rint(values·scale) / scale`` into ``out`` and the positions of the values whose product
    lies near a half into ``near`` (:func:`routing.rounding.round_like_python` rounds those
    with Python's ``round``); returns how many there are."""
    count = 0
    for i in range(values.size):
        out[i], close = _round_fast(values[i], scale)
        if close:
            near[count] = i
            count += 1
    return count


@kernel
def incline_runs(
    edges: np.ndarray, walked_m: np.ndarray, incline_percent: np.ndarray,
    incline_source: np.ndarray, rounded: np.ndarray, source_min: int, source_max: int,
    to_m: np.ndarray, percent: np.ndarray, source: np.ndarray,
) -> int:  # fmt: skip
    """The incline profile's stretches (:func:`routing.facts.incline_profile`): over the edges
    walked (``walked_m`` > 0), runs of the same incline rounded to tenths (NaN, unknown, equals
    NaN) and the same source code (``source_min`` … ``source_max``; any other code, and every
    unknown incline, is -1). Per run its end (a running sum of the metres walked, as
    ``np.cumsum`` adds them, not rounded; a run starts where the one before ends, the first at
    0), its rounded incline and its source code. ``rounded`` holds the walked edges' inclines
    already rounded, or nothing: then each is rounded here (:func:`round_fill`'s arithmetic)
    and :data:`NEEDS_ROUNDING` is returned at the first near a half. Returns the number of runs
    (:data:`EDGE_OUT_OF_RANGE` for an edge outside the columns)."""
    size = min(incline_percent.size, incline_source.size)
    n = 0
    kept = 0
    at_m = 0.0
    for i in range(edges.size):
        walked = walked_m[i]
        if not walked > 0.0:
            continue
        e = edges[i]
        if e < -size or e >= size:  # negative edges count from the end, as in numpy
            return EDGE_OUT_OF_RANGE
        if rounded.size:
            value = rounded[kept]
        else:
            value, close = _round_fast(np.float64(incline_percent[e]), 10.0)
            if close:
                return NEEDS_ROUNDING
        kept += 1
        code = np.int64(incline_source[e]) if value == value else -1
        if code < source_min or code > source_max:
            code = -1
        end_m = at_m + walked
        last = n - 1
        if (
            n > 0
            and code == source[last]
            and (value == percent[last] or (value != value and percent[last] != percent[last]))
        ):
            to_m[last] = end_m
        else:
            to_m[n], percent[n], source[n] = end_m, value, code
            n += 1
        at_m = end_m
    return n


# JSON text written from a route's arrays (:func:`routing.facts.incline_profile_json`): what
# orjson writes for the same values, byte for byte, without a Python object per value. A number
# here is a double nearest some tenth (a value rounded to one decimal): orjson (like ``repr``)
# writes the shortest decimal that reads back as it, which is that tenth with its one decimal
# ("12.0", "-0.0"), as long as it has fewer than 16 digits (from 10^16 on it switches to an
# exponent; a tenth at or above :data:`JSON_TENTHS_MAX` is handed back).

#: :func:`incline_json_fill` met a value it does not write (at or above
#: :data:`JSON_TENTHS_MAX` in magnitude, or not finite where a number is due).
JSON_OUT_OF_RANGE = -3
#: The largest magnitude (exclusive) of a tenth the JSON kernels write themselves.
JSON_TENTHS_MAX = 1e14
#: The most bytes one stretch of :func:`incline_json_fill` takes besides its source's name:
#: its keys and punctuation (51 bytes) and three numbers of at most 17 characters.
JSON_STRETCH_BYTES = 51 + 3 * 17
_JSON_FROM = np.frombuffer(b'{"from_m":', dtype=np.uint8)
_JSON_TO = np.frombuffer(b',"to_m":', dtype=np.uint8)
_JSON_PERCENT = np.frombuffer(b',"incline_percent":', dtype=np.uint8)
_JSON_SOURCE = np.frombuffer(b',"source":', dtype=np.uint8)
_JSON_NULL = np.frombuffer(b"null", dtype=np.uint8)


@kernel
def _json_put(text: np.ndarray, first: int, last: int, out: np.ndarray, at: int) -> int:
    """``text[first:last]`` written into ``out`` at ``at``; the position after it."""
    for i in range(first, last):
        out[at] = text[i]
        at += 1
    return at


@kernel
def _json_tenths(value: float, out: np.ndarray, at: int) -> int:
    """The double ``value``, nearest a tenth, as orjson writes it (the sign of a zero kept);
    the position after it, or -1 when ``value`` is not finite or not below
    :data:`JSON_TENTHS_MAX` in magnitude."""
    if not abs(value) < JSON_TENTHS_MAX:
        return -1
    if value < 0.0 or (value == 0.0 and math.copysign(1.0, value) < 0.0):
        out[at] = 45  # "-"
        at += 1
    tenths = np.int64(np.rint(abs(value) * 10.0))  # exact: |value|·10 is within an ulp of it
    whole = tenths // 10
    digits = 1
    scale = np.int64(1)
    while whole // scale >= 10:
        scale *= 10
        digits += 1
    for _ in range(digits):
        out[at] = 48 + (whole // scale) % 10
        at += 1
        scale //= 10
    out[at] = 46  # "."
    out[at + 1] = 48 + tenths % 10
    return at + 2


@kernel
def incline_json_fill(
    to_m: np.ndarray, percent: np.ndarray, source: np.ndarray, n: int, names: np.ndarray,
    name_first: np.ndarray, out: np.ndarray,
) -> int:  # fmt: skip
    """The JSON array of the incline profile's ``n`` stretches found by :func:`incline_runs`
    (``to_m``, ``percent``, ``source``), as orjson writes the list of
    :func:`routing.facts.incline_profile`: ``{"from_m", "to_m", "incline_percent", "source"}``
    each, the ends rounded to tenths here (:func:`round_fill`'s arithmetic; a stretch starts
    at the rounded end before it, the first at 0.0), an unknown (NaN) incline ``null``, the
    source code ``c`` written as ``names[name_first[c + 1]:name_first[c + 2]]`` (its JSON
    value; code -1 is index 0). ``out`` holds at least ``2 + n·(JSON_STRETCH_BYTES + the
    longest name)`` bytes. Returns the bytes written, :data:`NEEDS_ROUNDING` at an end near a
    half (Python's ``round`` decides it) or :data:`JSON_OUT_OF_RANGE`."""
    at = 0
    out[at] = 91  # "["
    at += 1
    start = 0.0
    for i in range(n):
        end, close = _round_fast(to_m[i], 10.0)
        if close:
            return NEEDS_ROUNDING
        if i:
            out[at] = 44  # ","
            at += 1
        at = _json_put(_JSON_FROM, 0, _JSON_FROM.size, out, at)
        at = _json_tenths(start, out, at)
        if at < 0:
            return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_TO, 0, _JSON_TO.size, out, at)
        at = _json_tenths(end, out, at)
        if at < 0:
            return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_PERCENT, 0, _JSON_PERCENT.size, out, at)
        value = percent[i]
        if value != value:
            at = _json_put(_JSON_NULL, 0, _JSON_NULL.size, out, at)
        else:
            at = _json_tenths(value, out, at)
            if at < 0:
                return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_SOURCE, 0, _JSON_SOURCE.size, out, at)
        code = source[i] + 1
        at = _json_put(names, name_first[code], name_first[code + 1], out, at)
        out[at] = 125  # "}"
        at += 1
        start = end
    out[at] = 93  # "]"
    return at + 1


#: Rows of :func:`green_light_sums`' ``sums`` (and of its ``scratch``: the values summed there).
SUM_GREEN_KNOWN_M, SUM_GREEN_M, SUM_GREEN_UNKNOWN_M = 0, 1, 2
SUM_LIT_M, SUM_UNLIT_M, SUM_LIGHT_UNKNOWN_M = 3, 4, 5
SUM_ROWS = 6


@kernel
def green_light_sums(
    edges: np.ndarray, walked_m: np.ndarray, size: int, green_share: np.ndarray,
    park_id: np.ndarray, lit: np.ndarray, yes: int, no: int, scratch: np.ndarray,
    sums: np.ndarray, parks: np.ndarray, park_m: np.ndarray,
) -> int:  # fmt: skip
    """A route's green and light (:mod:`routing.conditions`) in one pass over its edges.

    Into ``sums`` (rows ``SUM_*``): the metres walked where ``green_share`` is known, those
    metres times the share, the metres where it is not (NaN); the metres walked where ``lit``
    is ``yes``, where it is ``no`` and where it is anything else (unknown). Each is summed as
    numpy sums the values in walking order (:func:`_pairwise_sum`), in ``scratch`` (``SUM_ROWS``
    rows of at least the route's length). Into ``parks`` the ``park_id`` of each park met (≥ 0), in the
    order met, and into ``park_m`` the metres walked in it (added in walking order). An empty
    column is not read: green is then unknown everywhere, no park is met, and the light sums
    are 0 (a graph built without the column, or a caller that wants only the other facts).
    Returns the number of parks (:data:`EDGE_OUT_OF_RANGE` when an edge lies outside ``size``)."""
    counts = np.zeros(SUM_ROWS, dtype=np.int64)
    n_parks = 0
    for i in range(edges.size):
        e = edges[i]
        if e < -size or e >= size:  # negative edges count from the end, as in numpy
            return EDGE_OUT_OF_RANGE
        walked = walked_m[i]
        share = np.float64(green_share[e]) if green_share.size else np.nan
        if share == share:
            scratch[SUM_GREEN_KNOWN_M, counts[SUM_GREEN_KNOWN_M]] = walked
            scratch[SUM_GREEN_M, counts[SUM_GREEN_M]] = share * walked
            counts[SUM_GREEN_KNOWN_M] += 1
            counts[SUM_GREEN_M] += 1
        else:
            scratch[SUM_GREEN_UNKNOWN_M, counts[SUM_GREEN_UNKNOWN_M]] = walked
            counts[SUM_GREEN_UNKNOWN_M] += 1
        if lit.size:
            value = lit[e]
            row = SUM_LIT_M if value == yes else SUM_UNLIT_M if value == no else SUM_LIGHT_UNKNOWN_M
            scratch[row, counts[row]] = walked
            counts[row] += 1
        if park_id.size and park_id[e] >= 0:
            pid = np.int64(park_id[e])
            j = 0
            while j < n_parks and parks[j] != pid:
                j += 1
            if j == n_parks:
                parks[j] = pid
                park_m[j] = 0.0
                n_parks += 1
            park_m[j] += walked
    for row in range(SUM_ROWS):
        sums[row] = _pairwise_sum(scratch[row], counts[row])
    return n_parks
