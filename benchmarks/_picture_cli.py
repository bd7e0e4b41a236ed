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
import threading
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
    cache = router.metric_cache
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
        "router_revision": router.revision,
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
        "threads": threading.active_count(),
    }


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
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGUSR2, _write_picture))
    sys.exit(main(sys.argv[1:]))
