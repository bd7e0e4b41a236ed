"""Lists of ids and rows cut to what one SQL statement takes.

An ``IN`` list binds one parameter per id, a multi-row ``INSERT`` one per value: SQLite takes at
most 32,766 bound parameters in a statement, PostgreSQL's driver 65,535, and an import of 8 MB
may hold 50,000 points. The obstacles' reads and writes (the reload's rows and geometries, the
stored matches, an import's lookup of the stored obstacles) go in slices of :data:`ID_CHUNK`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TypeVar

__all__ = ["ID_CHUNK", "chunks", "id_chunks"]

T = TypeVar("T")

#: Ids (or rows) per statement.
ID_CHUNK = 1000


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most :data:`ID_CHUNK` (one statement's ``IN`` list or rows)."""
    for start in range(0, len(items), ID_CHUNK):
        yield items[start : start + ID_CHUNK]


def id_chunks(ids: Collection[str]) -> Iterator[Sequence[str]]:
    """``ids`` sorted, in lists of at most :data:`ID_CHUNK` (one ``IN`` list each)."""
    return chunks(sorted(ids))
