"""Which CPU each worker runs on (:mod:`api.affinity`): the rule, the setting, and pinning."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from api import cpu
from api.affinity import LoopPin, WorkerLoads, available_cpus, set_loop_home, worker_cpus
from api.settings import Settings
from tests.api.serving import cpus_allowed


@pytest.mark.parametrize(
    ("mode", "workers", "cpus", "expected"),
    [
        ("auto", 2, [0, 1], [0, 1]),  # one worker per CPU
        ("auto", 4, [2, 5], [2, 5, 2, 5]),  # more workers: round the CPUs, in order
        ("auto", 3, [0, 1], [0, 1, 0]),
        ("auto", 1, [0, 1], None),  # fewer workers than CPUs: the scheduler spreads them
        ("auto", 2, [0, 1, 2, 3], None),
        ("auto", 2, [3], None),  # one CPU: nothing to choose
        ("off", 2, [0, 1], None),
        ("off", 8, [0, 1], None),
    ],
)
def test_worker_cpus(mode: str, workers: int, cpus: list[int], expected: list[int] | None) -> None:
    assert worker_cpus(mode, workers, cpus) == expected  # type: ignore[arg-type]


def test_the_setting_is_off_by_default_and_takes_auto_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().worker_cpu_affinity == "off"
    monkeypatch.setenv("STUFENLOS_WORKER_CPU_AFFINITY", "auto")
    assert Settings().worker_cpu_affinity == "auto"
    monkeypatch.setenv("STUFENLOS_WORKER_CPU_AFFINITY", "0,1")
    with pytest.raises(ValidationError):
        Settings()


def _in_child(check: Callable[[], object]) -> str:
    """``repr(check())`` computed in a forked child (pinning there leaves this process alone)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and exits
        try:
            os.write(write, repr(check()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return answer


def _me() -> frozenset[int]:
    """The CPUs the calling thread may run on."""
    return cpus_allowed(Path(f"/proc/self/task/{threading.get_native_id()}"))


def test_the_worker_is_pinned_alone_and_free_while_jobs_queue() -> None:
    """Through the CPU thread of :mod:`api.cpu`, as a served worker runs it: the loop thread
    and the CPU thread on the home CPU from the start and while the loop hands over one job at
    a time; every thread anywhere while a second job is in, and until the worker has been alone
    for ``QUIET_S``."""
    everywhere = frozenset(available_cpus())
    home = max(everywhere)

    def scenario() -> list[object]:
        LoopPin.QUIET_S = 0.2
        set_loop_home(home)
        seen: list[object] = [_me()]  # pinned at once
        first_running = threading.Event()
        release = threading.Event()

        def first() -> frozenset[int]:
            first_running.set()
            release.wait(10)
            return _me()

        def cpu_thread() -> frozenset[int]:
            return _me()

        async def run() -> None:
            seen.append(await cpu.run_cpu(cpu_thread))  # the CPU thread
            seen.append(_me())  # the loop thread after a job alone
            task = asyncio.ensure_future(cpu.run_cpu(first))
            while not first_running.is_set():
                await asyncio.sleep(0.001)
            second = asyncio.ensure_future(cpu.run_cpu(cpu_thread))
            await asyncio.sleep(0)
            seen.append(_me())  # the loop thread with two jobs in
            release.set()
            seen.append(await task)  # the CPU thread, set free while it ran
            await second
            seen.append(await cpu.run_cpu(cpu_thread))  # alone again, but not quiet long
            seen.append(_me())
            await asyncio.sleep(LoopPin.QUIET_S)
            seen.append(await cpu.run_cpu(cpu_thread))  # pinned again, both
            seen.append(_me())

        asyncio.run(run())
        return seen

    answer = _in_child(scenario)
    pinned, free = frozenset({home}), everywhere
    assert answer == repr([pinned, pinned, pinned, free, free, free, free, pinned, pinned])
    assert set(os.sched_getaffinity(0)) == everywhere  # this process: unchanged


def test_no_home_cpu_pins_nothing() -> None:
    everywhere = frozenset(available_cpus())

    def scenario() -> list[object]:
        set_loop_home(None)

        async def run() -> list[object]:
            return [await cpu.run_cpu(lambda: _me()), _me()]

        return asyncio.run(run())

    assert _in_child(scenario) == repr([everywhere, everywhere])


def test_a_pin_changes_masks_only_when_its_state_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pinned: the calling (loop) thread and the CPU thread. Set free: every thread of the
    process (those started while the loop was pinned inherited its CPU), when this worker or
    another has jobs queued. Pinned again only after ``QUIET_S`` without a queue anywhere."""
    calls: list[tuple[int, set[int]]] = []
    now = [100.0]
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, cpus: calls.append((pid, set(cpus))))
    monkeypatch.setattr(os, "listdir", lambda path: ["7", "8"] if path == "/proc/self/task" else [])
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    loads = WorkerLoads(2)
    pin = LoopPin(1, {0, 1}, loads, slot=0)
    steps: list[list[tuple[int, set[int]]]] = []
    pinned, free = [(0, {1}), (9, {1})], [(7, {0, 1}), (8, {0, 1})]
    # (this worker's jobs, the other worker's, seconds since the step before)
    for jobs, other, wait_s in (
        (1, 0, 0), (1, 0, 0), (2, 0, 0), (2, 0, 0), (1, 0, 0.1), (1, 0, 1),
        (1, 3, 0), (1, 1, 0.1), (1, 1, 1),
    ):  # fmt: skip
        now[0] += wait_s
        loads.set(1, other)
        calls.clear()
        pin.update(jobs, cpu_thread=9)
        steps.append(list(calls))
    assert steps == [
        pinned,
        [],  # still
        free,  # a second job: all free
        [],
        [],  # alone, but a moment after the queue
        pinned,  # alone and quiet long enough
        free,  # the other worker has a queue: free too
        [],  # its queue is gone, but only a moment ago
        pinned,
    ]


def test_worker_loads_are_shared_across_a_fork() -> None:
    loads = WorkerLoads(3)

    def child() -> bool:
        loads.set(2, 5)
        return loads.others_queue(2)

    assert _in_child(child) == "False"
    assert [loads.others_queue(slot) for slot in range(3)] == [True, True, False]
