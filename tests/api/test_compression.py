"""The route answer's gzip (ISA-L): any gzip reader decodes it, and equal answers give equal bytes."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import zlib

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.compression import ISAL_LEVELS, accepts_gzip, gzip_body
from api.settings import Settings


@given(data=st.binary(max_size=50_000), level=st.sampled_from(list(ISAL_LEVELS)))
def test_stdlib_gzip_and_zlib_decode_it(data: bytes, level: int) -> None:
    packed = gzip_body(data, level)
    assert gzip.decompress(packed) == data
    assert zlib.decompress(packed, wbits=31) == data  # what browsers' and apps' zlib do
    assert packed[4:8] == b"\0\0\0\0"  # modification time 0: no clock in the bytes
    assert gzip_body(data, level) == packed


def test_no_buffer_the_servers_mmap_threshold_would_map() -> None:
    """ISA-L at its smallest memory level: compressing an answer maps no memory under the serving
    process's fixed threshold (api/heap.py), as its default level would every time (glibc's
    ``malloc_stats``: the most bytes ever mapped, before and after)."""
    script = (
        "import ctypes\n"
        "from api.compression import gzip_body\n"
        "from api.heap import fix_mmap_threshold\n"
        "libc = ctypes.CDLL(None)\n"
        "assert fix_mmap_threshold()\n"
        "data = b'{\"steps\":[' + b'{\"text\":\"Turn left\"},' * 2000 + b']}'\n"
        "libc.malloc_stats()\n"
        "for level in range(4):\n"
        "    gzip_body(data, level)\n"
        "libc.malloc_stats()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    mapped = re.findall(r"max mmap bytes\s*=\s*(\d+)", done.stderr)
    assert len(mapped) == 2, done.stderr
    assert mapped[0] == mapped[1]


def test_json_answer_shrinks() -> None:
    answer = b'{"routes":[{"steps":[' + b'{"text":"Turn left onto Marktstrasse"},' * 200 + b"]}]}"
    assert len(gzip_body(answer, 3)) < len(answer) // 10


@pytest.mark.parametrize("level", [-1, 4, 9])
def test_levels_outside_isal_are_refused(level: int) -> None:
    with pytest.raises(ValueError, match="0-3"):
        gzip_body(b"{}", level)
    with pytest.raises(ValidationError):
        Settings(route_gzip_level=level)


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        (b"gzip", True),
        (b"gzip, deflate, br", True),
        (b"GZIP", True),
        (b"br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        (b"x-gzip;q=0.5", True),
        (b"*;q=0.3", True),
        (b"gzip;q=0", False),  # refused (RFC 9110 12.5.3): was compressed
        (b"gzip;q=0.000, identity", False),
        (b"gzip;q=0, *;q=1", False),  # its own quality wins over the wildcard's
        (b"br, *;q=0", False),
        (b"gzip;q=oops", False),  # unreadable: not accepted
        (b"gzip;q=nan", False),
        (b"identity", False),
        (b"*", False),  # no quality, no name: as before (the wildcard alone keeps identity)
        (b"", False),
    ],
)
def test_gzip_only_where_the_client_takes_it(accept: bytes, gzipped: bool) -> None:
    assert accepts_gzip([(b"accept-encoding", accept)]) is gzipped
    assert accepts_gzip([(b"host", b"x")]) is False


def test_other_answers_are_not_gzipped_against_a_quality_of_zero(client: TestClient) -> None:
    """``/profiles`` goes through the app's gzip middleware, which compressed whenever "gzip"
    was named, ``gzip;q=0`` too (found by a hostile-input battery)."""
    took = client.get("/profiles", headers={"Accept-Encoding": "gzip"})
    assert took.headers.get("content-encoding") == "gzip"
    refused = client.get("/profiles", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert refused.json() == took.json()
    origin, destination = {"lat": 49.4447, "lon": 7.7690}, {"lat": 49.4390, "lon": 7.7640}
    route = {"origin": origin, "destination": destination}
    answer = client.post("/routes", json=route, headers={"Accept-Encoding": "gzip;q=0"})
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
