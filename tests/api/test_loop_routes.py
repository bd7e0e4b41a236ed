"""The queue of short routes on the event loop (:mod:`api.loop_routes`): first in, first out,
up to a number of jobs per turn of the loop and none started after the turn's time (what was
ready before a turn runs before the next one), the turn's writes after its jobs, in order,
paused while the CPU thread has a job and resumed by its answer, a job's or a write's exception
logged without stopping the queue, one queue per loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from api.cpu import cpu_idle, run_cpu
from api.loop_routes import TURN_ROUTES, LoopRoutes, loop_idle, loop_routes


def test_jobs_run_in_order_one_per_turn() -> None:
    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=1)
        done = loop.create_future()

        def job(name: str, last: bool = False) -> None:
            seen.append(name)
            # ready after this job: runs before the next job, on the next turn
            loop.call_soon(seen.append, f"after {name}")
            if last:
                loop.call_soon(done.set_result, None)

        for name in "abc":
            queue.put(functools.partial(job, name, last=name == "c"))
        assert len(queue) == 3
        loop.call_soon(seen.append, "ready before")  # put after the first job's turn was
        await done
        assert len(queue) == 0

    asyncio.run(main())
    assert seen == ["a", "ready before", "after a", "b", "after b", "c", "after c"]


def test_a_turn_runs_several_jobs_then_their_writes_in_order() -> None:
    """Up to ``turn_routes`` jobs back to back, then what each returned (its answer's write),
    in the jobs' order; a job that returns None writes nothing; the next turn after what was
    ready meanwhile."""
    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=3, turn_s=60.0)
        done = loop.create_future()

        def job(name: str) -> Callable[[], None] | None:
            seen.append(name)
            loop.call_soon(seen.append, f"after {name}")
            if name == "c":
                return None  # answered otherwise (the CPU thread, the app)
            if name == "e":
                loop.call_soon(done.set_result, None)
            return lambda: seen.append(f"write {name}")

        for name in "abcde":
            queue.put(functools.partial(job, name))
        await done

    asyncio.run(main())
    assert seen == [
        "a", "b", "c", "write a", "write b", "after a", "after b", "after c",
        "d", "e", "write d", "write e", "after d", "after e",
    ]  # fmt: skip


def test_a_turn_starts_no_job_after_its_time() -> None:
    """A job that outlasts the turn's time ends the turn (its write goes out at once); the
    jobs after it run on the next turns."""
    turns: list[list[str]] = [[]]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=TURN_ROUTES, turn_s=0.02)
        done = loop.create_future()

        def job(name: str, seconds: float) -> Callable[[], None]:
            time.sleep(seconds)
            turns[-1].append(name)
            return lambda: turns.append([]) if name != "d" else done.set_result(None)

        queue.put(lambda: job("a", 0.0))
        queue.put(lambda: job("b", 0.03))  # the turn's time is up after it
        queue.put(lambda: job("c", 0.0))
        queue.put(lambda: job("d", 0.0))
        await done

    asyncio.run(main())
    assert turns[0] == ["a", "b"]
    assert [name for turn in turns[1:] for name in turn] == ["c", "d"]


def test_the_turns_limits_are_checked() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(ValueError, match="a turn needs"):
            LoopRoutes(loop, lambda: True, turn_routes=0)
        with pytest.raises(ValueError, match="a turn needs"):
            LoopRoutes(loop, lambda: True, turn_s=0.0)
        with pytest.raises(ValueError, match="a turn needs"):
            LoopRoutes(loop, lambda: True, turn_s=float("nan"))

    asyncio.run(main())


def test_the_loop_reads_its_sockets_between_two_jobs() -> None:
    """A socket that becomes readable during a job is read before the job after the next one
    at the latest (the loop polls once per turn)."""
    order: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=1)
        reader, writer = await asyncio.open_connection(*await _echo_server())
        got = loop.create_task(reader.readexactly(2))
        got.add_done_callback(lambda _: order.append("read"))

        def send() -> None:
            order.append("send")
            writer.write(b"hi")

        queue.put(send)
        for k in range(6):
            queue.put(functools.partial(order.append, f"job {k}"))
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


def test_a_job_or_a_write_that_raises_is_logged_and_the_next_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True)
        done = loop.create_future()

        def boom() -> None:
            raise RuntimeError("bug")

        def last() -> Callable[[], None]:
            seen.append("job")

            def write() -> None:
                seen.append("write")
                done.set_result(None)

            return write

        queue.put(boom)
        queue.put(lambda: boom)  # its write raises
        queue.put(last)
        await done

    with caplog.at_level(logging.ERROR, logger="stufenlos.loop_routes"):
        asyncio.run(main())
    assert seen == ["job", "write"]
    assert "a route job on the event loop raised" in caplog.text
    assert "writing a route's answer on the event loop raised" in caplog.text


def test_one_queue_per_loop_and_thread() -> None:
    async def main() -> tuple[LoopRoutes, bool, bool]:
        loop = asyncio.get_running_loop()
        queue = loop_routes(loop, lambda lp: LoopRoutes(lp, lambda: True))
        assert loop_routes(loop, lambda lp: LoopRoutes(lp, lambda: False)) is queue
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
        queue = loop_routes(loop, lambda lp: LoopRoutes(lp, cpu_idle))
        thread_job = loop.create_task(run_cpu(in_thread))
        await asyncio.sleep(0.05)
        assert not cpu_idle()
        done = loop.create_future()

        def loop_job() -> None:
            order.append("loop job")
            done.set_result(cpu_idle())

        queue.put(loop_job)
        for _ in range(5):
            await asyncio.sleep(0.01)
        assert order == []
        assert len(queue) == 1
        release.set()
        assert await asyncio.wait_for(thread_job, 10) == "done"
        assert await asyncio.wait_for(done, 10) is True  # ran with the thread idle

    asyncio.run(main())
    assert order == ["thread job", "loop job"]


def test_a_paused_queue_leaves_the_loop_idle_until_resumed() -> None:
    """While the CPU thread has a job, the queue runs no turn after the one that found it
    busy: the loop sleeps in its poll instead of calling turn after turn (which would take the
    interpreter from the CPU thread's job it waits for, stretching that job two- to threefold
    on a loaded host). The thread's answer resumes the queue."""
    turns = 0
    release, started = threading.Event(), threading.Event()

    def in_thread() -> None:
        started.set()
        release.wait(10)

    async def main() -> None:
        nonlocal turns
        loop = asyncio.get_running_loop()
        queue = loop_routes(loop, lambda lp: LoopRoutes(lp, cpu_idle))
        counting = queue._turn

        def turn() -> None:
            nonlocal turns
            turns += 1
            counting()

        queue._turn = turn  # type: ignore[method-assign]
        thread_job = loop.create_task(run_cpu(in_thread))
        assert await loop.run_in_executor(None, started.wait, 10)
        done = loop.create_future()
        queue.put(lambda: done.set_result(cpu_idle()))
        await asyncio.sleep(0.1)
        assert turns <= 2, f"{turns} turns of a paused queue in 0.1 s"
        release.set()
        await asyncio.wait_for(thread_job, 10)
        assert await asyncio.wait_for(done, 10) is True

    asyncio.run(main())


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
        loop_routes(loop, lambda lp: LoopRoutes(lp, cpu_idle)).put(ran.set)
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


def test_the_turns_settings_are_ranged(monkeypatch: pytest.MonkeyPatch) -> None:
    """``STUFENLOS_LOOP_TURN_ROUTES`` (1-64) and ``STUFENLOS_LOOP_TURN_MS`` (> 0, ≤ 100): out of
    range is an error at start, not a clamp; the defaults are the module's."""
    from pydantic import ValidationError

    from api.loop_routes import TURN_S
    from api.settings import Settings

    settings = Settings()
    assert (settings.loop_turn_routes, settings.loop_turn_ms / 1e3) == (TURN_ROUTES, TURN_S)
    for name, bad in (("ROUTES", "0"), ("ROUTES", "65"), ("MS", "0"), ("MS", "nan"), ("MS", "101")):
        monkeypatch.setenv(f"STUFENLOS_LOOP_TURN_{name}", bad)
        with pytest.raises(ValidationError):
            Settings()
        monkeypatch.delenv(f"STUFENLOS_LOOP_TURN_{name}")
    monkeypatch.setenv("STUFENLOS_LOOP_TURN_ROUTES", "1")
    assert Settings().loop_turn_routes == 1


def test_a_turn_computes_one_route_while_other_requests_wait_for_the_loop() -> None:
    """``may_batch()`` false at a turn's start (a ``/health`` or a staff write in hand): one
    route in that turn, so each step of the other request waits for one route, not a turn."""
    seen: list[str] = []
    others = [True]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, may_batch=lambda: not others[0], turn_s=60.0)
        done = loop.create_future()

        def job(name: str) -> Callable[[], None]:
            seen.append(name)
            loop.call_soon(seen.append, f"after {name}")
            if name == "b":
                others[0] = False  # the other request was answered
            if name == "d":
                loop.call_soon(done.set_result, None)
            return functools.partial(seen.append, f"write {name}")

        for name in "abcd":
            queue.put(functools.partial(job, name))
        await done

    asyncio.run(main())
    assert seen == [
        "a", "write a", "after a", "b", "write b", "after b",
        "c", "d", "write c", "write d", "after c", "after d",
    ]  # fmt: skip


def test_nothing_but_routes_counts_request_tasks_and_new_connections() -> None:
    from api import inflight

    tasks: set[object] = set()
    before = inflight._tasks  # a server of another test in this process may have set it
    inflight.track(tasks)
    try:
        assert inflight.nothing_but_routes() == (inflight._new_connections == 0)
        base = inflight._new_connections
        tasks.add(object())  # a /health, a staff write, a route waiting for the CPU thread
        assert not inflight.nothing_but_routes()
        tasks.clear()
        inflight.connection_opened()  # accepted, its first head not read yet
        assert not inflight.nothing_but_routes()
        inflight.first_head_read()
        assert inflight._new_connections == base
    finally:
        inflight.track(before)


class _Together:
    """A job that may be computed with the queue's next ones (as :mod:`api.direct`'s are):
    ``run_together`` gets the group and returns each one's write."""

    def __init__(self, name: str, log: list[str], run: Any) -> None:
        self.name, self.log, self.run_together = name, log, run

    def __call__(self) -> Callable[[], None]:
        self.log.append(f"alone {self.name}")
        return functools.partial(self.log.append, f"write {self.name}")


def test_jobs_that_run_together_are_computed_in_groups_in_order() -> None:
    """Consecutive jobs with the same ``run_together`` are handed to it as one group (at most
    ``turn_routes`` a turn, counted with the turn's other jobs); a job without it runs alone
    between them; a group of one runs alone; the writes go out in the jobs' order."""
    seen: list[str] = []

    def together(group: list[Any]) -> list[Callable[[], None] | None]:
        seen.append("together " + "".join(job.name for job in group))
        return [None if job.name == "c" else functools.partial(seen.append, f"write {job.name}") for job in group]  # fmt: skip

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=4, turn_s=60.0)
        done = loop.create_future()
        for name in "abc":
            queue.put(_Together(name, seen, together))
        queue.put(lambda: functools.partial(seen.append, "write plain"))  # alone
        for name in "defgh":
            queue.put(_Together(name, seen, together))
        queue.put(lambda: done.set_result(None))
        await done

    asyncio.run(main())
    assert seen == [
        "together abc", "write a", "write b", "write plain",  # 3 + 1 = the turn's 4
        "together defg", "write d", "write e", "write f", "write g",
        "alone h", "write h",  # a group of one: alone (then the last plain job)
    ]  # fmt: skip


def test_a_group_is_sized_to_end_within_the_turns_time() -> None:
    """After a group, the next ones hold as many jobs as end within the turn's time at the mean
    time of a job so far (at least one)."""
    groups: list[int] = []
    alone: list[str] = []

    def together(group: list[Any]) -> list[Callable[[], None] | None]:
        groups.append(len(group))
        time.sleep(0.01 * len(group))  # 10 ms a job
        return [None] * len(group)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True, turn_routes=8, turn_s=0.035)
        done = loop.create_future()
        for k in range(20):
            queue.put(_Together(str(k), alone, together))
        queue.put(lambda: done.set_result(None))
        await done

    asyncio.run(main())
    assert groups[0] == 8  # nothing measured yet: the turn's most
    assert all(2 <= n <= 3 for n in groups[1:]), groups  # 35 ms at 10 ms a job (one: alone)
    assert sum(groups) + sum(a.startswith("alone") for a in alone) == 20


def test_a_group_that_raises_is_logged_and_the_queue_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    def boom(group: list[Any]) -> list[Callable[[], None] | None]:
        raise RuntimeError("bug")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue = LoopRoutes(loop, lambda: True)
        done = loop.create_future()
        queue.put(_Together("a", seen, boom))
        queue.put(_Together("b", seen, boom))
        queue.put(lambda: functools.partial(done.set_result, None))
        await done

    with caplog.at_level(logging.ERROR, logger="stufenlos.loop_routes"):
        asyncio.run(main())
    assert seen == []
    assert "route jobs computed together on the event loop raised" in caplog.text
