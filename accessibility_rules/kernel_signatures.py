"""The signatures the kernels are built for ahead of time (:mod:`routing.kernel_build`).

Plain data, no numba: the build turns them into numba's types (:func:`numba_type`), and
:func:`fits` tests a call's arguments against them with numpy alone. One signature per kernel:
the types its callers in the engine and the API pass (the compiled graph's dtypes: ``head``
int32, per-edge attributes in their stored dtypes, caller-made arrays C-contiguous).

A type is a code: scalars ``f8 f4 i8 i4 i2 i1 u4 u2 u1 b1``; a C-contiguous array
``f8[:]`` (1-D) or ``f8[:,:]`` (2-D); an array of any layout ``f8[~]`` (the geometry's columns
are strided views); a tuple of codes for a tuple; ``None`` for no result. Whether an array is
read-only is not part of a build's signature (the built code never writes into an input it only
reads).

A call with other types must not reach the build: its argument conversion checks only an
array's item size, so an int64 array where float64 is declared, or a strided one where a
contiguous one is, would be misread. The engine's own calls pass the declared types (the test
suite runs every call through :func:`fits`: the ``checked`` mode of
:mod:`accessibility_rules.kernel_loading`); the kernels of :data:`GUARDED` read attribute arrays
a caller hands in (a graph of any origin), and test every call (numba's JIT answers one that
does not fit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from accessibility_rules.pollen import TREE_TAXA

#: A type code (see the module docstring).
Code = str | tuple[Any, ...] | None

# :data:`routing._kernels.search.Graph`, ``Workspace``, ``Ends``, ``Bound``; the rest search's
# tuples.
GRAPH = ("i8[:]", "i4[:]", "f8[:]")
WORKSPACE = ("f8[:]", "i8[:]", "i8[:]", "i8[:]", "i8[:]", "f8[:]", "i8[:]", "f8[:]")
ENDS = ("i8[:]", "f8[:]")
BOUND = ("f8[:]", "f8[:]", "f8", "f8", "f8", "f8[:,:]", "f8[:,:]", "f8")
SEATS = ("f8[:]", "f8[:]", "f8[:]", "f8[:]")
REST_ENDS = ("i8[:]", "f8[:]", "f8[:]")
REST_WORK = ("i8[:]", "f8[:]", "f8[:]", "f8[:]", "f8[:]", "f8[:]")
#: The tree genera's count columns of the weights pass, one per genus (float32 as the graph
#: stores them: read in place, not stacked).
TREE_COLUMNS = ("f4[:]",) * len(TREE_TAXA)
LABEL_POOL = ("i8[:]", "f8[:]", "f8[:]", "i8[:]", "i8[:]", "i8[:]", "u1[:]", "f8[:]", "i8[:]")

_R = "routing._kernels."
_A = "accessibility_rules._kernels."
_S = "accessibility_rules._sun_kernels."
_f8, _i8, _i4, _u2, _b1 = "f8[:]", "i8[:]", "i4[:]", "u2[:]", "b1[:]"
_i1, _f4 = "i1[:]", "f4[:]"

#: ``"module.kernel"`` → (its result, its arguments).
# fmt: off
SIGNATURES: dict[str, tuple[Code, tuple[Code, ...]]] = {
    _R + "search.search": (("f8", "i8", "i8"), (GRAPH, WORKSPACE, "i8", ENDS, ENDS, BOUND, "i8", "i8")),
    _R + "search.extract_path": ("i8", (_i8, _i4, "i8", _i8)),
    _R + "search.point_search": (
        ("i8", "f8", "f8", "f8", "i8"),
        (GRAPH, _i4, _i8, _f8, _f8, WORKSPACE, "i8", "i8", "f8", "i8", "f8", _f8, _f8, "f8", "f8",
         "f8", "f8[:,:]", "f8[:,:]", "f8", "i8", _i8),
    ),
    _R + "snap.usable_end": ("b1", ("i8", _u2, _u2, _i8, "b1")),
    _R + "near_walk.any_circle_within": ("b1", (_f8, _f8, _f8, _b1, "f8", "f8", "f8", "f8", "f8")),
    _R + "near_walk.ends_near_walk": (
        "i8", (_i8, _b1, _b1, _i8, _i8, _f8, _f8, _i8, _f8, _f8, "f8", _b1),
    ),
    _R + "near_walk.any_end_within": ("b1", (_b1, _f8, _f8, _i8, _f8, _f8, "f8")),
    _R + "near_walk.walks_through_cost_more": (
        "b1", (_i8, _i4, _i4, _f8, _f8, "f8[:,:]", "f8", _i8, _i8, "f8"),
    ),
    _R + "near_walk.obstacles_met": ("i8", (_i8, _i8, _b1, "u1[:]", "u1[:]", _i8, _i8, _i8, _b1)),
    _R + "snap.snap_nearest": (
        ("i8", "f8", "f8"),
        ("f8", "f8", "f8", "f8", "f8", "i8", "i8", _i8, _i4, _f8, _f8, _f8, _f8, _i4, _f8, "f8",
         _u2, _u2, _i8, "i8"),
    ),
    _R + "polyline.polyline_capacity": ("i8", (_i8, _i8)),
    _R + "polyline.route_polyline_fill": ("i8", (_i8, _f8, _f8, _i8, "f8", "f8", "f8[:,:]", _i8, _i8)),
    _R + "pieces.report_piece_flags": (
        None, ("f8[:,:]", _i8, "f8", "f8", "f8", "f8", _b1, _b1, _b1, "f8", _f8, _f8, _i8),
    ),
    _R + "verdict.verdict_masks_fill": (
        None, (_u2, _u2, _u2, "f8[:,:]", _i8, _b1, _b1, _b1, _i8, _f8, "u1[:]"),
    ),
    _R + "verdict.route_verdict": (
        "i8",
        (_i8, _u2, _u2, _u2, "f8[:,:]", _i8, _b1, _b1, _i4, _i4, _f8, "f8", "f8", _i8, _f8, _i8,
         _i8, _i8),
    ),
    _R + "pieces.barrier_rows": (
        "i8", (_i8, _f8, _f8, _i8, _i8, "f8[:,:]", _i8, "f8", "f8", "f8[:,:]")
    ),
    _R + "verdict.reliance_pieces": (
        "f8",
        (_i8, _i8, _f8, "f8[:,:]", "i8", "i8", _i8, _i8, "i8", "i8", _b1, _i8, _i8, _f8, _b1,
         _b1, _f8),
    ),
    _R + "pieces.segment_runs": ("i8", ("f8[:,:]", _i8, _i8, _i8, _i8, _i8, "i8[:,:]")),
    _R + "rests.rest_step": ("f8", ("f8", "f8", "f8", "f8", "f8", "f8")),
    _R + "rests.rest_search": (
        ("f8", "i8", "i8", "i8", "i8"),
        (GRAPH, SEATS, "f8", REST_ENDS, REST_WORK, BOUND, LABEL_POOL, _i8, _i8, "i8", "i8", "f8"),
    ),
    _R + "rests.rest_extract": (("i8", "i8"), (_i8, _i8, "i8", _i8)),
    _R + "rests.rest_reachable": (
        "i8",
        (GRAPH, SEATS, "f8", REST_ENDS, REST_WORK, _f8, _i8, "i8", _f8, _i8, "i8",
         (_f8, _f8, "f8", "f8")),
    ),
    _R + "steps.turn_kinds": (None, ("f8[~]", "f8[~]", _i8, _f8, _f8, "f8", _f8, _i1)),
    _R + "steps.leg_runs": (
        "i8",
        ("i8[:,:]", "i8", _f8, _i8, "f8[~]", "f8[~]", "f8", "f8", "f8", _i8, _i8, _f8, _f8,
         _f8, "i8[:,:]"),
    ),
    _R + "pieces.top_incline": ("i8", ("f8[:,:]", "i8", _i8)),
    _R + "rests.walk_seat_rows": (
        "i8", (_i8, "f8", "f8", _f8, _f8, _f4, _i8, _f4, "f8", _f8, _i8)
    ),
    _R + "verdict.mark_runs": ("i8", (_b1, _b1, _i8)),
    _R + "rounding.round_fill": ("i8", (_f8, "f8", _f8, _i8)),
    _R + "facts.incline_runs": ("i8", (_i8, _f8, _f4, _i1, _f8, "i8", "i8", _f8, _f8, _i8)),
    _R + "facts.incline_json_fill": ("i8", (_f8, _f8, _i8, "i8", "u1[:]", _i8, "u1[:]")),
    _R + "facts.green_light_sums": (
        "i8", (_i8, _f8, "i8", _f4, _i4, _i1, "i8", "i8", "f8[:,:]", _f8, _i8, _f8),
    ),
    _A + "edge_events": (
        None,
        (_b1, _i1, _f4, _f4, _i1, _i1, "i2[:]", _i1, _i1, _i1, _i1, _i1, _i1, _i1, _i1, _i1,
         _i1, _b1, _b1, _u2, _u2),
    ),
    _A + "edge_weights": (
        None,
        (_f8, _f4, _i1, _i1, _f4, "i2[:]", _i1, _f4, _i1, _f4, _i1, _i1, _i1, _f4, _u2, _u2,
         TREE_COLUMNS, _f4, _f4, _f4, _f8, _i8, _i1, _b1, _b1, _f8, _f8, _u2, _u2, _f8, _u2,
         _f8, "f8[:,:]"),
    ),
    _S + "refraction_deg": ("f8", ("f8",)),
    _S + "sun_at": (("f8", "f8"), ("f8",)),
    _S + "elevation_deg": ("f8", ("f8", "f8", "f8", "f8", "i8", "i8", "i8")),
    _S + "crossing_minutes": ("f8", ("f8", "f8", "f8", "f8", "f8", "f8", "f8", "b1")),
    _S + "sun_of_day": (
        ("f8", "f8", "f8"), ("f8", "f8", "f8", "f8", "i8", "i8", "i8", "f8", "f8"),
    ),
}
# fmt: on

#: Kernels that read attribute arrays a caller hands in (a graph's columns, whatever built it):
#: every call is tested with :func:`fits`, and one that does not fit goes to numba's JIT.
GUARDED = frozenset({_A + "edge_events", _A + "edge_weights", _R + "facts.incline_runs"})

#: Kernels without a signature besides the private ones: helpers that only other kernels call,
#: here those that kernels of other modules call too (Python calls them only in tests, where
#: numba's JIT answers).
HELPERS = frozenset({
    _R + "polyline.turn_deltas", _R + "steps.turn_kind", _R + "search.heap_push",
    _R + "search.heap_pop", _R + "search.lower_bound", _R + "rounding.round_fast",
    _R + "sums.pairwise_sum",
})  # fmt: skip

_DTYPES: dict[str, np.dtype[Any]] = {
    "f8": np.dtype(np.float64), "f4": np.dtype(np.float32), "i8": np.dtype(np.int64),
    "i4": np.dtype(np.int32), "i2": np.dtype(np.int16), "i1": np.dtype(np.int8),
    "u4": np.dtype(np.uint32), "u2": np.dtype(np.uint16), "u1": np.dtype(np.uint8),
    "b1": np.dtype(np.bool_),
}  # fmt: skip
_INTEGERS = (int, np.integer)
_NUMBERS = (int, float, np.integer, np.floating)


def _array_code(code: str) -> tuple[np.dtype, int, bool] | None:
    """(dtype, dimensions, any layout) of an array code; None for a scalar code."""
    if "[" not in code:
        return None
    base, shape = code.split("[", 1)
    return _DTYPES[base], shape.count(":") or 1, shape.startswith("~")


def fits(code: Code, value: Any) -> bool:
    """Whether ``value`` may be passed where the build takes ``code`` (numpy only)."""
    return _checker(code)(value)


@functools.cache
def _checker(code: Code) -> Callable[[Any], bool]:
    """:func:`fits` for ``code``, the code read once (a guarded kernel tests every call)."""
    if isinstance(code, tuple):
        parts = tuple(_checker(c) for c in code)
        count = len(parts)

        def tuple_fits(value: Any) -> bool:
            return (
                isinstance(value, tuple)
                and len(value) == count
                and all(check(v) for check, v in zip(parts, value, strict=True))
            )

        return tuple_fits
    assert code is not None
    array = _array_code(code)
    if array is not None:
        dtype, ndim, any_layout = array

        def array_fits(value: Any) -> bool:
            return (
                isinstance(value, np.ndarray)
                and value.dtype == dtype
                and value.ndim == ndim
                and (any_layout or value.flags.c_contiguous)
            )

        return array_fits
    kinds: tuple[type, ...] = (
        (bool, np.bool_)
        if code == "b1"
        else (*_INTEGERS, bool, np.bool_)
        if code[0] in "iu"
        else (*_NUMBERS, bool, np.bool_)
    )
    return lambda value: isinstance(value, kinds)


@functools.cache
def _argument_checkers(key: str) -> tuple[Callable[[Any], bool], ...]:
    return tuple(_checker(c) for c in SIGNATURES[key][1])


def arguments_fit(key: str, args: tuple[Any, ...]) -> bool:
    """Whether ``args`` fit kernel ``key``'s declared arguments."""
    checks = _argument_checkers(key)
    return len(args) == len(checks) and all(check(a) for check, a in zip(checks, args, strict=True))


def numba_type(code: Code) -> Any:
    """numba's type of ``code`` (the build's; imports numba)."""
    from numba import from_dtype
    from numba import types as nt

    if code is None:
        return nt.none
    if isinstance(code, tuple):
        return nt.Tuple(tuple(numba_type(c) for c in code))
    array = _array_code(code)
    scalar = from_dtype(_DTYPES[code.split("[", 1)[0]])
    if array is None:
        return scalar
    _, ndim, any_layout = array
    return nt.Array(scalar, ndim, "A" if any_layout else "C")


def numba_signature(key: str) -> Any:
    """numba's signature of kernel ``key``."""
    result, arguments = SIGNATURES[key]
    return numba_type(result)(*(numba_type(a) for a in arguments))
