"""The rest-constrained search (:mod:`routing.rests`): label-setting A* over node × metres walked
since the last seat (:func:`rest_search`, its labels in a pool, :func:`label_pool`), the walk
between two seats (:func:`rest_step`), the path (:func:`rest_extract`), the one pass that says
whether any walk keeps the limit at all (:func:`rest_reachable`), and the seats a route passes
(:func:`walk_seat_rows`)."""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel
from routing._kernels.search import (
    BUDGET_EXHAUSTED,
    NO_BUDGET,
    Bound,
    Graph,
    heap_pop,
    heap_push,
    lower_bound,
)

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
        :func:`routing.rest_walks.seat_cost_ceiling`).

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
        h = lower_bound(s, bound, t_costs) if bounded else 0.0
        size = heap_push(heap_key, heap_lab, size, c + h, used)
        used += 1
    best = max_cost
    best_label = -1
    best_exit = -1
    settled = 0
    while size > 0:
        key = heap_key[0]
        lab = heap_lab[0]
        size = heap_pop(heap_key, heap_lab, size)
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
            h = lower_bound(v, bound, t_costs) if bounded else 0.0
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
            size = heap_push(heap_key, heap_lab, size, cv + h, used)
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
        size = heap_push(heap_key, heap_node, size, d + h, s)
    pops = 0
    while size > 0:
        u = heap_node[0]
        key = heap_key[0]
        size = heap_pop(heap_key, heap_node, size)
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
            size = heap_push(heap_key, heap_node, size, dv + h, v)
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
