"""The C heap of a serving process (``api/heap.py``): one malloc arena for all its threads, and a
fixed mmap threshold."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap

import pytest

import api.cli
import api.heap
import api.server

#: A process that allocates in four threads and prints how many malloc heaps (arenas) it has,
#: by glibc's own account (``malloc_info``); with ``limit`` the arenas are limited first.
_THREADS = textwrap.dedent(
    """
    import ctypes, os, re, sys, tempfile, threading
    from api.heap import limit_heap_arenas
    if sys.argv[1] == "limit":
        assert limit_heap_arenas(1)
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    started, stop = threading.Barrier(5), threading.Event()
    def allocate():
        libc.malloc(4000)
        started.wait()
        stop.wait()
    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    path = os.path.join(tempfile.mkdtemp(), "info.xml")
    out = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
    stop.set()
    print(len(re.findall(r'<heap nr="', open(path).read())))
    """
)


#: A process that frees a mapped chunk of 4 MiB (glibc then raises its dynamic mmap threshold to
#: that size) and then allocates 200 kB; prints how many chunks that allocation mapped (glibc's
#: ``mallinfo2().hblks``); with ``fix`` the threshold is fixed first.
_MAPPED = textwrap.dedent(
    """
    import ctypes, sys
    from api.heap import fix_mmap_threshold
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = Info
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    if sys.argv[1] == "fix":
        assert fix_mmap_threshold()
    libc.free(libc.malloc(4 << 20))
    before = libc.mallinfo2().hblks
    kept = libc.malloc(200_000)
    print(libc.mallinfo2().hblks - before)
    """
)


def _run(script: str, mode: str, drop: str) -> int:
    """Run ``script`` with ``mode`` in a subprocess whose environment lacks ``drop`` (glibc's
    default for it); what it prints, as an int."""
    env = {k: v for k, v in os.environ.items() if k != drop}
    done = subprocess.run(
        [sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def heaps(mode: str) -> int:
    """How many malloc heaps a process of four allocating threads ends with (``mode``: "limit"
    or "default")."""
    return _run(_THREADS, mode, "MALLOC_ARENA_MAX")


def test_threads_share_one_arena_once_limited() -> None:
    assert heaps("default") > 1  # glibc gives each allocating thread an arena of its own
    assert heaps("limit") == 1


def test_the_environments_arena_limit_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's ``MALLOC_ARENA_MAX`` is not overridden."""
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert api.heap.limit_heap_arenas() is False


def test_a_fixed_threshold_maps_what_glibc_would_take_from_the_heap() -> None:
    """After a large mapped chunk is freed, glibc serves a per-edge array (200 kB) from the heap;
    with the threshold fixed it maps it (a mapping of its own, unmapped when freed)."""
    assert _run(_MAPPED, "default", "MALLOC_MMAP_THRESHOLD_") == 0
    assert _run(_MAPPED, "fix", "MALLOC_MMAP_THRESHOLD_") == 1


def test_the_environments_mmap_threshold_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert api.heap.fix_mmap_threshold() is False


@pytest.mark.parametrize("nbytes", [0, -1, api.heap.MAX_MMAP_THRESHOLD_BYTES + 1])
def test_an_mmap_threshold_out_of_glibcs_range_is_refused(nbytes: int) -> None:
    with pytest.raises(ValueError, match="mmap threshold of 1 to"):
        api.heap.fix_mmap_threshold(nbytes)


def test_at_least_one_arena() -> None:
    with pytest.raises(ValueError, match="at least one"):
        api.heap.limit_heap_arenas(0)


def test_serve_limits_the_arenas_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """``stufenlos serve`` limits the arenas and fixes the mmap threshold before the server (and
    numpy's thread) starts: the forked workers inherit both."""
    calls: list[str] = []

    def limit() -> bool:
        calls.append("limit")
        return True

    def fix() -> bool:
        calls.append("fix")
        return True

    def serve(**_: object) -> int:
        calls.append("serve")
        return 0

    monkeypatch.setattr(api.heap, "limit_heap_arenas", limit)
    monkeypatch.setattr(api.heap, "fix_mmap_threshold", fix)
    monkeypatch.setattr(api.server, "serve", serve)
    args = argparse.Namespace(
        graph=None, osm=None, dem=None, host="127.0.0.1", port=0, workers=1, log_level="info"
    )
    assert api.cli.cmd_serve(args) == 0
    assert calls == ["limit", "fix", "serve"]
