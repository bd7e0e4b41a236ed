"""Arrays of evicted metrics written over by the next new one, instead of fresh memory.

A new personal profile's first request weighs every edge into six new arrays (on
Kaiserslautern three of 174 kB and three of 44 kB). Fresh memory costs a page fault on every
page first written (about a microsecond each here; the server maps every array of 128 KiB and
more on its own, ``api/heap.py``, so that it leaves with its metric): some 130 faults a new
profile. Once the metric cache is full, every new metric evicts an older one of the same
sizes, whose pages are resident; :meth:`routing.metric.MetricCache.make_room` evicts it
*before* the new one is weighed, and :func:`recyclable` hands its arrays to
:func:`accessibility_rules.weights.compute_weights` to be written over — if, and only if,
nothing else holds them.

"Nothing else" is decided by reference counts (CPython's exact counts; numpy's elision of
temporaries decides the same way): the evicted metric, its weights and each array must be
held by the cache's hand-over alone. A request still routing on that metric holds the metric
(its search reads the arrays through it) or an array itself; a metric or a patched copy that
shares an array (:mod:`routing.array_sharing`, ``graphs.arrays.with_rows``) holds that array;
an array in memory shared between processes (``routing.shared_arrays``) is a view (``base``
is set). Each of these keeps its array from being written over. The check runs under the
interpreter lock, and a reference no one holds cannot be taken after it. Where the counts may
be lower than the references (CPython 3.14 lets its interpreter borrow references on its stack
without counting them) or no lock orders the threads (a free-threaded build), nothing is
recycled.
"""

from __future__ import annotations

import sys

import numpy as np

from accessibility_rules.weights import EdgeWeights
from graphs.arrays import field_names
from routing.metric import Metric

#: Whether :func:`sys.getrefcount` counts every reference and the interpreter lock orders the
#: threads (CPython before 3.14, not free-threaded).
EXACT_COUNTS = (
    sys.implementation.name == "cpython"
    and sys.version_info < (3, 14)
    and getattr(sys, "_is_gil_enabled", lambda: True)()
)


def recyclable(evicted: list[Metric]) -> dict[str, np.ndarray]:
    """The weights' arrays of metrics in ``evicted`` (emptied) that nothing else holds, by the
    :class:`~accessibility_rules.weights.EdgeWeights` field they were: of the first metric
    that has any. The caller must hold no other reference to these metrics."""
    while evicted and EXACT_COUNTS:
        metric = evicted.pop()
        # references to the metric: this name and getrefcount's argument
        if sys.getrefcount(metric) != 2:
            continue
        weights = metric.weights
        # to the weights: the metric's field, this name, the argument
        if sys.getrefcount(weights) != 3:
            continue
        free: dict[str, np.ndarray] = {}
        for name in field_names(EdgeWeights):
            # to an array: the weights' field and the argument (no other holder, no view of it)
            if (
                isinstance(getattr(weights, name), np.ndarray)
                and sys.getrefcount(getattr(weights, name)) == 2
            ):
                array = getattr(weights, name)
                if array.base is None:
                    free[name] = array
        if free:
            evicted.clear()
            return free
    evicted.clear()
    return {}
