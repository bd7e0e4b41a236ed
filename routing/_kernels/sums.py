"""numpy's pairwise summation in a kernel (:func:`pairwise_sum`): the same values in the same
order give the ``values.sum()`` numpy gives, bit for bit, so a kernel's totals equal the numpy
expressions they replaced."""

from __future__ import annotations

import numpy as np

from accessibility_rules.kernel_loading import kernel

#: Running sums of numpy's pairwise summation, and the most values it sums without halving.
_PAIRWISE_UNROLL = 8
_PAIRWISE_BLOCK = 128
#: Pending tasks of :func:`pairwise_sum`: at most two per level of halving above one more
#: (fewer than 64 levels for any array length).
_PAIRWISE_STACK = 2 * 64 + 2


@kernel
def _pairwise_block(values: np.ndarray, start: int, n: int) -> float:
    """numpy's ``pairwise_sum`` of ``values[start:start + n]`` for ``n`` ≤ 128: fewer than 8
    values added in turn, else 8 running sums combined as a tree, the rest added in turn."""
    if n < _PAIRWISE_UNROLL:
        res = 0.0
        for i in range(start, start + n):
            res += values[i]
        return res
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = start + _PAIRWISE_UNROLL
    stop = start + n - n % _PAIRWISE_UNROLL
    while i < stop:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += _PAIRWISE_UNROLL
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, start + n):
        res += values[j]
    return res


@kernel
def pairwise_sum(values: np.ndarray, n: int) -> float:
    """``values[:n].sum()`` exactly as numpy computes it for a contiguous float64 array: its
    pairwise summation added to the identity 0.0 (so an all ``-0.0`` sum is 0.0, as numpy's).
    Not a plain loop: a running sum rounds differently from 8 values on.

    Above 128 values numpy sums the two halves (split at a multiple of 8 below the middle) and
    adds them. numba cannot cache a recursive function, so the same tree is evaluated here from
    an explicit stack in postfix order: sum the left half, sum the right half, add them."""
    if n <= _PAIRWISE_BLOCK:
        return 0.0 + _pairwise_block(values, 0, n)
    task_start = np.empty(_PAIRWISE_STACK, dtype=np.int64)
    task_n = np.empty(_PAIRWISE_STACK, dtype=np.int64)  # -1: add the last two sums
    held = np.empty(_PAIRWISE_STACK)
    task_start[0], task_n[0] = 0, n
    tasks = 1
    sums = 0
    while tasks:
        tasks -= 1
        start, count = task_start[tasks], task_n[tasks]
        if count < 0:
            sums -= 1
            held[sums - 1] = held[sums - 1] + held[sums]
        elif count <= _PAIRWISE_BLOCK:
            held[sums] = _pairwise_block(values, start, count)
            sums += 1
        else:
            half = count // 2
            half -= half % _PAIRWISE_UNROLL
            task_start[tasks], task_n[tasks] = 0, -1
            task_start[tasks + 1], task_n[tasks + 1] = start + half, count - half
            task_start[tasks + 2], task_n[tasks + 2] = start, half
            tasks += 3
    return 0.0 + held[0]
