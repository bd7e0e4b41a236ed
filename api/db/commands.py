"""``stufenlos keys …`` and ``stufenlos db …``: API keys and the database, on the command line
(the arguments are parsed in :mod:`api.cli`).

The database is the service's (``STUFENLOS_DATABASE_URL``, default the SQLite file in the cache
folder); every command migrates it first, so a fresh installation needs no extra step.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.db.availability import first_line

EXIT_USAGE = 2


def _sessions(url: str | None) -> Any:
    from api.db.session import make_engine, make_sessionmaker, upgrade
    from api.settings import Settings

    engine = make_engine(url or Settings().database_url)
    upgrade(engine)
    return make_sessionmaker(engine)


def _guarded(run: Any, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return int(run(args))
    except SQLAlchemyError as exc:
        print(f"stufenlos {args.command}: database error: {first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _keys_create(args: argparse.Namespace) -> int:
    from api.auth import check_key_name, create_key

    try:
        check_key_name(args.name)  # before the database is opened (or created)
    except ValueError as exc:
        print(f"stufenlos keys create: {exc}", file=sys.stderr)
        return EXIT_USAGE
    row, key = create_key(_sessions(args.database_url), args.name, args.role)
    print(f"created key {row.id} for {row.name!r} (role {row.role}); it is shown only this once:")
    print(key)
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from api.auth import list_keys

    rows = list_keys(_sessions(args.database_url))
    print(f"{'id':>4}  {'role':<6} {'created (UTC)':<20} {'revoked (UTC)':<20} name")
    for r in rows:
        revoked = r.revoked_at.strftime("%Y-%m-%d %H:%M:%S") if r.revoked_at else "-"
        print(
            f"{r.id:>4}  {r.role:<6} {r.created_at.strftime('%Y-%m-%d %H:%M:%S'):<20} "
            f"{revoked:<20} {r.name}"
        )
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from api.auth import revoke_key

    if not revoke_key(_sessions(args.database_url), args.id):
        print(
            f"stufenlos keys: there is no active key {args.id} (see 'stufenlos keys list')",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(f"revoked key {args.id}")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from api.db.session import current_revision, make_engine, resolve_url, upgrade
    from api.settings import Settings

    url = resolve_url(args.database_url or Settings().database_url)
    engine = make_engine(url)
    upgrade(engine)
    print(f"database {engine.url.render_as_string(hide_password=True)} is at revision "
          f"{current_revision(engine)}")  # fmt: skip
    return 0


def migrate_before_serving() -> None:
    """``stufenlos serve``: bring the configured database to the newest schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from api.db.session import make_engine, upgrade
    from api.settings import Settings

    engine = None
    try:
        engine = make_engine(Settings().database_url)
        upgrade(engine)
    except SQLAlchemyError as exc:
        print(f"stufenlos serve: database error: {first_line(exc)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    finally:
        if engine is not None:
            engine.dispose()


def cmd_keys(args: argparse.Namespace) -> int:
    """``stufenlos keys create|list|revoke``."""
    run = {"create": _keys_create, "list": _keys_list, "revoke": _keys_revoke}[args.keys_command]
    return _guarded(run, args)


def cmd_db(args: argparse.Namespace) -> int:
    """``stufenlos db upgrade``."""
    return _guarded(_db_upgrade, args)
