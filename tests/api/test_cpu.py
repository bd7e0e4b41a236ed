"""The CPU thread of :mod:`api.cpu`: one job at a time, in order, results and errors handed back
to the awaiting caller, the caller's context variables seen, the loop free meanwhile, a new
thread in a forked child."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from api.cpu import GIL_SWITCH_INTERVAL_S, run_cpu

REQUEST = contextvars.ContextVar("request", default="none")


def test_results_errors_order_and_one_at_a_time() -> None:
    running = 0
    most = 0
    order: list[int] = []
    lock = threading.Lock()

    def job(i: int) -> tuple[int, str]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.002)
        order.append(i)
        with lock:
            running -= 1
        return i, threading.current_thread().name

    def fails() -> None:
        raise KeyError("x")

    def stops() -> None:
        raise StopIteration

    async def main() -> None:
        results = await asyncio.gather(*(run_cpu(job, i) for i in range(20)))
        assert [r[0] for r in results] == list(range(20))
        assert {r[1] for r in results} == {"stufenlos-cpu"}
        with pytest.raises(KeyError):
            await run_cpu(fails)
        with pytest.raises(RuntimeError, match="StopIteration"):  # not a caller left waiting
            await run_cpu(stops)
        assert await run_cpu(lambda: 7) == 7  # the thread lives on after errors

    asyncio.run(main())
    assert order == list(range(20))
    assert most == 1
    import sys

    assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL_S


def test_the_callers_context_is_seen() -> None:
    async def one(name: str) -> str:
        REQUEST.set(name)
        return await run_cpu(REQUEST.get)

    async def main() -> list[str]:
        return list(await asyncio.gather(one("a"), one("b"), one("c")))

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_the_loop_answers_while_a_job_runs_and_a_cancelled_wait_loses_nothing() -> None:
    release = threading.Event()

    async def main() -> None:
        slow = asyncio.ensure_future(run_cpu(release.wait, 5.0))
        queued = asyncio.ensure_future(run_cpu(lambda: "late"))
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)  # the loop runs while the thread is busy
        assert time.perf_counter() - t0 < 0.5
        queued.cancel()  # its caller gives up: the job is dropped, nothing else is disturbed
        release.set()
        assert await slow is True
        with pytest.raises(asyncio.CancelledError):
            await queued
        assert await run_cpu(lambda: "next") == "next"

    asyncio.run(main())


def test_a_forked_child_starts_its_own_thread() -> None:
    asyncio.run(run_cpu(lambda: None))  # the parent's thread exists
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is gone, a new one must answer
        code = 1
        try:
            code = 0 if asyncio.run(asyncio.wait_for(run_cpu(lambda: 42), 5.0)) == 42 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_apps_start_sets_short_gil_switches(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker may compute every route on its loop and start no CPU thread: its start sets the
    switch interval that the thread's first job would (threads wait at most that long)."""
    import sys

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        with make_client():
            assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL_S
    finally:
        sys.setswitchinterval(before)
