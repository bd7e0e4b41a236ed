"""The end rule (where a walk may start or end without breaking a limit) on whole arrays, with
numpy: the reference the kernel :func:`routing._kernels.snap.usable_end` is tested against."""

from __future__ import annotations

import numpy as np


def usable_ends(
    violations: np.ndarray, at_head: np.ndarray, reverse: np.ndarray, origin: bool
) -> np.ndarray:
    """Per edge, the end rule of :func:`routing._kernels.snap.usable_end` on whole arrays: no limit
    along the edge or its twin; for a start, also a clean head on one side."""
    has_twin = reverse >= 0
    twin = np.where(has_twin, violations[np.maximum(reverse, 0)], np.uint32(0))
    twin_head = np.where(has_twin, at_head[np.maximum(reverse, 0)], np.uint32(0))
    along_free = ((violations & ~at_head) | (twin & ~twin_head)) == 0
    if not origin:
        return along_free
    return along_free & ((at_head == 0) | (has_twin & (twin_head == 0)))
