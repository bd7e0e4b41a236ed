"""Obstacles drawn by city staff and citizen reports: schemas, the transactional service, and the
live overlay that makes active obstacles change routes (see ``routing.obstacles`` for how an
obstacle patches edge attributes)."""
