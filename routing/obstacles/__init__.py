"""Obstacles reported by city staff, as time-bounded patches of edge and node attributes.

Three modules, one per step: :mod:`~routing.obstacles.matching` (a geometry → the edges and nodes
it means), :mod:`~routing.obstacles.effect` (the validated attribute patch) and
:mod:`~routing.obstacles.overlay` (the active obstacles applied to a live router).
"""
