"""Tools for testers, beside the service rather than inside it: ``stufenlos bench`` (many trips
under every profile; CSV, JSON summary and plots), seeded random pairs, the networkx cross-check.

Layering: ``testers`` uses ``routing``, ``graphs`` and ``accessibility_rules``; it never imports
``api`` (the HTTP service does not depend on it either; the command line only dispatches to
:func:`testers.bench.run_bench`).
"""
