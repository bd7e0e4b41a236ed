"""A stand-in for the seat join of issue 12 (DATA builds the real one in ``graphs/``).

Seats on network nodes only (the node attribute ``seat``), laid out as the agreed interface:
``seat_first_m``/``seat_last_m``/``seat_max_gap_m`` per directed edge (a seat on a node sits at
offset 0 of the edges leaving it and at ``length_m`` of the edges entering it) and a reader
with the signature of ``graphs.features.seats_on_edge``. Tests and the benchmark only; never
imported by the application. ``synthetic_node_seats`` adds seats on a seeded share of nodes
(for timing the search on a network with seats where the extract maps few).
"""

from __future__ import annotations

import numpy as np

from graphs.model import CompiledGraph
from routing.rests import EdgeSeats, SeatReader

#: ``Seat`` codes (accessibility_rules.attributes.Seat) → backrest 1 yes / 0 no / -1 unknown.
_BACKREST = {2: 1, 1: 0, -1: -1}


def synthetic_node_seats(graph: CompiledGraph, share: float, seed: int = 12) -> np.ndarray:
    """A copy of the node ``seat`` array with a seat (backrest unknown) on ``share`` of the
    nodes, drawn with ``seed``."""
    seat = graph.node["seat"].copy()
    rng = np.random.default_rng(seed)
    seat[(rng.random(len(seat)) < share) & (seat == 0)] = -1
    return seat


def install_node_seats(graph: CompiledGraph, seat: np.ndarray | None = None) -> SeatReader:
    """Write the seat columns of node seats (``seat``, default the graph's) into
    ``graph.edge`` and return the matching reader."""
    seat = graph.node["seat"] if seat is None else seat
    has = seat != 0
    length = graph.edge["length_m"].astype(np.float64)
    at_tail, at_head = has[graph.tail], has[graph.head]
    nan = np.full(len(length), np.nan)
    first = np.where(at_tail, 0.0, np.where(at_head, length, nan))
    last = np.where(at_head, length, np.where(at_tail, 0.0, nan))
    gap = np.where(at_tail & at_head, length, np.where(at_tail | at_head, 0.0, nan))
    graph.edge["seat_first_m"] = first.astype(np.float32)
    graph.edge["seat_last_m"] = last.astype(np.float32)
    graph.edge["seat_max_gap_m"] = gap.astype(np.float32)
    lon, lat = graph.node["lon"], graph.node["lat"]

    def reader(g: CompiledGraph, edge: int) -> EdgeSeats:
        nodes = [n for n in (int(g.tail[edge]), int(g.head[edge])) if seat[n] != 0]
        offs = [0.0 if n == int(g.tail[edge]) else float(length[edge]) for n in nodes]
        return (
            np.array(offs, dtype=np.float64),
            np.array([_BACKREST.get(int(seat[n]), -1) for n in nodes], dtype=np.int8),
            np.zeros(len(nodes), dtype=np.int8),
            np.array([lon[n] for n in nodes], dtype=np.float64),
            np.array([lat[n] for n in nodes], dtype=np.float64),
        )

    return reader
