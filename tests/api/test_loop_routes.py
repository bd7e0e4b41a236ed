"""The queue of short routes on the event loop (:mod:`api.loop_routes`): first in, first out,
one job per turn of the loop (what was ready before a job runs before the next one), paused
while the CPU thread has a job and resumed by its answer, a job's exception logged without
stopping the queue, one queue per loop."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from api.cpu import cpu_idle, run_cpu
from api.loop_routes import LoopRoutes, loop_idle, loop_routes


def test_jobs_run_in_order_one_per_turn() -> None:
    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True)
        done = loop.create_future()

        def job(name: str, last: bool = False) -> None:
            seen.append(name)
            # ready after this job: runs before the next job, on the next turn
            loop.call_soon(seen.append, f"after {name}")
            if last:
                loop.call_soon(done.set_result, None)

        for name in "abc":
            queue.put(lambda name=name: job(name, last=name == "c"))
        assert len(queue) == 3
        loop.call_soon(seen.append, "ready before")  # put after the first job's turn was
        await done
        assert len(queue) == 0

    asyncio.run(main())
    assert seen == ["a", "ready before", "after a", "b", "after b", "c", "after c"]


def test_the_loop_reads_its_sockets_between_two_jobs() -> None:
    """A socket that becomes readable during a job is read before the job after the next one
    at the latest (the loop polls once per turn)."""
    order: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True)
        reader, writer = await asyncio.open_connection(*await _echo_server())
        got = loop.create_task(reader.readexactly(2))
        got.add_done_callback(lambda _: order.append("read"))

        def send() -> None:
            order.append("send")
            writer.write(b"hi")

        queue.put(send)
        for k in range(6):
            queue.put(lambda k=k: order.append(f"job {k}"))
        await asyncio.wait_for(got, 5)
        while len(queue):
            await asyncio.sleep(0)
        writer.close()

    asyncio.run(main())
    assert order.index("read") < len(order) - 1, order  # not only after the whole queue


async def _echo_server() -> tuple[str, int]:
    async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(await r.readexactly(2))
        await w.drain()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server.sockets[0].getsockname()[:2]


def test_a_job_that_raises_is_logged_and_the_next_runs(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True)
        done = loop.create_future()

        def boom() -> None:
            raise RuntimeError("bug")

        queue.put(boom)
        queue.put(lambda: (seen.append(1), done.set_result(None)))
        await done

    with caplog.at_level(logging.ERROR, logger="stufenlos.loop_routes"):
        asyncio.run(main())
    assert seen == [1]
    assert "a route job on the event loop raised" in caplog.text


def test_one_queue_per_loop_and_thread() -> None:
    async def main() -> tuple[LoopRoutes, bool, bool]:
        loop = asyncio.get_running_loop()
        queue = loop_routes(loop, lambda: True)
        assert loop_routes(loop, lambda: False) is queue
        idle_before = loop_idle()
        queue.put(lambda: None)
        busy = not loop_idle()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert loop_idle()
        return queue, idle_before, busy

    first, idle_before, busy = asyncio.run(main())
    assert idle_before
    assert busy
    second, _, _ = asyncio.run(main())  # a new loop in the same thread: a new queue
    assert second is not first
    other: list[LoopRoutes] = []
    thread = threading.Thread(target=lambda: other.append(asyncio.run(main())[0]))
    thread.start()
    thread.join(10)
    assert other
    assert other[0] is not second


def test_the_queue_waits_while_the_cpu_thread_has_a_job() -> None:
    """A job put while the CPU thread computes runs only after the thread's answer (which
    resumes the queue), never beside it."""
    order: list[str] = []
    release = threading.Event()

    def in_thread() -> str:
        release.wait(10)
        order.append("thread job")
        return "done"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = loop_routes(loop, cpu_idle)
        thread_job = loop.create_task(run_cpu(in_thread))
        await asyncio.sleep(0.05)
        assert not cpu_idle()
        done = loop.create_future()
        queue.put(lambda: (order.append("loop job"), done.set_result(cpu_idle())))
        for _ in range(5):
            await asyncio.sleep(0.01)
        assert order == []
        assert len(queue) == 1
        release.set()
        assert await asyncio.wait_for(thread_job, 10) == "done"
        assert await asyncio.wait_for(done, 10) is True  # ran with the thread idle

    asyncio.run(main())
    assert order == ["thread job", "loop job"]


def test_a_queue_waiting_for_another_loops_thread_job_goes_on() -> None:
    """The CPU thread is the process's: a job another loop put there (a second server in a
    test process) holds this loop's queue too, and its end lets the queue go on."""
    release, started = threading.Event(), threading.Event()
    ran = threading.Event()

    def in_thread() -> None:
        started.set()
        release.wait(10)

    other = threading.Thread(target=lambda: asyncio.run(run_cpu(in_thread)))
    other.start()
    assert started.wait(10)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop_routes(loop, cpu_idle).put(ran.set)
        await asyncio.sleep(0.05)
        assert not ran.is_set()  # waits for the other loop's job
        release.set()
        for _ in range(200):
            if ran.is_set():
                return
            await asyncio.sleep(0.01)

    asyncio.run(main())
    other.join(10)
    assert ran.is_set()
