"""The served process's log never holds a request (``api/log_stream.py``): writes go to a queue
that a thread of their own writes out; a reader that does not read loses lines, not requests.

No data needed but for the last test (a real ``stufenlos serve`` whose log nobody reads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from api.log_stream import QueuedStream
from tests.api.serving import HOST, START_TIMEOUT_S, free_port, stop

REPO_ROOT = Path(__file__).resolve().parents[2]


def line(i: int) -> str:
    return f'{{"event":"access","n":{i},"pad":"{"x" * 150}"}}\n'


def test_everything_is_written_in_order_when_the_reader_keeps_up(tmp_path: Path) -> None:
    with (tmp_path / "log").open("w") as target:
        stream = QueuedStream(target)
        for i in range(5000):
            stream.write(line(i))
        stream.write("nicht ASCII: Bürgersteig\n")
        assert stream.drain(10.0)
    written = (tmp_path / "log").read_text()
    assert written == "".join(line(i) for i in range(5000)) + "nicht ASCII: Bürgersteig\n"


def test_a_write_does_not_wait_for_a_reader_that_does_not_read() -> None:
    """A pipe whose reader reads nothing: the writes return at once (before: the first write
    past the pipe's 64 KiB waited for the reader); past the queue's bound lines are dropped, and
    once the reader reads, what was kept comes in order, then a notice of what was dropped and
    the lines after it."""
    reading, writing = os.pipe()
    target = os.fdopen(writing, "w")
    stream = QueuedStream(target, max_pending_bytes=64 * 1024)
    started = time.monotonic()
    for i in range(3000):  # 3000 x 190 bytes: far past the pipe's buffer and the queue's bound
        stream.write(line(i))
    assert time.monotonic() - started < 2.0
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(_read_all(reading)))
    reader.start()
    assert stream.drain(10.0)  # the reader reads: what was kept goes out
    stream.write(line(3000))  # and a line after the loss
    assert stream.drain(10.0)
    target.close()
    reader.join(timeout=10)
    lines = got[0].decode().splitlines()
    notices = [json.loads(text) for text in lines if '"log_dropped"' in text]
    kept = [json.loads(text)["n"] for text in lines if '"access"' in text]
    assert notices  # one per loss: a second when the writer took the queue between two
    assert kept == sorted(kept)  # in order
    assert kept[-1] == 3000  # the last one, written after the loss
    lost = set(range(3001)) - set(kept)
    assert sum(n["lines"] for n in notices) == sum(n["writes"] for n in notices) == len(lost)
    assert sum(n["bytes"] for n in notices) == sum(len(line(i)) for i in lost)
    for at, text in enumerate(lines):  # each notice where its loss began
        if "log_dropped" in text and 0 < at < len(lines) - 1:
            before, after = json.loads(lines[at - 1])["n"], json.loads(lines[at + 1])["n"]
            assert set(range(before + 1, after)) <= lost
            assert after > before + 1


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def test_a_forked_child_writes_its_own_lines_once(tmp_path: Path) -> None:
    """The child gets a new lock, an empty queue and a writer of its own: what the parent had
    queued is written once (by the parent), what the child writes is written (before it ends)."""
    from api.log_stream import drain_output

    with (tmp_path / "log").open("w") as target:
        stream = QueuedStream(target)
        stream.write("parent before\n")
        pid = os.fork()
        if pid == 0:  # the child
            try:
                stream.write("child\n")
                stream.drain(5.0)
                drain_output()
            finally:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        stream.write("parent after\n")
        assert stream.drain(5.0)
    written = (tmp_path / "log").read_text().splitlines()
    assert sorted(written) == ["child", "parent after", "parent before"]


@pytest.mark.realdata
def test_a_server_whose_log_nobody_reads_answers_every_request(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    """``stufenlos serve`` with its output a pipe nobody reads (found 2026-12-07: 472 routes
    answered, then a worker stood in the write of an access line, every request of it waiting):
    1,500 routes, one after another, each answered; then the pipe is read and holds the
    server's lines."""
    port = free_port()
    command = [
        sys.executable, "-m", "api.cli", "serve", "--graph", str(centre_graph_dir),
        "--host", HOST, "--port", str(port), "--workers", "2",
    ]  # fmt: skip
    env = os.environ | {"STUFENLOS_DATABASE_URL": f"sqlite:///{tmp_path}/stufenlos.db"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT
    )
    base = f"http://{HOST}:{port}"
    body = {"origin": {"lat": 49.4447, "lon": 7.769}, "destination": {"lat": 49.439, "lon": 7.764}}
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "the server ended"
            try:
                if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        answered = 0
        with httpx.Client(base_url=base, timeout=5.0) as client:
            for _ in range(1500):
                answered += client.post("/routes", json=body).status_code == 200
        assert answered == 1500
    finally:
        assert process.stdout is not None
        got: list[bytes] = []  # read now: the queued lines come out, then the stop's
        reader = threading.Thread(target=lambda: got.append(process.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        time.sleep(1.0)
        stop(process)
        reader.join(timeout=30)
        process.stdout.close()
    out = got[0].decode()
    assert "forked from preloaded parent" in out
    assert out.count('"event":"access"') >= 1500  # and the health checks'
