"""``stufenlos`` whose forked server workers write their memory picture on ``SIGUSR2``.

Run by :mod:`memory_picture` in place of ``python -m api.cli``; everything else is the real
command. A worker asked writes one JSON object to ``$STUFENLOS_PICTURE_DIR/<pid>.json``
(:func:`picture`). The handler runs between two bytecodes of the worker's main thread, so it
reads the router's caches as they are at that moment.
"""

from __future__ import annotations

import collections
import ctypes
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import threading
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

import api.server
from api.cli import main
from graphs.arrays import array_fields
from routing.shared_arrays import is_shared, memory_owner

_APPS: list[Any] = []


#: The fields of glibc's ``struct mallinfo2``, in order.
_MALLINFO2 = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2``."""

    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2.split()]


def _smaps_mb() -> dict[str, float]:
    """Resident MB of this process by kind of mapping (heap, anonymous, memfd, so, file)."""
    found: collections.Counter[str] = collections.Counter()
    kind = "[anon]"
    with open("/proc/self/smaps") as lines:
        for line in lines:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = parts[5] if len(parts) > 5 else "[anon]"
                if "memfd" in name:
                    kind = "memfd"
                elif ".so" in name:
                    kind = "so"
                elif name.startswith("/"):
                    kind = "file"
                else:
                    kind = name
            elif line.startswith("Rss:"):
                found[kind] += int(line.split()[1])
    return {k: round(v / 1024, 1) for k, v in found.most_common()}


def _metric_kind(cache: Any, key: Any) -> str:
    """``kept`` (a preset the server customised before forking), ``pristine`` (a map without
    obstacles), ``personal`` or ``preset-other`` (a preset in other conditions)."""
    if cache.kept(key):
        return "kept"
    if isinstance(key[0], str):
        return "pristine"
    return "personal" if key[0].customised else "preset-other"


def picture() -> dict[str, Any]:
    """This worker's memory: the metric cache's arrays held privately (not in the shared
    mapping) by kind, the kept presets' patched arrays equal to a sibling's at the same
    revision, the live obstacles' caches, malloc's account and ``smaps`` by kind."""
    app = _APPS[0]
    router = app.state.router
    cache = router.customizer.metric_cache
    seen: dict[int, tuple[str, int]] = {}
    for key, metric in cache.items():
        kind = _metric_kind(cache, key)
        for array in [*array_fields(metric.weights).values(), metric.landmarks.dist]:
            owner = memory_owner(array)
            if id(owner) not in seen:
                seen[id(owner)] = (kind, 0 if is_shared(array) else array.nbytes)
    private: collections.Counter[str] = collections.Counter()
    for kind, nbytes in seen.values():
        private[kind] += nbytes
    sibling: dict[tuple[str, int, str], int] = {}
    duplicate = 0
    for key, metric in cache.items():
        original = cache.original(key)
        if original is None or metric is original:
            continue
        held = {id(a) for a in array_fields(original.weights).values()}
        for name, array in array_fields(metric.weights).items():
            if id(array) in held:
                continue
            digest = hashlib.blake2b(array.tobytes(), digest_size=8).hexdigest()
            same = (name, metric.revision, digest)
            duplicate += array.nbytes if same in sibling else 0
            sibling[same] = array.nbytes
    live = getattr(app.state, "live_obstacles", None)
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {
        "router_revision": router.customizer.revision,
        "metrics": dict(collections.Counter(_metric_kind(cache, k) for k, _ in cache.items())),
        "bound_counted_mb": cache.nbytes / 1e6,
        "private_metric_mb": {k: v / 1e6 for k, v in private.most_common()},
        "kept_copies_equal_to_a_sibling_mb": duplicate / 1e6,
        "live_obstacles": None if live is None else len(live.active),
        "malloc_mb": {
            name: getattr(info, field) / 2**20
            for name, field in (
                ("system", "arena"),
                ("in_use", "uordblks"),
                ("free", "fordblks"),
                ("mmapped", "hblkhd"),
            )
        },
        "smaps_mb": _smaps_mb(),
        "pymalloc_mb": _pymalloc_mb(),
        "traced_growth": _traced_growth(),
        "threads": threading.active_count(),
    }


def _pymalloc_mb() -> dict[str, float]:
    """Python's small-object allocator (objects up to 512 bytes) in MB, from
    ``sys._debugmallocstats`` (written to file descriptor 2, read back): its arenas (1 MiB each)
    and the bytes of the objects in them. Most of it is the preloaded parent's (modules' code,
    the libraries' objects), shared with the fork but counted in every worker's RSS. Empty
    under tracemalloc (``--traced``): CPython prints these figures only while its own allocator
    is the one installed, and tracemalloc's hooks replace it."""
    wanted = {
        "# arenas allocated current": "arenas",
        "# bytes in allocated blocks": "objects",
        "# bytes in available blocks": "free_blocks",
    }
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()  # CPython's own account: no other way to these figures
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        key = wanted.get(name.strip())
        if key is not None:
            number = float(value.strip().replace(",", ""))
            found[key] = number if key == "arenas" else number / 2**20
    return found


def _traced_growth(lines: int = 25) -> list[str]:
    """With tracemalloc on (``memory_picture.py --traced``), the source lines whose allocations
    grew most since this worker was forked (tracemalloc's own lines), else empty."""
    if not tracemalloc.is_tracing() or not _AT_FORK:
        return []
    stats = tracemalloc.take_snapshot().compare_to(_AT_FORK[0], "lineno")
    return [str(stat) for stat in stats[:lines]]


#: tracemalloc's snapshot when the worker was forked (with ``--traced``).
_AT_FORK: list[tracemalloc.Snapshot] = []


def _after_fork() -> None:
    """In a new worker: the picture on ``SIGUSR2``, and what is allocated at its start."""
    signal.signal(signal.SIGUSR2, _write_picture)
    if tracemalloc.is_tracing():
        _AT_FORK.append(tracemalloc.take_snapshot())


def _write_picture(signum: int, frame: FrameType | None) -> None:
    folder = Path(os.environ["STUFENLOS_PICTURE_DIR"])
    try:
        text = json.dumps(picture())
    except Exception as exc:  # a diagnostic: say what failed instead of killing the worker
        text = json.dumps({"error": repr(exc)})
    (folder / f"{os.getpid()}.json").write_text(text)


def _preload(settings: Any) -> Any:
    app = _preload_app(settings)
    _APPS.append(app)
    return app


_preload_app = api.server.preload_app

if __name__ == "__main__":
    api.server.preload_app = _preload  # the app the workers are forked with
    os.register_at_fork(after_in_child=_after_fork)
    sys.exit(main(sys.argv[1:]))
