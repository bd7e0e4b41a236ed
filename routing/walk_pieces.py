"""Where a walk between two snapped points begins and ends: the pieces of their edges.

A snapped point lies on an edge (:class:`~routing.snapping.SnapPoint`); a walk leaves it along
that edge to either end node and reaches the target's point from either end of its edge, or
walks along a single edge when both points lie on one street piece. The search kernels make the
same pieces in their own code (:func:`routing._kernels.search.point_search`); these are the
Python ones the matrix, the rest search and the testers' reference read.
"""

from __future__ import annotations

from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing.metric import Metric, weights_of
from routing.query import PathPiece, piece_cost
from routing.snapping import SnapPoint

__all__ = ["direct_piece", "end_node", "exit_pieces", "start_pieces"]


def start_pieces(graph: CompiledGraph, snap: SnapPoint) -> list[PathPiece]:
    """The directed pieces from a snapped point to each end node of its edge."""
    e, f = snap.edge, snap.fraction
    pieces = [PathPiece(e, f, 1.0)]
    rev = int(graph.edge["reverse_edge"][e])
    if rev >= 0:
        pieces.append(PathPiece(rev, 1.0 - f, 1.0))
    return pieces


def exit_pieces(graph: CompiledGraph, snap: SnapPoint) -> list[PathPiece]:
    """The directed pieces from each end node of a snapped point's edge to the point.

    A point on a node (:func:`end_node`) is reached along every edge into that node as
    well, each walked whole as the walk's last piece (after the edge's own two pieces, in
    the order of the node's out-edges, whose twins they are): a walk that ends on a node
    does not cross what the arriving edge's head holds (its kerb, its crossing, a limit
    broken there), so it must not pay for it, as a walk that starts on a node does not
    (:func:`start_pieces`' piece from the head). What
    :func:`routing._kernels.search.point_search` makes in its kernel."""
    pieces = [PathPiece(p.edge, 0.0, p.start) for p in start_pieces(graph, snap)]
    node = end_node(graph, snap)
    if node >= 0:
        rev = graph.edge["reverse_edge"]
        have = {p.edge for p in pieces}
        for o in range(int(graph.first_out[node]), int(graph.first_out[node + 1])):
            into = int(rev[o])
            if into >= 0 and into not in have:
                pieces.append(PathPiece(into, 0.0, 1.0))
    return pieces


def end_node(graph: CompiledGraph, snap: SnapPoint) -> int:
    """The node a snapped point lies on (its edge's head at fraction 1, its tail at 0),
    or -1 when it lies inside its edge."""
    if snap.fraction >= 1.0:
        return int(graph.head[snap.edge])
    if snap.fraction <= 0.0:
        return int(graph.tail[snap.edge])
    return -1


def direct_piece(
    graph: CompiledGraph, source: SnapPoint, target: SnapPoint, usable: Metric | EdgeWeights
) -> tuple[PathPiece, float] | None:
    """Walking along a single edge when both points lie on the same street piece, or the
    target on a node that piece runs to (:func:`end_node`; the walk then ends on that node
    without crossing what the edge's head holds, as :func:`exit_pieces` says), with its cost
    under ``usable``; None otherwise."""
    rev = int(graph.edge["reverse_edge"][source.edge])
    node = -1 if target.edge == source.edge or target.edge == rev else end_node(graph, target)
    if target.edge == source.edge:
        fs, ft = source.fraction, target.fraction
    elif rev >= 0 and target.edge == rev:
        fs, ft = source.fraction, 1.0 - target.fraction
    elif node >= 0 and node == int(graph.head[source.edge]):
        fs, ft = source.fraction, 1.0  # a target on the node the source's edge runs to
    elif node >= 0 and rev >= 0 and node == int(graph.head[rev]):
        fs, ft = source.fraction, 0.0  # ... or on the node its twin runs to
    else:
        return None
    piece = PathPiece(source.edge, fs, ft) if ft >= fs else PathPiece(rev, 1.0 - fs, 1.0 - ft)
    if piece.edge < 0:
        return None
    return piece, piece_cost(weights_of(usable), piece, last=True)
