"""Storage of the service: obstacles, their audit history, citizen reports and API keys.

SQLAlchemy 2 models (:mod:`api.db.models`), the engine and session factory
(:mod:`api.db.session`) and Alembic migrations run in code at start-up and by
``stufenlos db upgrade``. SQLite (default) and PostgreSQL are both supported.
"""
