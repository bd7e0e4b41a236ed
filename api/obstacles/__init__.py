"""Obstacles drawn by city staff and citizen reports: the one GeoJSON rule (``geometry``), schemas,
the transactional service, the live overlay that makes active obstacles change routes, and the
wiring that composes service and overlay at start-up (see ``routing.obstacles`` for how an
obstacle patches edge attributes)."""
