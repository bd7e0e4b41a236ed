"""The numba kernels of the routing engine, a module per concept.

Small ``@kernel`` functions (:mod:`accessibility_rules.kernel_loading`:
``numba.njit(cache=True, nogil=True)``, or their ahead-of-time build for
:mod:`accessibility_rules.kernel_signatures`) over contiguous typed arrays that write into
caller-allocated outputs. No Python callables, no objects: the Python classes around them
(:mod:`routing.engine`, :mod:`routing.report`, …) own validation, errors and results.

- :mod:`~routing._kernels.search`: A* to a point, Dijkstra to marked nodes, the landmark
  distances, a whole point-to-point query (the graph's conventions are written there);
- :mod:`~routing._kernels.snap`: the nearest usable edge to a point;
- :mod:`~routing._kernels.near_walk`: the staff's obstacles near a walk, passed or avoided;
- :mod:`~routing._kernels.polyline`: a route's line and the turns at its junctions;
- :mod:`~routing._kernels.pieces`: the report's passes over a route's pieces;
- :mod:`~routing._kernels.verdict`: the verdict's rule, breaks and reliances;
- :mod:`~routing._kernels.rests`: the rest-constrained search and the seats along a walk;
- :mod:`~routing._kernels.steps`: the turns and legs the spoken steps say;
- :mod:`~routing._kernels.facts`: pollen, green and light sums, the incline profile and its JSON;
- :mod:`~routing._kernels.rounding`, :mod:`~routing._kernels.sums`: Python's ``round`` to tenths
  and numpy's pairwise summation, repeated exactly inside kernels.

The search kernels release the GIL (``nogil=True``), so threads of the server search in
parallel; so do the built ones. A kernel's floating-point work repeats the Python/numpy code it
replaced operation by operation (the figures in a response stay byte for byte), and every kernel
is tested against that code or another reference (``tests/routing/test_kernels.py``,
``test_report_kernels.py``, ``test_instructions_kernels.py``, ``test_fact_sums.py``, …). A
kernel calls kernels of its own module and those it imports from another (the rest search the
heap, the steps the turns, the report and the facts the rounding and the sums): the
ahead-of-time build and the JIT's stand-ins follow those imports
(:mod:`accessibility_rules.kernel_loading`).
"""
