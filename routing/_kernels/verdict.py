"""A route's verdict in kernels (:mod:`routing.report`): the rule per edge
(:func:`verdict_masks_fill`), what the walk meets of each piece and breaks
(:func:`route_verdict`), and the unknown facts it relies on, counted and placed
(:func:`reliance_pieces`, runs of marked pieces by :func:`mark_runs`)."""

from __future__ import annotations

import numpy as np

from accessibility_rules.kernel_loading import kernel
from routing._kernels.sums import pairwise_sum

#: Positions in the ``rule`` argument of the verdict kernels: bits of the rule, then the
#: profile's (see :func:`routing.verdict.verdict_masks`).
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
    """THE verdict rule of one edge (:func:`routing.verdict.verdict_masks`, one edge)."""
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
    pieces: :func:`routing.verdict.piece_verdict` of each piece's verdict mask) and, per piece,
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
    """What a route's verdict relies on (:func:`routing.verdict.route_accessibility`), one entry per
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
            values[j] = pairwise_sum(scratch, walked)
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
    return pairwise_sum(scratch, walked)
