"""One zeroed byte per edge, per thread: the room a kernel marks a walk's edges in.

Two tests of every route answer while obstacles are active mark the edges of a walk in an array
the size of the graph and read the marks of the obstacles' edges (:func:`routing._kernels.
obstacles_met` for the obstacles a route passes, :func:`routing._kernels.near_walk.ends_near_walk`
for those on a reference walk). Made anew for each call, that array cost a calloc of the graph's
size: nothing on Kaiserslautern (22 k edges), but on a graph of two million edges an ``mmap`` and
a page fault for every page the walk touched, ~55 µs a call and two or three calls an answer,
against ~0.5 µs for an array kept (measured 2026-12-07). So each thread keeps one, and the
kernels clear what they marked before they return: it is all zero between calls.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["edge_marks"]

_local = threading.local()


def edge_marks(edge_count: int) -> np.ndarray:
    """This thread's ``uint8`` array of ``edge_count`` zeros (made on first use; a kernel that
    marks it clears its marks before it returns, so it is all zero again). A bool view of it
    (``.view(np.bool_)``) serves kernels that mark with True."""
    marks: np.ndarray | None = getattr(_local, "marks", None)
    if marks is None or marks.size != edge_count:
        marks = _local.marks = np.zeros(edge_count, dtype=np.uint8)
    return marks
