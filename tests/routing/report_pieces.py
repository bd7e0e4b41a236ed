"""A walk's pieces as :func:`routing.report.build_route` makes them, for the tests of the report's
kernels: the report table's rows, each piece's metres walked, start and ``FLAG_*`` bits
(:func:`routing._kernels.pieces.report_piece_flags`), the polyline and the :class:`Pieces`
lists."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from accessibility_rules.attributes import BarrierKind
from accessibility_rules.profile import Profile
from routing._kernels import pieces as pieces_kernels
from routing.geometry import route_polyline
from routing.report_table import Pieces
from routing.verdict import verdict_plan


class WalkPieces(NamedTuple):
    block: np.ndarray
    lengths: np.ndarray
    at: np.ndarray
    flags: np.ndarray
    first_pt: np.ndarray
    last_pt: np.ndarray
    pieces: Pieces


def walk_pieces(
    router: Any, edges: np.ndarray, start: float, end: float, profile: Profile
) -> WalkPieces:
    """The pieces of the walk over ``edges`` from fraction ``start`` of the first to ``end`` of
    the last, for ``profile`` (its steep and narrow limits, its reported surfaces)."""
    table = router.customizer.report_table()
    plan = verdict_plan(profile)
    block = table.rows[edges]
    k = len(edges)
    lengths, at, flags = np.empty(k), np.empty(k), np.empty(k, dtype=np.int64)
    pieces_kernels.report_piece_flags(
        block, table.piece_columns, start, end, plan.steep_limit, plan.narrow_limit,
        plan.reported_surfaces, plan.reported_crossings, plan.reported_smoothness,
        float(BarrierKind.NONE), lengths, at, flags,
    )  # fmt: skip
    points, first_pt, last_pt = route_polyline(router.graph, edges, start, end)
    pieces = Pieces(
        flags.tolist(), at.tolist(), lengths.tolist(), points.tolist(), first_pt.tolist(),
        last_pt.tolist(),
    )  # fmt: skip
    return WalkPieces(block, lengths, at, flags, first_pt, last_pt, pieces)
