"""``api.db.upsert``: the dialect's ``INSERT … ON CONFLICT``, its module imported only when used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from api.db.models import RateLimitHit
from api.db.upsert import dialect_insert


@pytest.mark.parametrize(
    ("name", "dialect"), [("sqlite", sqlite.dialect()), ("postgresql", postgresql.dialect())]
)
def test_each_dialect_gets_its_insert_with_on_conflict(name: str, dialect: object) -> None:
    """Both supported dialects: an insert that writes ``ON CONFLICT … DO NOTHING`` in its SQL."""
    insert = dialect_insert(name)
    statement = (
        insert(RateLimitHit).values(client="k", window_start_s=1, hits=1).on_conflict_do_nothing()
    )
    assert "ON CONFLICT DO NOTHING" in str(statement.compile(dialect=dialect))


def test_another_dialect_is_refused() -> None:
    with pytest.raises(NotImplementedError, match="SQLite or PostgreSQL, not mysql"):
        dialect_insert("mysql")


_IMPORTED = """
import json, sys
from api.preload import preload_app
from api.settings import Settings
preload_app(Settings(graph_dir=sys.argv[1], database_url=f"sqlite:///{sys.argv[2]}"))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("sqlalchemy.dialects."))))
"""


def test_a_server_on_sqlite_does_not_import_the_postgresql_dialect(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    """The app as ``stufenlos serve`` preloads it on SQLite (its workers are forks of it) has
    SQLite's dialect and not PostgreSQL's, which would add ~2 MB to every worker's RSS."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED, str(centre_graph_dir), str(tmp_path / "a.db")],
        capture_output=True, text=True, timeout=300, check=True, env=dict(os.environ),
    )  # fmt: skip
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert "sqlalchemy.dialects.sqlite" in imported
    assert not [m for m in imported if m.startswith("sqlalchemy.dialects.postgresql")]
