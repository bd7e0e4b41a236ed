"""Independent truth: routes checked against a second, minimal reading of the raw OSM.

``osm_truth`` reads the shared extracts itself (no project tag code) and builds a networkx graph
with its own barrier rules; ``adapter`` is the one place that reads a project ``Route``;
``test_truth`` routes seeded pairs and the issue's reproducers and checks them.
"""
