"""The route report's passes over a route's pieces (:func:`routing.report.build_route`).

Each reads the report table gathered for the route's edges once: what each piece shows
(:func:`report_piece_flags`), the barriers met and their places (:func:`barrier_rows`), the
street runs (:func:`segment_runs`) and the steepest known incline (:func:`top_incline`).
Floating-point work repeats the Python/numpy code it replaced operation by operation (the
figures in a response stay byte for byte); sums over a route stay in numpy, whose pairwise
summation a loop would not repeat (or :mod:`routing._kernels.sums` repeats it).
"""

from __future__ import annotations

import numpy as np

from accessibility_rules.kernel_loading import kernel
from routing._kernels.rounding import NEEDS_ROUNDING, round_fast

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
            rounded, close = round_fast(where_m, 10.0)
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
