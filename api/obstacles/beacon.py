"""A write beacon shared by the worker processes of one host: "the obstacles changed".

Every worker keeps its own copy of the obstacle overlay and learns of other workers' writes from
the database's revision counter, read at most every ``obstacle_poll_s``. That read is the only
way across hosts, but on one host the workers share the machine's memory: a writer increments a
counter in a small memory-mapped file after its transaction committed, and every worker compares
that counter before each route (one 8-byte read). A write is then live in every worker of the
host for the next request that arrives, not after the next poll.

The file holds one little-endian uint64. It lives in a private folder of the system's temporary
directory (mode 0700, the file 0600), named after a hash of the database URL, so that processes
serving the same database meet and others do not. Increments hold an ``flock`` so that none is
lost; readers take no lock (a torn read is impossible for an aligned 8-byte word on the
platforms served, and a stale one only delays a refresh until the database poll).

When the file cannot be made (a read-only temporary directory), the beacon is off and the
database poll alone carries writes between workers, as before.

A temporary-file cleaner (``systemd-tmpfiles`` removes what it finds unchanged for ten days)
may remove the file while the workers hold it: they go on sharing the removed file, but a
worker forked after that (a dead one replaced) made a new one at the path, and its writes and
the others' reached each other only by the database poll. Each process now looks at the path
with every revision poll (:meth:`WriteBeacon.heal`: one ``stat``) and, when it names another
file or none, maps the file at the path (made again if gone): within a poll all processes
share one file again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import tempfile
import threading
from pathlib import Path

log = logging.getLogger("stufenlos.obstacles")

_WORD = struct.Struct("<Q")


def beacon_path(database_url: str) -> Path:
    """Where the beacon of ``database_url`` lives (a private folder per user)."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:20]
    folder = Path(tempfile.gettempdir()) / f"stufenlos-{os.getuid()}"
    return folder / f"obstacles-{digest}.beacon"


class WriteBeacon:
    """A counter in shared memory that obstacle writers increment and route workers read."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        self._fd: int | None = None
        self._swap = threading.Lock()  # a bump's flock and write on one file, not two
        if path is not None:
            try:
                self._open(path)
            except OSError as exc:
                log.warning("write beacon off (%s): writes reach other workers by polling", exc)
                self.close()

    @classmethod
    def for_database(cls, database_url: str) -> WriteBeacon:
        """The beacon shared by every process serving ``database_url`` on this host."""
        return cls(beacon_path(database_url))

    def _open(self, path: Path) -> None:
        self._fd, self._map = _mapped(path)

    def heal(self) -> bool:
        """Map the file at the path again if the one mapped is no longer there (removed, or
        replaced by another); whether it did. Called with every revision poll; a failure
        leaves the beacon as it was (the poll carries writes meanwhile)."""
        if self.path is None or self._fd is None:
            return False
        try:
            there = os.stat(self.path)
            mine = os.fstat(self._fd)
            if (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino):
                return False
        except FileNotFoundError:
            pass
        except OSError:
            return False
        try:
            fd, mapped = _mapped(self.path)
        except OSError as exc:
            log.warning("write beacon %s could not be made again: %s", self.path, exc)
            return False
        with self._swap:
            old = self._fd
            self._fd, self._map = fd, mapped  # readers holding the old map read it to the end
        os.close(old)
        log.warning("write beacon %s was removed: mapped anew", self.path)
        return True

    @property
    def enabled(self) -> bool:
        """False when the beacon could not be made (then only the database poll tells)."""
        return self._map is not None

    def value(self) -> int:
        """The counter now (0 when off)."""
        if self._map is None:
            return 0
        return int(_WORD.unpack_from(self._map, 0)[0])

    def bump(self) -> None:
        """Tell the other workers that a write committed."""
        with self._swap:
            fd, mapped = self._fd, self._map
            if mapped is None or fd is None:
                return
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                value = int(_WORD.unpack_from(mapped, 0)[0])
                _WORD.pack_into(mapped, 0, (value + 1) & 0xFFFF_FFFF_FFFF_FFFF)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Release the mapping and the file (the file stays for the other processes)."""
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _mapped(path: Path) -> tuple[int, mmap.mmap]:
    """The beacon file at ``path`` (made, with its private folder, if missing; extended to one
    word if shorter), opened and mapped: ``(fd, map)``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size < _WORD.size:
                os.ftruncate(fd, _WORD.size)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return fd, mmap.mmap(fd, _WORD.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    except BaseException:
        os.close(fd)
        raise
