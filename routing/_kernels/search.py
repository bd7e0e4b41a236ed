"""The search kernels: A* to a point, Dijkstra to marked nodes, the landmark distances.

One search kernel (:func:`search`) serves every query: A* towards a point (its bound the larger
of the straight-line and the landmark bound, :func:`lower_bound`), Dijkstra to marked nodes (the
matrix) and the landmark distances. :func:`point_search` is a whole query between two snapped
points in one call: the pieces of the source and target edges, the search, the path.

The graph is CSR (``first_out``, ``head``); ``cost`` is the per-edge cost in seconds (``inf`` =
never usable). Related arrays travel as plain tuples (:data:`Graph`, :data:`Workspace`,
:data:`Ends`, :data:`Bound`) to keep signatures short without jitclasses. Workspaces use
generation stamps, so a query touches only the nodes it visits instead of clearing arrays of
length ``n``: ``stamp[v] == gen`` means ``dist[v]`` is valid for this query, ``closed[v] ==
gen`` means ``v`` is settled. The binary heap (:func:`heap_push`, :func:`heap_pop`) serves the
rest-constrained search too (:mod:`routing._kernels.rests`).
"""

from __future__ import annotations

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
def heap_push(heap_key: np.ndarray, heap_node: np.ndarray, size: int, key: float, node: int) -> int:
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
def heap_pop(heap_key: np.ndarray, heap_node: np.ndarray, size: int) -> int:
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
def lower_bound(v: int, bound: Bound, target_costs: np.ndarray) -> float:
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
                h = bound_at[s] if stamp[s] == gen else lower_bound(s, bound, target_costs)
                bound_at[s] = h
            stamp[s] = gen
            dist[s] = c
            pred_edge[s] = NO_EDGE
            size = heap_push(heap_key, heap_node, size, c + h, s)
    best = np.inf
    best_exit = -1
    settled = 0
    remaining = marked_count
    while size > 0:
        key = heap_key[0]
        u = heap_node[0]
        size = heap_pop(heap_key, heap_node, size)
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
                    h = bound_at[v] if stamp[v] == gen else lower_bound(v, bound, target_costs)
                    bound_at[v] = h
                stamp[v] = gen
                dist[v] = dv
                pred_edge[v] = e
                size = heap_push(heap_key, heap_node, size, dv + h, v)
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
    the ends of its street piece, as :func:`routing.walk_pieces.start_pieces` and
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
    :func:`routing.walk_pieces.exit_pieces` makes them. Returns the new count."""
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
    ``add_sources``, ``add_targets``, ``run`` and ``path``, and ``walk_pieces.direct_piece``).

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
