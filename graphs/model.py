"""The compiled accessibility graph: plain parallel arrays, the way routing engines want them.

Layout (RoutingKit style): ``n`` nodes and ``m`` directed edges ("arcs") sorted by tail, with
``first_out[v] .. first_out[v+1]`` the outgoing edges of ``v`` and ``head[e]`` / ``tail[e]`` their
ends. Pedestrian ways are two-way, but every way is stored as two arcs because incline and kerbs
depend on the direction; ``edge["reverse_edge"]`` links the twins.

Attributes live in two dictionaries of equally long arrays, ``edge`` (length ``m``) and ``node``
(length ``n``), named with their unit (``length_m``, ``incline_percent``, ``kerb_height_cm``).
Categorical attributes are ``int8`` codes of the enums in :mod:`accessibility_rules.attributes`
(``-1`` for *unknown*); numeric ones are floats with ``NaN`` for *unknown*. Which arrays exist,
their dtypes and meanings are listed once, in :mod:`accessibility_rules.registry`. Edge geometry is a CSR polyline table
(``geom_first``, ``geom_lon``, ``geom_lat``) drawn in the edge's direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accessibility_rules import registry

#: Sentinel for "no such edge/node" in integer index arrays.
INVALID_ID = -1


class GraphFormatError(ValueError):
    """A compiled graph on disk or in memory breaks the layout's invariants."""


#: dtype of every edge attribute array (the build writes exactly these; obstacles patch some).
#: Derived from :mod:`accessibility_rules.registry`, which documents each array.
EDGE_ATTRIBUTE_DTYPES: dict[str, str] = registry.dtypes("edge")

#: dtype of every node attribute array (from the registry too).
NODE_ATTRIBUTE_DTYPES: dict[str, str] = registry.dtypes("node")


@dataclass(slots=True)
class CompiledGraph:
    """A pedestrian graph with per-edge and per-node accessibility attributes.

    Build one with :func:`graphs.build.build_graph`, save and load it with
    :mod:`graphs.store`. Use :meth:`validate` after constructing one by hand.
    """

    first_out: np.ndarray  # int64[n + 1]
    head: np.ndarray  # int32[m]
    tail: np.ndarray  # int32[m]
    geom_first: np.ndarray  # int64[m + 1]
    geom_lon: np.ndarray  # float64[k]
    geom_lat: np.ndarray  # float64[k]
    edge: dict[str, np.ndarray]
    node: dict[str, np.ndarray]
    names: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    #: The seat table (``seat_edge``, ``seat_offset_m``, … and its CSR ``edge_seat_first``),
    #: filled by :func:`graphs.features.join_features`; read it with
    #: :func:`graphs.features.seats_on_edge`. Empty for a graph built without the join.
    seats: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        """Number of nodes ``n``."""
        return int(self.first_out.shape[0] - 1)

    @property
    def edge_count(self) -> int:
        """Number of directed edges ``m``."""
        return int(self.head.shape[0])

    def edge_coords(self, e: int) -> np.ndarray:
        """The polyline of edge ``e`` as an ``(k, 2)`` array of ``(lon, lat)``."""
        a, b = int(self.geom_first[e]), int(self.geom_first[e + 1])
        return np.column_stack((self.geom_lon[a:b], self.geom_lat[a:b]))

    def edge_name(self, e: int) -> str | None:
        """Street name of edge ``e`` (or of the street its sidewalk belongs to), if known."""
        i = int(self.edge["name_id"][e])
        return self.names[i] if i != INVALID_ID else None

    def validate(self) -> None:
        """Check the layout invariants; raise :class:`GraphFormatError` naming the first broken one."""
        n, m = self.node_count, self.edge_count
        checks: list[tuple[bool, str]] = [
            (n >= 1, "graph has no nodes"),
            (int(self.first_out[0]) == 0, "first_out[0] must be 0"),
            (int(self.first_out[-1]) == m, "first_out[-1] must equal the number of edges"),
            (bool(np.all(np.diff(self.first_out) >= 0)), "first_out must be non-decreasing"),
            (self.tail.shape == (m,), "tail must have one entry per edge"),
            (
                m == 0 or (int(self.head.min()) >= 0 and int(self.head.max()) < n),
                "head out of range",
            ),
            (self.geom_first.shape == (m + 1,), "geom_first must have m + 1 entries"),
            (bool(np.all(np.diff(self.geom_first) >= 2)), "every edge needs >= 2 geometry points"),
            # names are ids (routing._kernels.steps.leg_runs compares them): distinct, non-empty
            (
                all(self.names) and len(set(self.names)) == len(self.names),
                "names must be distinct non-empty strings",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise GraphFormatError(message)
        if self.seats:
            first = self.seats.get("edge_seat_first")
            k = len(self.seats.get("seat_edge", ()))
            if first is None or first.shape != (m + 1,) or int(first[-1]) != k:
                raise GraphFormatError(
                    "edge_seat_first must have m + 1 entries ending at the seats"
                )
            if any(a.shape != (k,) for name, a in self.seats.items() if name != "edge_seat_first"):
                raise GraphFormatError("every seat array needs one entry per seat")
        expected_tail = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.first_out))
        if not np.array_equal(expected_tail, self.tail):
            raise GraphFormatError("tail does not match first_out (edges must be sorted by tail)")
        for table, size, dtypes in (
            (self.edge, m, EDGE_ATTRIBUTE_DTYPES),
            (self.node, n, NODE_ATTRIBUTE_DTYPES),
        ):
            for name in dtypes:
                if name not in table:
                    raise GraphFormatError(f"attribute array {name!r} is missing")
                if table[name].shape != (size,):
                    raise GraphFormatError(f"attribute array {name!r} has the wrong length")
